"""A first look at a film, to know where to watch it closely.

A key frame decodes on its own, without the frames before it, so looking at the key frames
alone costs a small part of decoding the film. At each one (at most one every
``glance_every_s``) the faces are found and measured, and a body with no face beside a
single face is looked for, as when watching closely (``observe.first_look``).

- A stretch between two glances that both saw fewer than ``glance_min_people`` (by
  default: nobody in view) is not watched closely (``plan_watching``). A gap between
  glances longer than ``glance_max_gap_s`` is always watched: people could come and go
  unseen in it.
- ``suggest`` goes further (``closely_where``): what the glances saw, held until the next
  one (``held``), and the whole sound track are ranked as ``suggest`` ranks a close watch;
  only the stretches around the best ``closely_moments`` of those moments are watched
  closely, at the full analysis rate: as many as a guider is shown, however long the
  film. Decoding every frame costs more than anything else, so this is what makes
  ``suggest`` quicker than a plain decode.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from pyannote.core import Segment

from vigvision.config import Settings
from vigvision.errors import FilmError

if TYPE_CHECKING:
    from vigvision.film import Frame

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Glance:
    """How many people were seen in the key frame at ``t``."""

    t: float
    people: int
    new_view: bool = False
    """It shows another view than the glance before (a cut between them)."""


# Why a stretch was only glanced at.
FEW_IN_VIEW = "too few people in view"
MORE_ELSEWHERE = "the first look found more elsewhere"


@dataclass(frozen=True)
class Stretch:
    """A part of the film, watched closely (every analysed frame) or only glanced at."""

    start_s: float
    end_s: float
    closely: bool
    because: str = ""
    """Why it was only glanced at: ``FEW_IN_VIEW`` or ``MORE_ELSEWHERE``."""

    @property
    def seconds(self) -> float:
        return self.end_s - self.start_s

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "start_s": round(self.start_s, 3),
            "end_s": round(self.end_s, 3),
            "watched": "closely" if self.closely else "glanced at",
        }
        if not self.closely:
            out["because"] = self.because or FEW_IN_VIEW
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Stretch:
        closely = data["watched"] == "closely"
        because = "" if closely else str(data.get("because", FEW_IN_VIEW))
        return cls(float(data["start_s"]), float(data["end_s"]), closely, because)


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
        pieces.append(_seen_or_few(0.0, first, not (few[0] and first <= max_gap_s)))
    for i in range(len(times) - 1):
        start, end = times[i], times[i + 1]
        skip = few[i] and few[i + 1] and end - start <= max_gap_s
        pieces.append(_seen_or_few(start, end, not skip))
    if last < duration_s:
        near = duration_s - last <= max_gap_s
        pieces.append(_seen_or_few(last, float(duration_s), not (few[-1] and near)))
    return _joined(pieces)


def _seen_or_few(start_s: float, end_s: float, closely: bool) -> Stretch:
    return Stretch(start_s, end_s, closely, "" if closely else FEW_IN_VIEW)


def _joined(pieces: Iterable[Stretch]) -> tuple[Stretch, ...]:
    out: list[Stretch] = []
    for piece in pieces:
        if piece.seconds <= 0:
            continue
        last = out[-1] if out else None
        if last is not None and (last.closely, last.because) == (piece.closely, piece.because):
            out[-1] = replace(last, end_s=piece.end_s)
        else:
            out.append(piece)
    return tuple(out)


def closely_where(
    promising: Iterable[Segment], seen: Sequence[Stretch], *, moments: int, pad_s: float
) -> tuple[Stretch, ...]:
    """The plan ``seen`` (where enough people are in view) cut down to the stretches around
    the first ``moments`` of the most promising moments (``promising``, best first, each
    widened by ``pad_s`` on both sides; those where nobody is in view do not count). Gaps
    between them shorter than two pads are watched too: seeking back to a key frame would
    cost as much.

    >>> seen = [Stretch(0, 60, True), Stretch(60, 100, False, FEW_IN_VIEW)]
    >>> plan = closely_where([Segment(30, 40), Segment(70, 80), Segment(5, 10),
    ...                       Segment(50, 55)], seen, moments=2, pad_s=2)
    >>> [(s.start_s, s.end_s, s.closely) for s in plan]
    [(0.0, 3.0, False), (3.0, 12.0, True), (12.0, 28.0, False), (28.0, 42.0, True), \
(42.0, 60.0, False), (60.0, 100.0, False)]
    >>> [s.because for s in plan if not s.closely] == [MORE_ELSEWHERE] * 3 + [FEW_IN_VIEW]
    True
    """
    allowed = [(s.start_s, s.end_s) for s in seen if s.closely]
    chosen: list[tuple[float, float]] = []
    taken = 0
    for moment in promising:
        if taken >= moments:
            break
        start, end = moment.start - pad_s, moment.end + pad_s
        parts = [
            (max(low, start), min(high, end)) for low, high in allowed if start < high and low < end
        ]
        for part in parts:
            chosen = _union(chosen, part, join_below=2 * pad_s)
        taken += bool(parts)
    pieces: list[Stretch] = []
    for stretch in seen:
        if not stretch.closely:
            pieces.append(stretch)
            continue
        at = stretch.start_s
        for low, high in chosen:
            if high <= stretch.start_s or low >= stretch.end_s:
                continue
            low, high = max(low, stretch.start_s), min(high, stretch.end_s)
            pieces.append(Stretch(at, low, False, MORE_ELSEWHERE))
            pieces.append(Stretch(low, high, True))
            at = high
        pieces.append(Stretch(at, stretch.end_s, False, MORE_ELSEWHERE))
    return _joined(Stretch(float(p.start_s), float(p.end_s), p.closely, p.because) for p in pieces)


def from_key_frames(
    stretches: Sequence[Stretch], key_frames: Mapping[float, float], *, within_s: float
) -> tuple[Stretch, ...]:
    """The plan with each stretch watched closely begun at the key frame before it
    (``key_frames``: the key frame at or before each such start) when that is at most
    ``within_s`` earlier: decoding begins there anyway, so those frames cost only their
    analysis, and a moment the first look placed just after a key frame (a cut) may well
    begin at it. A stretch only glanced at before it is shortened; one watched closely is
    not (it is already watched to its end).

    >>> plan = [Stretch(0.0, 24.0, False, MORE_ELSEWHERE), Stretch(24.0, 50.0, True),
    ...         Stretch(50.0, 70.0, False, MORE_ELSEWHERE), Stretch(70.0, 90.0, True)]
    >>> [(s.start_s, s.end_s, s.closely) for s in from_key_frames(
    ...     plan, {24.0: 20.0, 70.0: 60.0}, within_s=4)]
    [(0.0, 20.0, False), (20.0, 50.0, True), (50.0, 70.0, False), (70.0, 90.0, True)]
    """
    out = list(stretches)
    for i in range(1, len(out)):
        stretch, before = out[i], out[i - 1]
        key = key_frames.get(stretch.start_s, stretch.start_s)
        if not stretch.closely or before.closely or not 0 < stretch.start_s - key <= within_s:
            continue
        key = max(key, before.start_s)
        out[i - 1] = replace(before, end_s=key)
        out[i] = replace(stretch, start_s=key)
    return _joined(out)


def watched_through(
    starts: NDArray[np.float64], length_s: float, stretches: Sequence[Stretch]
) -> NDArray[np.bool_]:
    """Which windows (``starts``, each ``length_s`` long) touch no stretch left unwatched
    because the first look found more elsewhere (people were in view there).

    >>> plan = [Stretch(0, 10, True), Stretch(10, 20, False, MORE_ELSEWHERE)]
    >>> watched_through(np.array([0.0, 6.0, 7.0]), 4.0, plan).tolist()
    [True, True, False]
    """
    ok = np.ones(len(starts), dtype=bool)
    for s in left_out(stretches):
        ok &= (starts + length_s <= s.start_s + 1e-6) | (starts >= s.end_s - 1e-6)
    return ok


def left_out(stretches: Sequence[Stretch]) -> list[Stretch]:
    """The stretches with people in view that a first look left unwatched."""
    return [s for s in stretches if not s.closely and s.because == MORE_ELSEWHERE]


def _union(
    pieces: list[tuple[float, float]], new: tuple[float, float], join_below: float
) -> list[tuple[float, float]]:
    """Disjoint pieces in time order, with ``new`` added; pieces closer than ``join_below``
    become one."""
    out: list[tuple[float, float]] = []
    low, high = new
    for a, b in pieces:
        if b + join_below < low or high + join_below < a:
            out.append((a, b))
        else:
            low, high = min(low, a), max(high, b)
    out.append((low, high))
    return sorted(out)


def closely_share(stretches: Sequence[Stretch]) -> float:
    """Share of the film (0-1) watched closely."""
    total = sum(s.seconds for s in stretches)
    return sum(s.seconds for s in stretches if s.closely) / total if total else 0.0


# What a key frame shows is taken to hold until halfway to the next one, at most this
# long; what changes from one frame to the next (movement, a mouth opening) is not known
# from a glance, and stays unobserved.
_CHANGING = ("motion", "hand_motion", "mouth_open", "nod_speed", "shake_speed")


def held(
    rows: Sequence[Mapping[str, Any]],
    glances: Sequence[Glance],
    *,
    step_s: float,
    max_hold_s: float,
) -> list[dict[str, Any]]:
    """The rows seen at the glances (their ``t`` a glance's), repeated at every instant of
    the analysis grid (``step_s``) up to halfway to the glances before and after (at most
    ``max_hold_s`` away): a first look that the cues and the ranking read like a close
    watch. Where the view changes between two glances, the cut is taken to be at the later
    one (encoders put a key frame at a cut): the earlier is held up to it and the later not
    back before it. Each instant is a frame of its own (``frame``: its index on the grid),
    as in a close watch: what counts frames counts instants, and a person is never twice in
    one frame.

    >>> rows = [{"t": 0.0, "frame": 0, "person": 1, "smile": 0.5, "motion": 0.1},
    ...         {"t": 1.0, "frame": 1, "person": 1}]
    >>> [(r["t"], r["frame"], r.get("smile"), "motion" in r) for r in held(
    ...     rows, [Glance(0.0, 1), Glance(1.0, 1)], step_s=0.25, max_hold_s=0.5)]
    [(0.0, 0, 0.5, False), (0.25, 1, 0.5, False), (0.5, 2, None, False), \
(0.75, 3, None, False), (1.0, 4, None, False), (1.25, 5, None, False)]
    >>> [(r["t"], r.get("smile")) for r in held(
    ...     rows, [Glance(0.0, 1), Glance(1.0, 1, new_view=True)], step_s=0.25, max_hold_s=1)]
    [(0.0, 0.5), (0.25, 0.5), (0.5, 0.5), (0.75, 0.5), (1.0, None), (1.25, None), \
(1.5, None), (1.75, None)]
    """
    by_time: dict[float, list[Mapping[str, Any]]] = {}
    for row in rows:
        by_time.setdefault(float(row["t"]), []).append(row)
    looks = sorted(glances, key=lambda glance: glance.t)
    out: list[dict[str, Any]] = []
    for i, glance in enumerate(looks):
        t = float(glance.t)
        if t not in by_time:
            continue
        previous = looks[i - 1] if i else None
        following = looks[i + 1] if i + 1 < len(looks) else None
        before = t - max_hold_s if previous is None else (previous.t + t) / 2
        after = t + max_hold_s if following is None else (t + following.t) / 2
        if glance.new_view:
            before = t
        if following is not None and following.new_view:
            after = following.t
        first = math.ceil(max(0.0, before, t - max_hold_s) / step_s - 1e-9)
        last = math.ceil(min(after, t + max_hold_s) / step_s - 1e-9)
        kept = [{name: v for name, v in row.items() if name not in _CHANGING} for row in by_time[t]]
        for k in range(first, last):
            out.extend({**row, "t": round(k * step_s, 6), "frame": k} for row in kept)
    return out


def watching_in_words(watched: Sequence[Stretch], min_people: int) -> str:
    """How much of the film was watched closely, and why the rest was only glanced at
    ("" when all of it was).

    >>> watching_in_words([Stretch(0, 30, True), Stretch(30, 40, False, FEW_IN_VIEW),
    ...                    Stretch(40, 100, False, MORE_ELSEWHERE)], min_people=1)[:62]
    'Watched closely: 30% of the film. The rest was only glanced at'
    """
    glanced = [s for s in watched if not s.closely]
    if not glanced:
        return ""
    few = sum(s.because == FEW_IN_VIEW for s in glanced)
    elsewhere = len(glanced) - few
    # What a glance counts: faces, and a body beside a face (nobody turned away, alone).
    nobody = "no face was" if min_people <= 1 else f"fewer than {min_people} people were"
    reasons = []
    if elsewhere:
        reasons.append(
            f"{_count(elsewhere, 'stretch', 'stretches')} that a first look (key frames "
            "and sound) found less promising than the moments watched "
            "(`vigvision --set perception.closely_moments=0 suggest ...` watches everything)"
        )
    if few:
        reasons.append(f"{_count(few, 'stretch', 'stretches')} where {nobody} seen at a glance")
    return (
        f"Watched closely: {closely_share(watched):.0%} of the film. The rest was only "
        f"glanced at (people.json lists it): {'; '.join(reasons)}."
    )


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def in_view(
    glances: Sequence[Glance], duration_s: float, settings: Settings
) -> tuple[Stretch, ...]:
    """The stretches with enough people in view at the glances to be watched closely."""
    p = settings.perception
    return plan_watching(
        glances, duration_s, min_people=p.glance_min_people, max_gap_s=p.glance_max_gap_s
    )


def glance_at_film(
    path: Path, settings: Settings, progress: Callable[[float], None] | None = None
) -> list[Glance]:
    """People counted at the film's key frames, at most one every ``glance_every_s``."""
    from vigvision.perception.bodies import BodyMeasurer
    from vigvision.perception.faces import FaceFinder

    perception = settings.perception
    finder = FaceFinder(perception)
    bodies = BodyMeasurer(perception.crop_px) if perception.find_bodies else None
    glances: list[Glance] = []
    try:
        for frame in glance_frames(path, settings, progress):
            faces = finder.find(frame.image).faces
            people = len(faces)
            if bodies is not None and people == 1:
                people += len(bodies.search(frame.image, [faces[0].box]))
            glances.append(Glance(frame.t, people))
    finally:
        finder.close()
        if bodies is not None:
            bodies.close()
    return glances


def glance_frames(
    path: Path, settings: Settings, progress: Callable[[float], None] | None = None
) -> Iterator[Frame]:
    """The key frames to glance at, at most one every ``glance_every_s`` (``progress``
    told of each once it has been looked at)."""
    from vigvision.film import FrameReader

    reader = FrameReader.from_settings(path, settings.film)
    try:
        for frame in reader.key_frames(every_s=settings.perception.glance_every_s):
            yield frame
            if progress is not None:
                progress(frame.t)
    except FilmError as error:
        # The close watching meets the same damage and says so; up to it, the glances hold.
        log.debug("glancing stopped: %s", error)
