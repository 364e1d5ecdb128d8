"""Perception speed and coverage: plain decoding, a naive MediaPipe loop, and ``observe``.

    uv run python benchmarks/perception.py [--minutes 3]

Makes 1080p films of at least three minutes by looping real clips from ../shared/media
(two_seated_facing.mp4, scaled from 1440p to 1080p once; two_kitchen_side_by_side.mp4), and
prints for each, in one run: × real time of a plain decode of every frame, of a naive
per-frame loop (full-range face detection + face mesh on the whole frame) and of
``observe`` at default settings; the share of frames where each found both faces; and the
peak memory (RSS) of a process that ran only that method.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import av
import numpy as np

from benchmarks._common import CACHE, MEDIA, looped_film, peak_rss_mb, run_isolated, run_quietly
from vigvision.config import load_settings
from vigvision.film import FilmWriter, FrameReader, loop_film, probe

METHODS = ("plain decode", "naive mediapipe", "observe")


def seated_1080p(minutes: float) -> Path:
    """two_seated_facing.mp4 (2560×1440) scaled to 1080p once, then looped."""
    clip = CACHE / "two_seated_facing_1080p.mp4"
    if not clip.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        frames = FrameReader(MEDIA / "two_seated_facing.mp4", fps=0, max_side=1920)
        with FilmWriter(clip, width=1920, height=1080, fps=25, options={"crf": "20"}) as out:
            for frame in frames:
                out.add_frame(frame.image)
    target = CACHE / f"two_seated_facing_1080p_x{minutes:g}min.mp4"
    if not target.exists():
        loop_film(clip, target, minutes * 60)
    return target


def plain_decode(film: Path) -> dict[str, float]:
    frames = 0
    with av.open(str(film)) as container:
        stream = container.streams.video[0]
        stream.codec_context.thread_type = "AUTO"
        for frame in container.decode(stream):
            frame.to_ndarray(format="rgb24")
            frames += 1
    return {"frames": frames, "both": float("nan")}


def naive_mediapipe(film: Path) -> dict[str, float]:
    """What a first attempt does: every frame, whole frame, detector then mesh."""
    import mediapipe as mp

    detector = mp.solutions.face_detection.FaceDetection(model_selection=1)
    mesh = mp.solutions.face_mesh.FaceMesh(
        static_image_mode=False, max_num_faces=4, refine_landmarks=True
    )
    frames = both = 0
    with av.open(str(film)) as container:
        stream = container.streams.video[0]
        stream.codec_context.thread_type = "AUTO"
        for frame in container.decode(stream):
            image = frame.to_ndarray(format="rgb24")
            detector.process(image)
            faces = mesh.process(image).multi_face_landmarks or []
            both += len(faces) >= 2
            frames += 1
    return {"frames": frames, "both": both / max(frames, 1)}


def observe(film: Path) -> dict[str, float]:
    from vigvision.observe import observe_film

    result = observe_film(film, load_settings())
    counts = np.bincount(result.observations["frame"], minlength=result.frames_analysed)
    return {"frames": result.frames_analysed, "both": float(np.mean(counts >= 2))}


def measure(method: str, film: Path) -> dict[str, float]:
    started = time.perf_counter()
    run = {"plain decode": plain_decode, "naive mediapipe": naive_mediapipe, "observe": observe}
    result = run[method](film)
    return {**result, "seconds": time.perf_counter() - started, "peak_rss_mb": peak_rss_mb()}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=3.0, help="length of each looped film")
    parser.add_argument("--skip-naive", action="store_true", help="leave out the slow naive loop")
    parser.add_argument("--only", choices=METHODS, help=argparse.SUPPRESS)
    parser.add_argument("--film", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.only:
        print(json.dumps(measure(args.only, args.film)))
        return
    films = [seated_1080p(args.minutes), looped_film("two_kitchen_side_by_side.mp4", args.minutes)]
    methods = [m for m in METHODS if not (args.skip_naive and m == "naive mediapipe")]
    for film in films:
        info = probe(film)
        print(f"\nfilm: {film.name}  {info.width}x{info.height}  {info.duration_s / 60:.1f} min")
        print(f"{'method':<18}{'x real time':>12}{'both faces':>12}{'peak RSS MB':>13}")
        for method in methods:
            result = run_isolated("benchmarks.perception", "--only", method, "--film", str(film))
            both = result["both"]
            shown = "-" if both != both else f"{both:.0%}"
            speed = info.duration_s / result["seconds"]
            print(f"{method:<18}{speed:>11.1f}x{shown:>12}{result['peak_rss_mb']:>13.0f}")


if __name__ == "__main__":
    run_quietly(main)
