"""What grew across the cycles of a VIG work: the films of a case, first to last.

A case has about three cycles, each a film and its shared review. For each film this reads
a few measures of the adult and child of its main pair (the pair of its first candidate)
from ``cues.csv``, then says in plain, strengths-based words what there is more of in the
latest film than in the first. A measure that is lower in the latest film is never told as a
loss: what there is of it in the latest film is said instead, without comparing.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
from numpy.typing import NDArray

# More counts as grown when it is this much more (share of the first film's figure)...
_GROWTH: Final = 0.25


@dataclass(frozen=True)
class Measure:
    """One thing to compare across films: how it is counted, and how it is told."""

    name: str
    unit: str
    """What the number counts, e.g. "a minute"."""
    grew: str
    """The sentence when there is more of it: "More turns passing between you"."""
    is_there: str
    """The sentence of what there is: "Turns passed between you {value} {unit}"."""
    least: float
    """...and at least this much more in absolute terms."""
    of: Callable[[dict[str, NDArray[np.float64]], float], float]
    """The figure, from the pair's cue columns and the film's minutes."""


def _per_minute(column: str) -> Callable[[dict[str, NDArray[np.float64]], float], float]:
    def count(cues: dict[str, NDArray[np.float64]], minutes: float) -> float:
        values = cues.get(column, np.zeros(0))
        return float(np.nansum(values)) / minutes if minutes > 0 else math.nan

    return count


def _waits(cues: dict[str, NDArray[np.float64]], minutes: float) -> float:
    # A wait of a second or more before the adult answers the child leaves the child room.
    waits = cues.get("adult_waits_s", np.zeros(0))
    return float(np.sum(np.nan_to_num(waits) >= 1.0)) / minutes if minutes > 0 else math.nan


def _share(column: str) -> Callable[[dict[str, NDArray[np.float64]], float], float]:
    def share(cues: dict[str, NDArray[np.float64]], minutes: float) -> float:
        values = cues.get(column, np.zeros(0))
        seen = np.isfinite(values)
        return float(np.mean(values[seen] >= 0.5)) * 100 if seen.any() else math.nan

    return share


def _events_per_minute(column: str) -> Callable[[dict[str, NDArray[np.float64]], float], float]:
    def count(cues: dict[str, NDArray[np.float64]], minutes: float) -> float:
        values = cues.get(column, np.zeros(0))
        return float(np.sum(np.nan_to_num(values) > 0)) / minutes if minutes > 0 else math.nan

    return count


MEASURES: Final = (
    Measure(
        "turn_passes",
        "a minute",
        "More turns passing between you",
        "Turns passed between you {value} times {unit}",
        0.5,
        _per_minute("turn_exchange"),
    ),
    Measure(
        "adult_waits",
        "a minute",
        "You waited for the child more often",
        "You waited for the child {value} times {unit}",
        0.2,
        _waits,
    ),
    Measure(
        "child_initiatives",
        "a minute",
        "The child started things more often",
        "The child started something {value} times {unit}",
        0.2,
        _events_per_minute("child_initiative"),
    ),
    Measure(
        "face_to_face",
        "% of the time you were both seen",
        "More time face to face",
        "You were face to face {value}{unit}",
        5.0,
        _share("facing_each_other"),
    ),
    Measure(
        "shared_smiles",
        "% of the time you were both seen",
        "More smiles shared",
        "You smiled together {value}{unit}",
        2.0,
        _share("shared_smile"),
    ),
)


@dataclass(frozen=True)
class FilmMeasures:
    cycle: int
    film: str
    values: dict[str, float]
    """Each measure's figure (NaN where the film could not show it)."""


def film_measures(cycle: int, film: str, folder: Path) -> FilmMeasures:
    """The measures of one analysed film (its ``suggest`` folder)."""
    cues = _main_pair_cues(folder)
    minutes = _minutes(folder)
    if not cues:  # no adult and child seen together: the film shows none of it
        return FilmMeasures(cycle, film, dict.fromkeys((m.name for m in MEASURES), math.nan))
    return FilmMeasures(cycle, film, {m.name: m.of(cues, minutes) for m in MEASURES})


def what_grew(films: Sequence[FilmMeasures]) -> list[str]:
    """Sentences for the guider and the adult: what there is more of in the latest film than
    in the first, and for the rest what there is in the latest film.

    >>> first = FilmMeasures(1, "a.mp4", {"turn_passes": 4.0, "face_to_face": 60.0})
    >>> last = FilmMeasures(3, "b.mp4", {"turn_passes": 7.0, "face_to_face": 40.0})
    >>> for line in what_grew([first, last]):
    ...     print(line)
    More turns passing between you: 4 a minute in film 1, 7 in film 3.
    You were face to face 40% of the time you were both seen in film 3.
    """
    lines = []
    for measure in MEASURES:
        # The first and the latest film that could show it (a film without the two in
        # view, or too short, says nothing of it).
        showing = [f for f in films if math.isfinite(f.values.get(measure.name, math.nan))]
        if len(showing) < 2 or showing[0].cycle == showing[-1].cycle:
            continue
        first, last = showing[0], showing[-1]
        before, now = first.values[measure.name], last.values[measure.name]
        if now >= before * (1 + _GROWTH) and now - before >= measure.least:
            lines.append(
                f"{measure.grew}: {_figure(before)} {measure.unit} in film {first.cycle}, "
                f"{_figure(now)} in film {last.cycle}."
            )
        elif now > 0:
            told = measure.is_there.format(value=_figure(now), unit=measure.unit)
            lines.append(f"{told} in film {last.cycle}.")
    return lines


def _figure(value: float) -> str:
    return f"{value:.0f}" if value >= 10 or value == round(value) else f"{value:.1f}"


def _main_pair_cues(folder: Path) -> dict[str, NDArray[np.float64]]:
    """The cue columns of the pair of the film's first candidate (its adult and child)."""
    candidates = json.loads((folder / "candidates.json").read_text(encoding="utf-8"))
    pair = next((c.get("pair") for c in candidates.get("candidates", [])), None)
    columns: dict[str, list[float]] = {}
    path = folder / "cues.csv"
    if pair is None or not path.is_file():
        return {}
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["pair"] != pair:
                continue
            for name, value in row.items():
                if name not in ("t", "pair"):
                    columns.setdefault(name, []).append(float(value) if value else math.nan)
    return {name: np.array(values) for name, values in columns.items()}


def _minutes(folder: Path) -> float:
    candidates = json.loads((folder / "candidates.json").read_text(encoding="utf-8"))
    return float(candidates["film"]["duration_s"]) / 60
