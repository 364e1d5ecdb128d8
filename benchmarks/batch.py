"""Films per hour of ``vigvision batch`` with 1 and with 2 workers, in the same run.

    uv run python benchmarks/batch.py [--minutes 1] [--films 4]

Makes a manifest of ``--films`` films of ``--minutes`` each, looped from four different real
clips of ../shared/media (cached in the temp folder), and runs ``vigvision batch`` on it into
a fresh folder once with ``--workers 1`` and once with ``--workers 2``; prints the wall time,
films per hour and the ratio.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import looped_film

CLIPS = (
    "two_kitchen_side_by_side.mp4",
    "adult_talking_head.mp4",
    "two_seated_facing.mp4",
    "child_face_closeup.mp4",
)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=1.0, help="length of each film")
    parser.add_argument("--films", type=int, default=4, help="films in the manifest")
    args = parser.parse_args()
    films = [looped_film(CLIPS[i % len(CLIPS)], args.minutes) for i in range(args.films)]
    with tempfile.TemporaryDirectory(prefix="vigvision-batch-bench-") as work:
        folder = Path(work)
        lines = ["film,dyad"]
        for number, film in enumerate(films):
            link = folder / f"film{number}{film.suffix}"
            link.symlink_to(film)
            lines.append(f"{link.name},dyad{number}")
        manifest = folder / "manifest.csv"
        manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"{args.films} films of {args.minutes:g} min")
        hourly = {}
        for workers in (1, 2):
            out = folder / f"out{workers}"
            started = time.perf_counter()
            command = [sys.executable, "-m", "vigvision", "-q", "batch", str(manifest)]
            command += ["--out", str(out), "--workers", str(workers)]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            seconds = time.perf_counter() - started
            if done.returncode != 0:
                sys.exit(f"batch failed: {done.stderr}")
            hourly[workers] = args.films / seconds * 3600
            print(f"--workers {workers}: {seconds:.0f} s, {hourly[workers]:.0f} films/hour")
            shutil.rmtree(out)
        print(f"2 workers / 1 worker: {hourly[2] / hourly[1]:.2f}x")


if __name__ == "__main__":
    main()
