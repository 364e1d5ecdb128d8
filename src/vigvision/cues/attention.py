"""Being attentive: turned towards the other, looking at them, at their level, near them.

Directions come from the observations: ``facing_dx`` (−1 image left … +1 image right) and
the horizontal positions of the two faces. Turning towards someone on one's right in the
image is a positive ``facing_dx``; the cue is that value signed by where the other is.
"""

from __future__ import annotations

import numpy as np

from vigvision.cues.grid import Series


def _sign_towards(from_x: Series, to_x: Series) -> Series:
    with np.errstate(invalid="ignore"):
        return np.asarray(np.sign(to_x - from_x), dtype=np.float64)


def turned_towards(facing_dx: Series, from_x: Series, to_x: Series) -> Series:
    """−1 (turned away) … +1 (turned fully towards the other), NaN where not seen."""
    return np.clip(facing_dx * _sign_towards(from_x, to_x), -1.0, 1.0)


def towards_with_body(face: Series, body: Series) -> Series:
    """Head direction, or the torso's where the face says nothing (back, profile unseen)."""
    return np.where(np.isfinite(face), face, body)


def facing_each_other(a_towards_b: Series, b_towards_a: Series) -> Series:
    """0 … 1: both turned towards each other (the smaller of the two, never below 0)."""
    with np.errstate(invalid="ignore"):
        return np.clip(np.minimum(a_towards_b, b_towards_a), 0.0, 1.0)


def at_level(adult_y: Series, child_y: Series, face_h: Series) -> Series:
    """0 … 1: 1 with heads at the same height, 0 when three face heights apart or more."""
    with np.errstate(invalid="ignore"):
        apart = np.asarray(np.abs(adult_y - child_y) / face_h, dtype=np.float64)
    return np.clip(1.0 - apart / 3.0, 0.0, 1.0)


def distance_in_faces(a_x: Series, a_y: Series, b_x: Series, b_y: Series, face_w: Series) -> Series:
    """Distance between two faces in face widths (so that zooming in or out does not matter)."""
    with np.errstate(invalid="ignore"):
        return np.asarray(np.hypot(a_x - b_x, a_y - b_y) / face_w, dtype=np.float64)


def closeness(distance_faces: Series) -> Series:
    """0 … 1: 1 face to face (about 2 face widths apart), 0.5 at 6, falling further away."""
    return np.clip(1.0 / (1.0 + np.maximum(distance_faces - 2.0, 0.0) / 4.0), 0.0, 1.0)


def stillness(nod_speed: Series, shake_speed: Series, calm_deg_s: float = 60.0) -> Series:
    """0 … 1: 1 when the head is still, 0 at ``calm_deg_s`` degrees per second or more."""
    with np.errstate(invalid="ignore"):
        speed = np.maximum(nod_speed, shake_speed)
    return np.clip(1.0 - speed / calm_deg_s, 0.0, 1.0)


# Motion energy (share of a person's region changing) above which they are moving: seated
# people talking show about 0.05-0.1, a gesture 0.2 and more.
_MOVING = 0.15


def acting(speaks: Series, motion: Series) -> Series:
    """1 where a person speaks or moves, 0 where seen or heard doing neither, NaN unobserved."""
    with np.errstate(invalid="ignore"):
        active = (speaks == 1.0) | (motion > _MOVING)
    observed = np.isfinite(speaks) | np.isfinite(motion)
    return np.where(active, 1.0, np.where(observed, 0.0, np.nan))
