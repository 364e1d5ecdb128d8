"""Does ``evaluate`` report what the ``suggest`` benchmark measures? The same films, coded.

    uv run python benchmarks/evaluate.py [--films far-phone,zoomed-home,...] [--workers 2]

The 5-minute composed films of ``benchmarks/suggest.py`` (made once, cached), their positive
stretches written as a coder's CSV (``film,start_s,end_s,code``, the code naming the kind of
film), then ``vigvision batch`` over a manifest of them and ``vigvision evaluate``. Prints,
for each film, recall@3/5/10 and mean IoU as ``benchmarks/suggest.py`` computes them from
the batch's own ``candidates.json`` beside the figures ``evaluate`` reports (they must be
equal), then the pooled figures with their intervals, each cue's AUC and the ablation as
``evaluate`` prints them, and the batch's films per hour.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import CACHE
from benchmarks.suggest import FILMS, composed_film, measure, positives

FIGURES = ("recall@3", "recall@5", "recall@10", "mean IoU")


def vigvision(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vigvision", *args], capture_output=True, text=True, check=False
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--films", default=",".join(FILMS), help="films to run, by name")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    names = args.films.split(",")
    folder = CACHE / "evaluate_benchmark"
    folder.mkdir(parents=True, exist_ok=True)
    manifest = folder / "manifest.csv"
    labels = folder / "coded.csv"
    lines, coded = ["film,dyad"], ["film,start_s,end_s,code"]
    for name in names:
        film = composed_film(FILMS[name])
        lines.append(f"{film},{name}")
        code = "group moment" if name == "group" else "two people"
        coded += [f"{film},{p.start:g},{p.end:g},{code}" for p in positives(FILMS[name].script)]
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    labels.write_text("\n".join(coded) + "\n", encoding="utf-8")
    runs = folder / "runs"
    again = (runs / "batch.csv").is_file()
    started = time.perf_counter()
    done = vigvision(
        "-q", "batch", str(manifest), "--out", str(runs), "--workers", str(args.workers)
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"batch failed: {done.stderr}")
    rows = {r["film"]: r for r in _batch_rows(runs)}
    if again:
        print(f"batch: done before, {seconds:.0f} s to find so (delete {runs} to measure it)")
    else:
        print(
            f"batch of {len(names)} 5-min films, {args.workers} workers: {seconds:.0f} s "
            f"({3600 * len(names) / seconds:.1f} films/hour)"
        )
    started = time.perf_counter()
    done = vigvision("evaluate", str(labels), "--runs", str(runs))
    if done.returncode != 0:
        sys.exit(f"evaluate failed: {done.stderr}")
    print(f"evaluate: {time.perf_counter() - started:.0f} s")
    evaluation = json.loads((runs / "evaluation.json").read_text())
    per_film = {f["film"]: f for f in evaluation["per_film"]}
    print("film: suggest benchmark's figures on the batch's candidates | evaluate's figures")
    same = True
    for name in names:
        film = str(composed_film(FILMS[name]))
        out = runs / rows[film]["folder"]
        candidates = json.loads((out / "candidates.json").read_text())["candidates"]
        theirs = measure(candidates, positives(FILMS[name].script))
        ours = per_film[film]
        same &= all(abs(theirs[k] - (ours[k] or 0)) < 0.01 for k in FIGURES)
        print(
            f"  {name}: "
            + ", ".join(f"{k} {theirs[k]:.2f}" for k in FIGURES)
            + " | "
            + ", ".join(f"{k} {ours[k]:.2f}" for k in FIGURES)
        )
    print(f"every figure equal: {same}")
    print(done.stderr)


def _batch_rows(runs: Path) -> list[dict[str, str]]:
    import csv

    with (runs / "batch.csv").open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


if __name__ == "__main__":
    main()
