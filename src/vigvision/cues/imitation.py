"""Imitation: one person doing again, a moment later, what the other has just done.

A nod answered by a nod, a smile by a smile, hands set moving as the other's just were.
Two measures, on each kind of movement (``KINDS``):

- ``repeats`` (the events ``adult_repeats_child``, ``child_repeats_adult``): each kind cut
  into bouts (from still to moving); a bout of one is repeated when the other starts a bout
  of the same kind 0.6-4 s later, having not been doing it already.
- ``lagged_similarity`` (the level ``imitation``): over the 10 s around each instant, how
  much more alike the other's movement is to the first's 0.6-4 s later than at once, and
  than by chance (the same measure with the other's movement shifted far away in the film:
  a shuffled baseline). Doing it at the same time is moving together
  (``movement_synchrony``), not repeating: it is alike at once, and scores below 0.

Bout starts depend on thresholds, and the measures of one face cross them up to 2 s apart
from those of the same face mirrored: so bouts alone took moving at once for repeating on
real footage. Whole movement curves keep their timing. In benchmarks/activities.py a
laughing adult beside a mirrored copy of themselves 1.5 s later scores 0.27, beside the
same copy at the same time −0.24, beside an unrelated child −0.01 (bouts: 0.12, 0.26, 0.17).
Each kind is scored on its own and the kinds seen are averaged: one alike by luck is not
imitation.

Movement only: the sound gives one pitch per stretch of speech, too little to tell a
melody repeated from any answer. A column for research, neither said nor scored.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from vigvision.cues.grid import Grid, Series, shifted

# A repeat starts this long after the bout it repeats (seconds).
LATER_S: Final = (0.6, 4.0)
# Alike "at once": within this lag either way (seconds).
AT_ONCE_S: Final = 0.4
# Movement curves are compared over this long around each instant (seconds)...
WINDOW_S: Final = 10.0
# ... where both people were seen for at least this share of it.
_MIN_SEEN: Final = 0.6
# The chance level: the other's curve shifted to this many other places in the film.
_SHUFFLES: Final = 6
# Still for this long (seconds) before moving again: a new bout.
_STILL_BEFORE_S: Final = 0.6


@dataclass(frozen=True)
class Kind:
    """A kind of movement: the column it is read from and the level from which it moves."""

    column: str
    moving_from: float


KINDS: Final = (
    Kind("nod_speed", 25.0),  # degrees a second: a nod
    Kind("shake_speed", 25.0),  # a shake of the head
    Kind("smile", 0.4),
    Kind("hand_motion", 0.04),  # share of the hand's region changing
    Kind("motion", 0.05),  # head and upper body
)


@dataclass(frozen=True)
class Repeats:
    """How one person repeats the other's bouts: at each bout start of the first person,
    ``done`` (1 repeated, 0 not; NaN elsewhere) and ``above_chance`` (1 − chance or − chance)."""

    done: Series
    above_chance: Series


def bout_starts(grid: Grid, values: Series, moving_from: float) -> NDArray[np.int64]:
    """Grid cells where a movement starts after ``_STILL_BEFORE_S`` of stillness (seen).

    >>> grid = Grid.over(4.0, 0.2)
    >>> nods = np.zeros(len(grid)); nods[5:8] = 40; nods[9:10] = 40; nods[14:16] = 40
    >>> bout_starts(grid, nods, moving_from=25.0).tolist()  # 1.8 s: too soon after
    [5, 14]
    """
    still = max(1, round(_STILL_BEFORE_S / grid.step))
    with np.errstate(invalid="ignore"):
        moving = values >= moving_from
        quiet = values < moving_from
    # Quiet cells among the ``still`` before each cell (unseen ones are not quiet).
    quiet_total = np.concatenate([[0], np.cumsum(quiet)])
    cells = np.arange(len(values))
    before = quiet_total[cells] - quiet_total[np.maximum(cells - still, 0)]
    return np.flatnonzero(moving & (cells >= still) & (before == still)).astype(np.int64)


def repeats(grid: Grid, first: list[Series], second: list[Series]) -> Repeats:
    """Whether the second person repeats each bout of the first (same kinds, ``KINDS`` order).

    >>> grid = Grid.over(60.0, 0.2)
    >>> child = np.zeros(len(grid)); child[[50, 150, 250]] = 40.0  # three nods
    >>> adult = np.roll(child, 8)  # each nodded back 1.6 s later
    >>> still = [np.zeros(len(grid))] * (len(KINDS) - 1)
    >>> found = repeats(grid, [child, *still], [adult, *still])
    >>> int(np.nansum(found.done)), round(float(np.nanmean(found.above_chance)), 2)
    (3, 0.84)
    """
    done = np.full(len(grid), np.nan)
    above = np.full(len(grid), np.nan)
    soon, late = (round(s / grid.step) for s in LATER_S)
    for kind, mine, theirs in zip(KINDS, first, second, strict=True):
        theirs_start = bout_starts(grid, theirs, kind.moving_from)
        seen = np.isfinite(theirs)
        if not seen.any():
            continue
        # How likely they start this movement in any such stretch anyway (their own rate).
        rate = len(theirs_start) / (seen.sum() * grid.step)
        chance = 1.0 - math.exp(-rate * (late - soon) * grid.step)
        with np.errstate(invalid="ignore"):
            already = theirs >= kind.moving_from
        # Each bout of the first: not while the other does it already (that is together),
        # and only with the other seen in the stretch after it (else: no evidence).
        starts = bout_starts(grid, mine, kind.moving_from)
        seen_total = np.concatenate([[0], np.cumsum(seen)])
        after = seen_total[np.minimum(starts + late + 1, len(grid))]
        observed = after - seen_total[np.minimum(starts + soon, len(grid))] > 0
        cells = starts[observed & ~already[starts]]
        # Their first bout from ``soon`` on after each: a repeat if it comes by ``late``.
        following = np.searchsorted(theirs_start, cells + soon)
        repeated = np.zeros(len(cells))
        if len(theirs_start):
            nearest = theirs_start[np.minimum(following, len(theirs_start) - 1)]
            repeated = ((following < len(theirs_start)) & (nearest <= cells + late)).astype(float)
        # Several kinds starting at once: the bout counts once, repeated if any was.
        done[cells] = np.fmax(done[cells], repeated)
        above[cells] = np.fmax(above[cells], repeated - chance)
    return Repeats(done, above)


def window_correlation(first: Series, second: Series, half: int) -> Series:
    """Pearson correlation of the two over ``2 * half + 1`` cells around each cell, where
    both were seen for ``_MIN_SEEN`` of them (NaN elsewhere); 0 where either did not move.

    >>> t = np.arange(40.0)
    >>> float(window_correlation(np.sin(t), np.sin(t), half=5)[20].round(2))
    1.0
    >>> float(window_correlation(np.sin(t), -np.sin(t), half=5)[20].round(2))
    -1.0
    """
    seen = np.isfinite(first) & np.isfinite(second)
    x, y = np.where(seen, first, 0.0), np.where(seen, second, 0.0)
    cells = np.arange(len(first))
    low, high = np.clip(cells - half, 0, len(first)), np.clip(cells + half + 1, 0, len(first))

    def total(values: NDArray[np.float64]) -> NDArray[np.float64]:
        running = np.concatenate([[0.0], np.cumsum(values)])
        return np.asarray(running[high] - running[low], dtype=np.float64)

    n = total(seen.astype(float))
    with np.errstate(invalid="ignore", divide="ignore"):
        sx, sy = total(x), total(y)
        vx = total(x * x) - sx * sx / n
        vy = total(y * y) - sy * sy / n
        cov = total(x * y) - sx * sy / n
        r = cov / np.sqrt(vx * vy)
    still = (vx <= 1e-9 * n) | (vy <= 1e-9 * n)
    r = np.where(still, 0.0, r)
    enough = n >= _MIN_SEEN * (2 * half + 1)
    return np.asarray(np.where(enough, np.clip(r, -1.0, 1.0), np.nan), dtype=np.float64)


def lagged_similarity(grid: Grid, first: list[Series], second: list[Series]) -> Series:
    """How much the second person's movement follows the first's a moment later, above how
    alike the two move at once and above chance: −1 … 1 at each instant (``KINDS`` order;
    the kind that follows most), NaN where the two were not both seen.

    >>> grid = Grid.over(60.0, 0.2)
    >>> rng = np.random.default_rng(1)
    >>> child = np.convolve(rng.random(len(grid)) > 0.95, np.ones(5), "same").astype(float)
    >>> later = np.roll(child, 8)  # the adult does each again 1.6 s later
    >>> still = [np.full(len(grid), np.nan)] * (len(KINDS) - 1)
    >>> round(float(np.nanmean(lagged_similarity(grid, [child, *still], [later, *still]))), 1)
    0.6
    >>> at_once = lagged_similarity(grid, [child, *still], [child, *still])
    >>> bool(np.nanmean(at_once) < 0)
    True
    """
    half = round(WINDOW_S / grid.step / 2)
    soon, late = (round(s / grid.step) for s in LATER_S)
    once = round(AT_ONCE_S / grid.step)
    scores: list[Series] = []
    for mine, theirs in zip(first, second, strict=True):
        if not (np.isfinite(mine).any() and np.isfinite(theirs).any()):
            continue

        def most_alike(other: Series, lags: range, mine: Series = mine) -> Series:
            rows = [window_correlation(mine, shifted(other, lag), half) for lag in lags]
            with np.errstate(invalid="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN cells stay NaN
                return np.asarray(np.nanmax(np.vstack(rows), axis=0))

        later = most_alike(theirs, range(soon, late + 1))
        together = most_alike(theirs, range(-once, once + 1))
        # Chance: the same, with their movement from elsewhere in the film (shifted, wrapping
        # round, by more than the longest lag either way: no repeat can line up).
        shifts = [len(grid) * (k + 1) // (_SHUFFLES + 1) for k in range(_SHUFFLES)]
        shuffled = [
            most_alike(np.roll(theirs, shift), range(soon, late + 1))
            for shift in shifts
            if min(shift, len(grid) - shift) > 2 * late
        ]
        pooled = np.concatenate(shuffled) if shuffled else np.zeros(0)
        chance = float(np.nanmedian(pooled)) if np.isfinite(pooled).any() else 0.0
        scores.append(later - np.fmax(together, chance))
    if not scores:
        return np.full(len(grid), np.nan)
    # The kinds seen, together: one kind alike by luck is not imitation.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.asarray(np.nanmean(np.vstack(scores), axis=0))
