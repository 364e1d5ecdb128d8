"""Imitation: one person doing again, a moment later, what the other has just done.

A nod answered by a nod, a smile by a smile, hands set moving as the other's just were:
each kind of movement of each person is cut into bouts (from still to moving); a bout of
one is *repeated* when the other starts a bout of the same kind 0.6-4 s later, having not
been doing it already. Doing it at the same time is moving together
(``movement_synchrony``), not repeating.

Someone who nods all the time will "repeat" any nod by chance. The chance is the other
person's own rate of starting that movement, as if their bouts were shuffled in time:
each bout of one scores 1 − chance when repeated and − chance when not, so over a moment
the mean is how much more often than chance the other repeats (0: no more than chance).

Movement only: the sound gives one pitch per stretch of speech, too little to tell a
melody repeated from any answer.

A column for research, neither said nor scored: on real footage the measures of one face
are not steady enough to time a repeat. A laughing adult beside a mirrored copy of
themselves 1.5 s later scored 0.16 (above chance), the same copy at the same time 0.44,
an unrelated child 0.10 (benchmarks/activities.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from vigvision.cues.grid import Grid, Series

# A repeat starts this long after the bout it repeats (seconds).
LATER_S: Final = (0.6, 4.0)
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
