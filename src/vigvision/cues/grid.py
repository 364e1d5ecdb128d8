"""One time grid for every cue: observations and speech sampled at regular instants."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from vigvision.observations import Observations
from vigvision.turns import Speech

Series = NDArray[np.float64]


@dataclass(frozen=True)
class Grid:
    """Instants ``t`` (seconds) every ``step`` seconds from 0 to the film's end."""

    t: Series
    step: float

    @classmethod
    def over(cls, duration_s: float, step: float) -> Grid:
        return cls(np.arange(0.0, max(duration_s, step), step), step)

    def index_of(self, t: float) -> int:
        """The instant nearest to ``t`` (the first or last outside the grid)."""
        return int(np.clip(round(t / self.step), 0, len(self.t) - 1))

    def __len__(self) -> int:
        return len(self.t)


def sample(
    grid: Grid, observations: Observations, person: int, column: str, reach_s: float
) -> Series:
    """A person's ``column`` at each instant: the nearest observation of it within ``reach_s``.

    NaN where it was not observed that close in time: a gap in sight stays a gap. (Some
    columns are observed in fewer frames than the person is seen: the body pose, the hands.)
    """
    rows = observations.of_person(person)
    values = rows[column].astype(np.float64)
    observed = np.isfinite(values)
    times, values = rows["t"][observed], values[observed]
    out = np.full(len(grid), np.nan)
    if len(times) == 0:
        return out
    after = np.clip(np.searchsorted(times, grid.t), 0, len(times) - 1)
    before = np.clip(after - 1, 0, len(times) - 1)
    nearest = np.where(
        np.abs(times[before] - grid.t) <= np.abs(times[after] - grid.t), before, after
    )
    close = np.abs(times[nearest] - grid.t) <= reach_s
    out[close] = values[nearest[close]]
    return out


def shifted(values: Series, lag: int) -> Series:
    """``values[i + lag]`` at each i (NaN past either end).

    >>> shifted(np.array([1.0, 2.0, 3.0]), 1)
    array([ 2.,  3., nan])
    >>> shifted(np.array([1.0, 2.0]), -3)  # a lag longer than a short film
    array([nan, nan])
    """
    out = np.full(len(values), np.nan)
    if abs(lag) >= len(values):
        return out
    if lag >= 0:
        out[: len(values) - lag] = values[lag:]
    else:
        out[-lag:] = values[: len(values) + lag]
    return out


def apart(times: list[float], gap_s: float) -> list[float]:
    """The times in order, each at least ``gap_s`` after the one kept before it.

    >>> apart([3.0, 1.0, 1.5, 2.9], gap_s=1.0)
    [1.0, 2.9]
    """
    kept: list[float] = []
    for t in sorted(times):
        if not kept or t - kept[-1] >= gap_s:
            kept.append(t)
    return kept


def unheard(grid: Grid, speech: Speech) -> NDArray[np.bool_]:
    """True where voices could not be heard: no sound track, or music or steady noise."""
    if not speech.observable:
        return np.ones(len(grid), dtype=bool)
    out = np.zeros(len(grid), dtype=bool)
    for start, end in speech.unclear:
        out[(grid.t >= start) & (grid.t < end)] = True
    return out
