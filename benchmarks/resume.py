"""A run killed half-way continues where it stopped: how long the second run takes.

    uv run python benchmarks/resume.py [--film far-phone]

On one of ``benchmarks/suggest.py``'s composed 5-minute 1080p films: ``vigvision suggest``
uninterrupted (wall time), then again into another folder, killed (SIGKILL, as ``kill -9``)
once the watching it saved has passed half the film, then run once more. Prints the
continued run's wall time as a share of the uninterrupted one's, and whether both give the
same candidates. Timings come from this one run: compare the ratio, not the seconds.
"""

from __future__ import annotations

import argparse
import json
import pickle
import shutil
import subprocess
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import CACHE
from benchmarks.suggest import FILMS, composed_film
from vigvision.film import probe
from vigvision.pipeline import WATCHING_SO_FAR

COMMAND = [sys.executable, "-c", "from vigvision.cli import main; main()", "suggest"]


def start(film: Path, out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*COMMAND, str(film), "--no-case", "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def saved_until(path: Path) -> float:
    """How far into the film the watching saved in ``path`` reaches (0 while none is)."""
    try:
        return float(pickle.loads(path.read_bytes())["work"]["t"])
    except (OSError, EOFError, pickle.UnpicklingError, KeyError):
        return 0.0


def candidates(out: Path) -> list[tuple[float, float, str]]:
    data = json.loads((out / "candidates.json").read_text(encoding="utf-8"))
    return [(c["start_s"], c["end_s"], c["explanation"]) for c in data["candidates"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--film", default="far-phone", choices=sorted(FILMS))
    args = parser.parse_args()
    film = composed_film(FILMS[args.film])
    duration = probe(film).duration_s
    whole, stopped = CACHE / "resume_whole", CACHE / "resume_stopped"
    for folder in (whole, stopped):
        shutil.rmtree(folder, ignore_errors=True)

    began = time.perf_counter()
    assert start(film, whole).wait() == 0
    full = time.perf_counter() - began

    run = start(film, stopped)
    while run.poll() is None and saved_until(stopped / WATCHING_SO_FAR) < duration / 2:
        time.sleep(0.5)
    run.kill()
    run.wait()
    reached = saved_until(stopped / WATCHING_SO_FAR)

    began = time.perf_counter()
    again = start(film, stopped)
    _, said = again.communicate()
    continued = time.perf_counter() - began
    assert again.returncode == 0, said.decode()
    print(
        f"{args.film} ({duration / 60:.0f} min): uninterrupted {full:.0f} s; killed with "
        f"{reached:.0f} s of film watched and saved; continued in {continued:.0f} s = "
        f"{continued / full:.0%} of the uninterrupted run (bar < 60%); said: "
        f"{[line for line in said.decode().splitlines() if 'continuing' in line]}"
    )
    same = candidates(stopped) == candidates(whole)
    print(f"same candidates as the uninterrupted run: {same}")


if __name__ == "__main__":
    main()
