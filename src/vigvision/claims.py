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

from vigvision.cues.group import TURNED, ChildTurn
from vigvision.cues.pairs import Pair
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
        if "both speak here" in candidate.get("explanation", ""):
            quiet = [
                who
                for who in ("adult_speaks", "child_speaks")
                if not np.nansum(rows.get(who, np.zeros(len(t)))[inside] > 0)
            ]
            if quiet:
                wrong.append(f"candidate {candidate['rank']}: says both speak; not {quiet[0]}")
    for group in candidates.get("groups", []):
        wrong.extend(_group_problems(group, table))
    return wrong


def _group_problems(
    group: dict[str, Any], table: dict[str, dict[str, NDArray[np.float64]]]
) -> list[str]:
    """What a group moment says of each child that the child's pair's rows do not bear out."""
    wrong: list[str] = []
    where = f"group {group['start_s']}-{group['end_s']}"
    for child in group["children"]:
        rows = table.get(Pair(group["adult"], child["child"], True).name, {})
        t = rows.get("t", np.zeros(0))
        inside = (t >= group["start_s"] - 1e-6) & (t < group["end_s"] - 1e-6)
        passes = int(np.nansum(rows.get("turn_exchange", np.zeros(len(t)))[inside]))
        if passes != child["turn_passes"]:
            wrong.append(
                f"{where}: child {child['child']}: {passes} turn passes, not {child['turn_passes']}"
            )
        turned = rows.get("adult_turned_to_child", np.full(len(t), np.nan))[inside]
        with np.errstate(invalid="ignore"):
            turned_s = (
                float((turned >= TURNED).sum() * np.median(np.diff(t))) if len(t) > 1 else 0.0
            )
        # The seconds are written to a tenth.
        if turned_s + 0.05 < child["adult_turned_to_s"]:
            wrong.append(
                f"{where}: the adult turned to child {child['child']} for {turned_s:.1f} s"
            )
        if not ChildTurn(**child).reached:
            wrong.append(f"{where}: child {child['child']} got neither a turn nor attention")
    if "gets a turn" in group["explanation"] and any(
        c["turn_passes"] < 1 for c in group["children"]
    ):
        wrong.append(f"{where}: says each child gets a turn, but not every child has one")
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
