"""A warm, lively voice: the adult speaking higher and more melodically than they usually do.

Adults speaking to a baby or a young child raise their pitch and widen its range
(infant-directed speech: Fernald 1989, about 2-4 semitones higher and a wider melody).
Voices differ far more from one person to the next than that, so each stretch is compared
with the same adult's own speech in the film, never with anyone else's.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np

from vigvision.turns import Said

# A stretch this many semitones above the adult's usual pitch is fully lively (1.0) ...
_HIGHER_ST: Final = 3.0
# ... as is one whose melody moves this many times as widely as usual.
_WIDER: Final = 1.5
# The usual is known from this many of the adult's stretches with a melody, or more.
_MIN_STRETCHES: Final = 5


def voice_warmth(said: list[Said]) -> list[tuple[float, float]]:
    """(start, level 0-1) of each of one adult's stretches of speech: how much livelier than
    their own usual it sounds. Empty when too little of their speech has a melody.

    >>> from pyannote.core import Segment
    >>> def said(start, pitch, spread):
    ...     return Said(Segment(start, start + 1), "voice_1", 1, "adult", pitch, spread)
    >>> usual = [said(t, 150.0, 4.0) for t in range(6)]
    >>> [level for _, level in voice_warmth(usual + [said(10, 190.0, 4.0), said(12, 150.0, 8.0)])]
    [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0]
    """
    melodic = [s for s in said if math.isfinite(s.pitch_hz) and math.isfinite(s.pitch_range_st)]
    if len(melodic) < _MIN_STRETCHES:
        return []
    usual_pitch = float(np.median([s.pitch_hz for s in melodic]))
    usual_range = float(np.median([s.pitch_range_st for s in melodic]))
    levels = []
    for s in melodic:
        higher = 12 * math.log2(s.pitch_hz / usual_pitch) / _HIGHER_ST
        wider = (s.pitch_range_st / max(usual_range, 1e-6) - 1) / (_WIDER - 1)
        levels.append((s.start, float(np.clip(max(higher, wider), 0.0, 1.0))))
    return levels
