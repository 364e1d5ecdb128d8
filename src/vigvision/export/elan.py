"""An ELAN annotation file (.eaf) of the suggestions, for researchers and for checking.

Tiers: ``candidates`` (each moment with its rank and explanation), ``speech <speaker>``
(who speaks when), ``facing each other`` (stretches where the two face each other). ELAN
opens it beside the film, which it links to.
"""

from __future__ import annotations

import mimetypes
import os
from pathlib import Path
from typing import Final

import numpy as np
import pympi
from numpy.typing import NDArray
from pyannote.core import Segment, Timeline

from vigvision.suggest import Suggestions
from vigvision.turns import Speech

# Facing each other counts as a stretch on the tier from this level (0-1) ...
_FACING: Final = 0.3
# ... for at least this long (seconds).
_MIN_STRETCH_S: Final = 0.6


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def stretches(
    t: NDArray[np.float64], values: NDArray[np.float64], level: float, min_s: float, step: float
) -> Timeline:
    """Runs where ``values`` ≥ ``level`` lasting at least ``min_s`` seconds."""
    above = np.concatenate([[False], np.nan_to_num(values, nan=0.0) >= level, [False]])
    starts = np.flatnonzero(~above[:-1] & above[1:])
    ends = np.flatnonzero(above[:-1] & ~above[1:])
    runs = [Segment(float(t[a]), float(t[b - 1] + step)) for a, b in zip(starts, ends, strict=True)]
    return Timeline([run for run in runs if run.duration >= min_s])


def write_eaf(suggestions: Suggestions, speech: Speech, target: Path) -> None:
    eaf = pympi.Elan.Eaf(author="vigvision")
    film = suggestions.info.path
    # ELAN finds the film by URL, and by the path relative to the .eaf when the folder moves.
    mime = mimetypes.guess_type(film.name)[0] or "video/mp4"
    relative = os.path.relpath(film, target.parent)
    eaf.add_linked_file(film.resolve().as_uri(), relpath=relative, mimetype=mime)
    eaf.add_tier("candidates")
    for c in suggestions.candidates:
        eaf.add_annotation("candidates", _ms(c.start_s), _ms(c.end_s), f"{c.rank}. {c.explanation}")
    for speaker in sorted({s.speaker for s in speech.segments}):
        tier = f"speech {speaker}"
        eaf.add_tier(tier)
        for s in speech.segments:
            if s.speaker == speaker and _ms(s.end) > _ms(s.start):
                eaf.add_annotation(tier, _ms(s.start), _ms(s.end), s.role)
    if speech.unclear:
        eaf.add_tier("music or steady sound")
        for start, end in speech.unclear:
            eaf.add_annotation("music or steady sound", _ms(start), _ms(end), "voices not heard")
    if suggestions.cues:
        cues = suggestions.cues[0]
        eaf.add_tier("facing each other")
        facing = cues.cues["facing_each_other"]
        for start, end in stretches(cues.grid.t, facing, _FACING, _MIN_STRETCH_S, cues.grid.step):
            eaf.add_annotation("facing each other", _ms(start), _ms(end), cues.pair.name)
    eaf.remove_tier("default")
    eaf.to_file(str(target))
