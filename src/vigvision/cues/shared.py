"""Attention shared on something, not face to face: looking at the same place, following a look.

Most good moments of a game, a book or making something together are not face to face:
both look at the same page, the adult turns to where the child looks. Each person's look
is a ray in the picture, from the middle of their face along where it points (their gaze
where the eyes are seen, else their head); two rays that meet in front of both, away from
either face, look at the same place.

Positions are in face sizes (x in face widths, y in face heights): faces are about as wide
as they are high, so these units are the same both ways whatever the frame's shape.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray

from vigvision.cues.grid import Grid, Series, apart

# A look reaches this far into the picture (face sizes): a table, a book, a toy nearby.
_REACH: Final = 8.0
_SAMPLES: Final = 33
# A head turned less than this into the picture (length of its direction, 0-1) looks at
# the camera, at nothing in the picture.
_INTO_PICTURE: Final = 0.25
# Rays passing within this (face sizes) look at one place; at twice it, at two places.
_SAME_PLACE: Final = 1.0
# Two looks meeting this near a face (face sizes) from nearly opposite directions (at least
# this many degrees apart) are looking at each other, another cue. Less opposite, they meet
# on something the person holds or bends over (a book on the lap, a toy in the hands).
_NEAR_FACE: Final = 1.5
_OPPOSITE_DEG: Final = 135.0
# Instants (grid cells) compared at a time: memory stays small on long films.
_BLOCK: Final = 2048


def look_direction(gaze: Series, head: Series) -> Series:
    """Where someone looks sideways: the gaze (head and eyes) where the eyes were seen, else
    the head. (Up and down, only the head is used: looking down, the eyelids follow the eyes
    and hide the iris, so the eyes' vertical direction is not seen.)"""
    return np.where(np.isfinite(gaze), gaze, head)


def looking_at_same_place(
    first_at: tuple[Series, Series],
    first_look: tuple[Series, Series],
    second_at: tuple[Series, Series],
    second_look: tuple[Series, Series],
) -> Series:
    """0 … 1: both look at one place in the picture that is neither of them. NaN unseen.

    ``*_at``: the middle of each face (x, y in face sizes, y down); ``*_look``: where each
    looks (``facing_dx``, ``facing_dy``: −1 … +1, dy up). 1 where the two looks cross, 0
    where they pass two face sizes apart or more, where either looks at the camera, or where
    they meet at a face (that is looking at each other).

    >>> def point(x, y): return np.array([x]), np.array([y])
    >>> at_left, at_right = point(2.0, 2.0), point(8.0, 2.0)
    >>> down_right, down_left = point(0.5, -0.5), point(-0.5, -0.5)
    >>> looking_at_same_place(at_left, down_right, at_right, down_left)  # both at the table
    array([1.])
    >>> looking_at_same_place(at_left, down_left, at_right, down_right)  # both away, outwards
    array([0.])
    """
    starts = [np.stack(first_at, axis=1), np.stack(second_at, axis=1)]
    # Image y grows downwards; a look upwards (dy > 0) goes to smaller y.
    looks = [np.stack([dx, -dy], axis=1) for dx, dy in (first_look, second_look)]
    out = np.full(len(starts[0]), np.nan)
    for first in range(0, len(out), _BLOCK):
        part = slice(first, first + _BLOCK)
        out[part] = _same_place([s[part] for s in starts], [look[part] for look in looks])
    return out


def _same_place(starts: list[NDArray[np.float64]], looks: list[NDArray[np.float64]]) -> Series:
    """``looking_at_same_place`` for points (n × 2) and image directions (n × 2)."""
    seen = np.all(np.isfinite(np.hstack([*starts, *looks])), axis=1)
    into = [np.linalg.norm(look, axis=1) for look in looks]
    steps = np.linspace(0.0, _REACH, _SAMPLES)
    rays = []
    for start, look, length in zip(starts, looks, into, strict=True):
        unit = look / np.maximum(length, 1e-9)[:, None]
        rays.append(start[:, None, :] + steps[None, :, None] * unit[:, None, :])
    # Closest pair of points of the two rays, and the place halfway between them. (The
    # distances as np.linalg.norm works them out, x and y apart: no n × 33 × 33 × 2 copies.)
    across = rays[0][:, :, None, 0] - rays[1][:, None, :, 0]
    down = rays[0][:, :, None, 1] - rays[1][:, None, :, 1]
    gaps = np.sqrt(across * across + down * down)
    flat = np.nan_to_num(gaps, nan=np.inf).reshape(len(gaps), -1).argmin(axis=1)
    i, j = np.unravel_index(flat, gaps.shape[1:])
    rows = np.arange(len(gaps))
    closest = gaps[rows, i, j]
    place = (rays[0][rows, i] + rays[1][rows, j]) / 2
    near_a_face = np.minimum(
        np.linalg.norm(place - starts[0], axis=1), np.linalg.norm(place - starts[1], axis=1)
    )
    with np.errstate(invalid="ignore"):
        units = [
            look / np.maximum(length, 1e-9)[:, None]
            for look, length in zip(looks, into, strict=True)
        ]
        opposite = np.sum(units[0] * units[1], axis=1) <= np.cos(np.radians(_OPPOSITE_DEG))
        level = np.clip(1.0 - (closest - _SAME_PLACE) / _SAME_PLACE, 0.0, 1.0)
        level = np.where((into[0] < _INTO_PICTURE) | (into[1] < _INTO_PICTURE), 0.0, level)
        level = np.where((near_a_face < _NEAR_FACE) & opposite, 0.0, level)
    return np.where(seen, level, np.nan)


# A look moves to a new place when its direction turns by this much (degrees) within
# _SHIFT_S seconds; the other follows if they come to look at the same place within
# _FOLLOW_S seconds after.
_SHIFT_DEG: Final = 30.0
_SHIFT_S: Final = 0.6
_FOLLOW_S: Final = 2.0
# Levels of looking_at_same_place that count as looking at one place.
_TOGETHER: Final = 0.5


def look_shifts(grid: Grid, look: tuple[Series, Series]) -> list[float]:
    """Times where someone's look moves to a new place in the picture (at most one per
    ``_FOLLOW_S``).

    >>> grid = Grid.over(6.0, 0.2)
    >>> right, left = (0.6, -0.3), (-0.6, -0.3)
    >>> dx = np.where(grid.t < 3.0, right[0], left[0]); dy = np.full(len(grid), -0.3)
    >>> [round(t, 1) for t in look_shifts(grid, (dx, dy))]
    [3.0]
    """
    dx, dy = look
    angle = np.degrees(np.arctan2(-dy, dx))
    lag = max(1, round(_SHIFT_S / grid.step))
    with np.errstate(invalid="ignore"):
        turned = np.abs((angle[lag:] - angle[:-lag] + 180.0) % 360.0 - 180.0)
        into = np.hypot(dx, dy)[lag:] >= _INTO_PICTURE
    moved = np.flatnonzero((turned >= _SHIFT_DEG) & into) + lag
    # Each at the first instant of the new direction.
    return apart([float(grid.t[index]) for index in moved], _FOLLOW_S)


def follows_look(grid: Grid, shifts: list[float], same_place: Series) -> Series:
    """At each shift of the child's look: 1 if the two come to look at the same place within
    ``_FOLLOW_S`` after it (not already before), else 0; NaN between shifts and where the
    two were not seen.

    >>> grid = Grid.over(6.0, 0.2)
    >>> together = np.where(grid.t >= 2.6, 1.0, 0.0)
    >>> cue = follows_look(grid, [1.0, 4.0], together)
    >>> cue[5], cue[20], int(np.isfinite(cue).sum())
    (1.0, 0.0, 2)
    """
    out = np.full(len(grid), np.nan)
    for t in shifts:
        index = round(t / grid.step)
        after = (grid.t > t) & (grid.t <= t + _FOLLOW_S)
        seen = same_place[after][np.isfinite(same_place[after])]
        if not len(seen) or not 0 <= index < len(out):
            continue
        already = index > 0 and same_place[index - 1] >= _TOGETHER
        out[index] = float(np.any(seen >= _TOGETHER) and not already)
    return out
