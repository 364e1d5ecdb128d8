"""Is every sentence a candidate says true of the tables? Each claim recomputed from ``cues.csv``.

Used by the tests and the benchmarks on ``suggest`` output folders: it reads only the files
a researcher gets (``candidates.json`` and ``cues.csv``), never the pipeline's own values.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from vigvision.windows import movement_synchrony

# cues.csv keeps 4 significant digits: a mean recomputed from it may differ this much.
_TOLERANCE: Final = 2e-3


def false_claims(out_dir: Path) -> list[str]:
    """Every claim of ``out_dir/candidates.json`` that ``out_dir/cues.csv`` does not bear out."""
    candidates = json.loads((out_dir / "candidates.json").read_text(encoding="utf-8"))
    table = _read_cues(out_dir / "cues.csv")
    wrong = []
    for candidate in candidates["candidates"]:
        rows = table.get(candidate["pair"], {})
        t = rows.get("t", np.zeros(0))
        inside = (t >= candidate["start_s"] - 1e-6) & (t < candidate["end_s"] - 1e-6)
        for claim in candidate.get("claims", []):
            problem = _problem(claim, rows, inside)
            if problem:
                wrong.append(f"candidate {candidate['rank']}: '{claim['text']}': {problem}")
    return wrong


def _read_cues(path: Path) -> dict[str, dict[str, NDArray[np.float64]]]:
    by_pair: dict[str, list[dict[str, str]]] = {}
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            by_pair.setdefault(row["pair"], []).append(row)
    return {
        pair: {
            name: np.array([float(r[name]) if r[name] != "" else math.nan for r in rows])
            for name in rows[0]
            if name != "pair"
        }
        for pair, rows in by_pair.items()
    }


def _problem(
    claim: dict[str, Any], rows: dict[str, NDArray[np.float64]], inside: NDArray[np.bool_]
) -> str:
    """Why the claim is not borne out ("" when it is)."""
    measure, cue = claim["measure"], claim["cue"]
    if measure == "synchrony":
        first, second = rows["motion_first"][inside], rows["motion_second"][inside]
        value = movement_synchrony(first, second, float(np.median(np.diff(rows["t"]))))
        seen = float((np.isfinite(first) & np.isfinite(second)).mean()) if inside.any() else 0.0
    else:
        if cue not in rows:
            return f"cues.csv has no column {cue}"
        part = rows[cue][inside]
        observed = part[np.isfinite(part)]
        backing = rows.get(claim["seen_cue"], part)[inside]
        seen = float(np.isfinite(backing).mean()) if len(backing) else 0.0
        if len(observed) == 0:
            return "never observed in the moment"
        value = {
            "mean": lambda: float(np.mean(observed)),
            "count": lambda: float(np.sum(observed)),
            "median": lambda: float(np.median(observed)),
        }[measure]()
    if seen + _TOLERANCE < claim["seen_share"]:
        return f"observed in {seen:.0%} of the moment, not {claim['seen_share']:.0%}"
    low = float(claim["at_least"])
    high = math.inf if claim["at_most"] is None else float(claim["at_most"])
    if not (low - _TOLERANCE <= value <= high + _TOLERANCE) or math.isnan(value):
        return f"{measure} of {cue} is {value:.3f}, not in [{low}, {high}]"
    return ""
