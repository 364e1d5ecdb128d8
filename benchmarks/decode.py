"""Streaming frame reader vs. plain decoding, measured in the same run.

    uv run python benchmarks/decode.py [FILM] [--minutes 20] [--max-side 1280]

Without FILM, a 20-minute 1080p film is made by looping ../shared/media's
two_kitchen_side_by_side.mp4 (packets copied, no re-encoding; cached in the temp folder).
Prints, for each method: frames/s, × real time (seconds of film per second of work) and peak
memory (RSS) of a process that ran only that method.
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

from benchmarks._common import looped_film, peak_rss_mb, run_isolated
from vigvision.film import FrameReader, probe

METHODS = ("decode-only", "decode+rgb", "reader")


def measure(method: str, film: Path, fps: float, max_side: int) -> dict[str, float]:
    """Run one method over the whole film; seconds, frames and peak RSS."""
    started = time.perf_counter()
    frames = 0
    if method == "reader":
        for _ in FrameReader(film, fps=fps, max_side=max_side):
            frames += 1
    else:
        with av.open(str(film)) as container:
            stream = container.streams.video[0]
            stream.codec_context.thread_type = "AUTO"
            for frame in container.decode(stream):
                if method == "decode+rgb":
                    frame.to_ndarray(format="rgb24")
                frames += 1
    return {
        "seconds": time.perf_counter() - started,
        "frames": frames,
        "peak_rss_mb": peak_rss_mb(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("film", nargs="?", type=Path)
    parser.add_argument("--minutes", type=float, default=20.0, help="length of the looped film")
    parser.add_argument("--fps", type=float, default=10.0, help="analysis rate of the reader")
    parser.add_argument("--max-side", type=int, default=1280, help="reader's longest side")
    parser.add_argument("--only", choices=METHODS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    film = args.film or looped_film("two_kitchen_side_by_side.mp4", args.minutes)
    if args.only:  # one isolated measurement, printed as JSON for the parent process
        print(json.dumps(measure(args.only, film, args.fps, args.max_side)))
        return
    info = probe(film)
    size = f"{info.width}x{info.height}"
    print(f"film: {film.name}  {size}  {info.duration_s / 60:.1f} min  {info.video_codec}")
    print(f"reader: {args.fps:g} fps analysis rate, longest side {args.max_side}")
    print(f"{'method':<14}{'frames':>9}{'frames/s':>11}{'x real time':>13}{'peak RSS MB':>13}")
    results = {}
    for method in METHODS:
        extra = ["--fps", str(args.fps), "--max-side", str(args.max_side)]
        result = run_isolated("benchmarks.decode", str(film), "--only", method, *extra)
        results[method] = result
        speed = info.duration_s / result["seconds"]
        print(
            f"{method:<14}{result['frames']:>9.0f}{result['frames'] / result['seconds']:>11.1f}"
            f"{speed:>12.1f}x{result['peak_rss_mb']:>13.0f}"
        )
    ratio = results["decode+rgb"]["seconds"] / results["reader"]["seconds"]
    ratio_plain = results["decode-only"]["seconds"] / results["reader"]["seconds"]
    print(f"reader is {ratio:.2f}x the speed of decode+rgb and {ratio_plain:.2f}x decode-only")


if __name__ == "__main__":
    main()
