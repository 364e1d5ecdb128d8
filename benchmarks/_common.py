"""Helpers shared by the benchmarks: real media, long films made by looping, peak memory."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pyannote.core import Annotation, Segment, Timeline

from vigvision.film import loop_film

ROOT = Path(__file__).resolve().parent.parent
MEDIA = ROOT.parent / "shared" / "media"
CACHE = Path(
    os.environ.get("VIGVISION_BENCH_CACHE", Path(tempfile.gettempdir()) / "vigvision-bench")
)

# home_adult_child_voices.wav comes with no reference. Its speech was marked by hand from its
# spectrogram (the harmonic stacks of voices, with the consonants next to them, at 0.05 s
# resolution; read in a picture of 0-4 kHz, 10 ms a pixel): 7.95 s of the 20 s. The stretch
# at 14.75-15.3 s (steady harmonics, a child singing or a toy) is counted as speech.
HOME_SPEECH = Timeline(
    [
        Segment(0.55, 1.55),
        Segment(3.55, 4.45),
        Segment(5.45, 5.75),
        Segment(6.45, 7.35),
        Segment(7.45, 8.35),
        Segment(8.85, 10.0),
        Segment(14.75, 15.3),
        Segment(16.15, 16.45),
        Segment(16.6, 16.75),
        Segment(17.6, 17.95),
        Segment(18.2, 18.55),
        Segment(18.75, 19.85),
    ]
)


def shared_s(first: Timeline, second: Timeline) -> float:
    """Seconds that lie in both."""
    return float(first.support().crop(second.support(), mode="intersection").duration())


def share_kept(reference: Timeline, found: Timeline) -> float:
    """The share of the reference's time that ``found`` covers."""
    return shared_s(reference, found) / reference.support().duration()


def voice_activity_f1(reference: Annotation, found: Timeline) -> float:
    """F1 of speech found against where the reference has someone speaking."""
    truth = reference.get_timeline().support()
    return 2 * shared_s(truth, found) / (truth.duration() + found.support().duration())


def overlaps_found(reference: Annotation, found: Annotation) -> tuple[float, float, float]:
    """Seconds where two or more speak at once in the reference; the share of them found
    so; the share of those found so that are right."""
    truth, heard = reference.get_overlap(), found.get_overlap()
    both = shared_s(truth, heard)
    return truth.duration(), both / max(truth.duration(), 1e-9), both / max(heard.duration(), 1e-9)


def looped_film(clip: str, minutes: float) -> Path:
    """A long film made by repeating a real clip from ../shared/media (cached, never committed)."""
    source = MEDIA / clip
    if not source.is_file():
        sys.exit(f"benchmark needs {source} (the shared media folder); it is missing")
    CACHE.mkdir(parents=True, exist_ok=True)
    target = CACHE / f"{source.stem}_x{minutes:g}min{source.suffix}"
    if not target.exists():
        partial = target.with_suffix(".partial" + source.suffix)
        loop_film(source, partial, minutes * 60)
        partial.rename(target)
    return target


def with_conversation(film: Path, sound: str) -> Path:
    """The film (no sound of its own) with a real conversation of ../shared/media laid under
    it, repeated to its length: the video packets copied, the sound encoded as AAC (cached)."""
    import av
    import numpy as np

    from vigvision.film import AudioReader

    target = CACHE / f"{film.stem}_talk_{Path(sound).stem}{film.suffix}"
    if target.exists():
        return target
    rate = 16000
    talk = AudioReader(MEDIA / sound, sample_rate=rate).read().samples
    partial = target.with_suffix(".partial" + film.suffix)
    with av.open(str(film)) as source, av.open(str(partial), "w") as out:
        video = source.streams.video[0]
        copied = out.add_stream_from_template(video)
        audio = out.add_stream("aac", rate=rate, layout="mono")
        for packet in source.demux(video):
            if packet.dts is not None and packet.size:
                packet.stream = copied
                out.mux(packet)
        length = round(float(video.duration * video.time_base) * rate)
        samples = np.resize(talk, length).astype(np.float32)
        for start in range(0, length, rate):
            frame = av.AudioFrame.from_ndarray(
                samples[None, start : start + rate], format="flt", layout="mono"
            )
            frame.sample_rate, frame.pts = rate, start
            out.mux(audio.encode(frame))
        out.mux(audio.encode(None))
    partial.rename(target)
    return target


def peak_rss_mb() -> float:
    """Peak resident memory of this process's own program so far, in MB.

    Linux's VmHWM starts afresh when a program starts; ``ru_maxrss`` would carry over the
    peak of the parent that forked it (here: the benchmark that made the film).
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_isolated(module: str, *args: str) -> dict[str, Any]:
    """Run ``python -m module args`` in a fresh process and return the JSON it prints last.

    Each method runs alone so that its peak memory is its own.
    """
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if done.returncode != 0:
        sys.exit(f"{module} {' '.join(args)} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run_quietly(main: Callable[[], None]) -> None:
    """Run a benchmark with MediaPipe's start-up chatter hidden, as the command line does."""
    from vigvision.logs import NativeNoiseFilter

    noise = NativeNoiseFilter()
    try:
        main()
    finally:
        noise.close()
