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

import numpy as np

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
HOME_SPEECH: list[tuple[float, float]] = [
    (0.55, 1.55),
    (3.55, 4.45),
    (5.45, 5.75),
    (6.45, 7.35),
    (7.45, 8.35),
    (8.85, 10.0),
    (14.75, 15.3),
    (16.15, 16.45),
    (16.6, 16.75),
    (17.6, 17.95),
    (18.2, 18.55),
    (18.75, 19.85),
]


def share_kept(reference: list[tuple[float, float]], found: list[tuple[float, float]]) -> float:
    """The share of the reference's time (10 ms frames) that ``found`` covers."""
    end = max(b for _, b in [*reference, *found])
    n = round(end * 100) + 1

    def frames(intervals: list[tuple[float, float]]) -> np.ndarray:
        mask = np.zeros(n, bool)
        for a, b in intervals:
            mask[round(a * 100) : round(b * 100)] = True
        return mask

    truth = frames(reference)
    return float((truth & frames(found)).sum() / truth.sum())


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
