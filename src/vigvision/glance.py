"""A first look at a film, to know where to watch it closely.

A key frame decodes on its own, without the frames before it, so looking at the key frames
alone costs a small part of decoding the film. At each one (at most one every
``glance_every_s``) the faces are counted, and a body with no face beside a single face, as
when watching closely. A stretch between two glances that both saw fewer than
``glance_min_people`` (by default: nobody in view) is not watched closely; every other
stretch is, at the full analysis rate.
A gap between glances longer than ``glance_max_gap_s`` is always watched closely: people
could come and go unseen in it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vigvision.config import Settings
from vigvision.errors import FilmError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Glance:
    """How many people were seen in the key frame at ``t``."""

    t: float
    people: int


@dataclass(frozen=True)
class Stretch:
    """A part of the film, watched closely (every analysed frame) or only glanced at."""

    start_s: float
    end_s: float
    closely: bool

    @property
    def seconds(self) -> float:
        return self.end_s - self.start_s

    def to_json(self) -> dict[str, Any]:
        return {
            "start_s": round(self.start_s, 3),
            "end_s": round(self.end_s, 3),
            "watched": "closely" if self.closely else "glanced at",
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Stretch:
        return cls(float(data["start_s"]), float(data["end_s"]), data["watched"] == "closely")


def everywhere(duration_s: float) -> tuple[Stretch, ...]:
    """The whole film watched closely."""
    return (Stretch(0.0, duration_s, closely=True),)


def plan_watching(
    glances: Sequence[Glance], duration_s: float, *, min_people: int, max_gap_s: float
) -> tuple[Stretch, ...]:
    """Which stretches to watch closely, from the glances (in time order).

    A stretch between two glances is only glanced at when both saw fewer than
    ``min_people`` and they are at most ``max_gap_s`` apart; before the first glance and
    after the last, one glance is enough when it is that near. Neighbouring stretches
    watched the same way are joined.

    >>> seen = [Glance(0, 0), Glance(8, 0), Glance(16, 2), Glance(24, 1), Glance(32, 1)]
    >>> [(s.start_s, s.end_s, s.closely) for s in plan_watching(
    ...     seen, duration_s=36, min_people=2, max_gap_s=12)]
    [(0.0, 8.0, False), (8.0, 24.0, True), (24.0, 36.0, False)]
    >>> [(s.start_s, s.end_s, s.closely) for s in plan_watching(
    ...     [Glance(0, 0), Glance(20, 0)], duration_s=22, min_people=2, max_gap_s=12)]
    [(0.0, 20.0, True), (20.0, 22.0, False)]
    """
    if duration_s <= 0:
        return ()
    if not glances:
        return everywhere(duration_s)
    few = [glance.people < min_people for glance in glances]
    times = [float(glance.t) for glance in glances]
    pieces: list[Stretch] = []
    first, last = times[0], times[-1]
    if first > 0:
        pieces.append(Stretch(0.0, first, not (few[0] and first <= max_gap_s)))
    for i in range(len(times) - 1):
        start, end = times[i], times[i + 1]
        skip = few[i] and few[i + 1] and end - start <= max_gap_s
        pieces.append(Stretch(start, end, not skip))
    if last < duration_s:
        near = duration_s - last <= max_gap_s
        pieces.append(Stretch(last, float(duration_s), not (few[-1] and near)))
    return _joined(pieces)


def _joined(pieces: Iterable[Stretch]) -> tuple[Stretch, ...]:
    out: list[Stretch] = []
    for piece in pieces:
        if piece.seconds <= 0:
            continue
        if out and out[-1].closely == piece.closely:
            out[-1] = Stretch(out[-1].start_s, piece.end_s, piece.closely)
        else:
            out.append(piece)
    return tuple(out)


def closely_share(stretches: Sequence[Stretch]) -> float:
    """Share of the film (0-1) watched closely."""
    total = sum(s.seconds for s in stretches)
    return sum(s.seconds for s in stretches if s.closely) / total if total else 0.0


def glance_at_film(
    path: Path, settings: Settings, progress: Callable[[float], None] | None = None
) -> list[Glance]:
    """People counted at the film's key frames, at most one every ``glance_every_s``."""
    from vigvision.film import FrameReader
    from vigvision.perception.bodies import BodyMeasurer
    from vigvision.perception.faces import FaceFinder

    perception = settings.perception
    reader = FrameReader.from_settings(path, settings.film)
    finder = FaceFinder(perception)
    bodies = BodyMeasurer(perception.crop_px) if perception.find_bodies else None
    glances: list[Glance] = []
    try:
        for frame in reader.key_frames(every_s=perception.glance_every_s):
            faces = finder.find(frame.image)
            people = len(faces)
            if bodies is not None and people == 1:
                people += len(bodies.search(frame.image, [faces[0].box]))
            glances.append(Glance(frame.t, people))
            if progress is not None:
                progress(frame.t)
    except FilmError as error:
        # The close watching meets the same damage and says so; up to it, the glances hold.
        log.debug("glancing stopped: %s", error)
    finally:
        finder.close()
        if bodies is not None:
            bodies.close()
    return glances
