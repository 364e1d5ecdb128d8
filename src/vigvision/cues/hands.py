"""Hands on one thing: the same toy, page or game, and taking turns with it without words.

In a game, a book or making something together the two people's hands meet over the thing
they share, and they often take turns with it (one moves a piece, then the other) long
before, or without, words. Hands come from the body pose (read every few seconds while
hands are near someone else's); how much each one's hands move comes from every analysed
frame. Positions are in face sizes, as in ``cues.shared``.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Final

import numpy as np
from numpy.typing import NDArray

from vigvision.cues.grid import Grid, Series

# Hands this near (face sizes) are on one thing (a toy, a page is about a face wide); at
# twice it they are apart.
_SHARED: Final = 1.0
# A person's hands move when this share of their hand region changes (motion energy):
# well above sensor noise, below the change of a hand moving a piece or turning a page.
_MOVING: Final = 0.04
# One person acts with their hands while the other's are still: their motion is at least
# this many times the other's.
_DOMINANT: Final = 2.0
# A bout of one person's hands acting lasts at least this long (seconds) ...
_BOUT_S: Final = 0.4
# ... and the other person's bout starts within this long after it ends to take the turn.
_NEXT_WITHIN_S: Final = 3.0
# Hand motion is averaged over this long (seconds): a move is one bout, not flickers.
_SMOOTH_S: Final = 0.6
# Levels of hands_in_shared_space that count as hands on one thing.
TOGETHER: Final = 0.5

Hand = tuple[Series, Series]


def hands_in_shared_space(first: list[Hand], second: list[Hand]) -> Series:
    """0 … 1: a hand of each person on one thing (1 within a face size, 0 at 2 or more).

    ``first`` and ``second``: each person's hands (x, y in face sizes). NaN where either
    person has no hand seen.

    >>> def hand(x, y): return np.array([x]), np.array([y])
    >>> unseen = hand(np.nan, np.nan)
    >>> hands_in_shared_space([hand(4.0, 6.0), unseen], [hand(5.0, 6.0), unseen])  # one toy
    array([1.])
    >>> hands_in_shared_space([hand(1.0, 6.0), unseen], [hand(8.0, 6.0), unseen])  # apart
    array([0.])
    >>> hands_in_shared_space([unseen, unseen], [hand(8.0, 6.0), unseen])
    array([nan])
    """
    gaps = [np.hypot(ax - bx, ay - by) for ax, ay in first for bx, by in second]
    stacked = np.vstack(gaps)
    seen = np.isfinite(stacked).any(axis=0)
    nearest = np.where(seen, np.min(np.where(np.isfinite(stacked), stacked, np.inf), axis=0), 0)
    level = np.clip(2.0 - nearest / _SHARED, 0.0, 1.0)
    return np.where(seen, level, np.nan)


Bout = tuple[int, float, float]
"""(who, start, end): 1 for the first person, 2 for the second."""


def hand_turns(bouts: list[Bout]) -> list[float]:
    """Times at which the hands' turn passes: a bout of one person's hands (``hand_bouts``)
    followed by a bout of the other's within 3 s.

    >>> grid = Grid.over(8.0, 0.2)
    >>> first = np.where((grid.t >= 1) & (grid.t < 2.5), 0.2, 0.0)
    >>> second = np.where((grid.t >= 3.5) & (grid.t < 5), 0.2, 0.0)
    >>> [round(t, 1) for t in hand_turns(hand_bouts(grid, first, second))]
    [3.4]
    """
    return [
        start
        for (who, _, end), (next_who, start, _) in pairwise(bouts)
        if next_who != who and start - end <= _NEXT_WITHIN_S
    ]


def hand_bouts(grid: Grid, first_motion: Series, second_motion: Series) -> list[Bout]:
    """Stretches in which one person's hands move and the other's are still."""
    cells = max(1, round(_SMOOTH_S / grid.step))
    kernel = np.ones(cells) / cells
    moving = [
        np.convolve(np.nan_to_num(m, nan=0.0), kernel, mode="same")
        for m in (first_motion, second_motion)
    ]
    seen = np.isfinite(first_motion) & np.isfinite(second_motion)
    side = np.zeros(len(grid), dtype=np.int8)  # 0 neither, 1 first acts, 2 second acts
    for me, (mine, theirs) in enumerate(((moving[0], moving[1]), (moving[1], moving[0])), 1):
        side[seen & (mine >= _MOVING) & (mine >= _DOMINANT * theirs)] = me
    end_t = np.append(grid.t, grid.t[-1] + grid.step) if len(grid) else grid.t
    return [
        (who, float(grid.t[first]), float(end_t[last]))
        for who, first, last in _bouts(side, max(1, round(_BOUT_S / grid.step)))
    ]


def _bouts(side: NDArray[np.int8], min_cells: int) -> list[tuple[int, int, int]]:
    """Runs of one side acting (who, first cell, cell after the last), at least ``min_cells``."""
    changes = np.flatnonzero(np.diff(side)) + 1
    starts = np.concatenate([[0], changes])
    ends = np.concatenate([changes, [len(side)]])
    return [
        (int(side[s]), int(s), int(e))
        for s, e in zip(starts, ends, strict=True)
        if side[s] and e - s >= min_cells
    ]


def in_shared_space(turns: list[float], grid: Grid, shared: Series) -> list[float]:
    """The hands' turns taken while their hands share a space (the game, not two tasks)."""
    index = np.clip(np.round(np.asarray(turns) / grid.step).astype(int), 0, len(grid) - 1)
    return [t for t, i in zip(turns, index, strict=True) if shared[i] >= TOGETHER]
