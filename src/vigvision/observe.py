"""Watching a film: who is in it, where they face, what their faces and bodies do.

film ──frames──▶ faces and bodies per frame ──tracking──▶ people with ids and roles.

Known people are followed on a crop around their face in every analysed frame; the whole
frame is searched for faces every ``find_every_s`` seconds (sooner when someone followed is
missed), and what is found there is claimed by the tracker. When a face is seen but no
second one, the search also looks for a body without a face (``find_bodies``): the other
person of the pair may have their back to the camera. Such a person is followed by their
body pose until their face is found (``seen_by`` says which).
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from vigvision import machine, resume
from vigvision.config import Settings
from vigvision.film import FilmInfo, FrameReader, probe, read_in_turn
from vigvision.glance import (
    Glance,
    Stretch,
    everywhere,
    glance_at_film,
    glance_frames,
    held,
    in_view,
)
from vigvision.memory import give_back_freed_memory
from vigvision.observations import Observations, add_head_motion
from vigvision.perception.bodies import (
    BodyFollower,
    BodyMeasurer,
    BodyReading,
    grey_out,
    overlapping,
    person_region,
)
from vigvision.perception.faces import FaceFinder, FaceMeasurer, FaceReading
from vigvision.roles import PersonSummary, apply_adult_choice, guess_roles, label_rows, summarise
from vigvision.tracking import Person, PersonTracker, appearance_signature, centre, iou

log = logging.getLogger(__name__)

# Searching again this soon at the earliest when someone followed has just been missed.
_RESEARCH_AFTER_S = 0.3
# Motion energy is measured on a grey copy this wide, where a pixel changing by more than
# the threshold (0-255) counts as movement: sensor noise stays below it.
_MOTION_WIDTH = 320
_MOTION_THRESHOLD = 12
# A person followed by their body is followed by their face from when one is found where
# their head is with at least this confidence (the detector's, 0-1).
_FACE_OVER_BODY = 0.7
# Stretches watched closely are decoded in parts about this long (seconds), two parts at
# once (``read_in_turn``). A part starts just after a key frame (most films have one every
# 1-4 s), and each decoder keeps ``prefetch_frames`` frames ready: about half a part at 5
# fps, so that neither decoder waits for the other.
_PART_S = 4.0
_DECODERS = 2
# Share of the whole picture that changes when the shot cuts or the camera moves.
_CAMERA_MOVED = 0.4


def motion_energy(changed: NDArray[np.bool_] | None, face: NDArray[Any], frame_width: int) -> float:
    """Share of a person's region (head and upper body) that changed: 0 still … 1 all moving.

    As in Motion Energy Analysis: the frame-to-frame change inside a region around the
    person, here three face widths wide and four face heights tall from the forehead.
    """
    if changed is None:
        return math.nan
    scale = changed.shape[1] / frame_width
    x, y, w, h = (float(v) * scale for v in face)
    left, right = max(0, int(x - w)), min(changed.shape[1], int(x + 2 * w))
    top, bottom = max(0, int(y)), min(changed.shape[0], int(y + 4 * h))
    region = changed[top:bottom, left:right]
    return float(region.mean()) if region.size else math.nan


Forearm = tuple[tuple[float, float], tuple[float, float]]
Region = tuple[float, float, float, float]
"""left, top, right, bottom (pixels)"""
# Around a hand and the half of its forearm next to it, this many face widths of margin:
# the region whose movement is that hand's.
_HAND_MARGIN_FACES = 0.6
# Hands nearer than this (face widths) to someone else's share a space (read more often).
_HANDS_NEAR_FACES = 3.0


def hand_regions(forearms: list[Forearm], face_width: float) -> list[Region]:
    """Boxes (left, top, right, bottom in pixels) around each hand and the forearm near it."""
    pad = _HAND_MARGIN_FACES * face_width
    boxes: list[Region] = []
    for (elbow_x, elbow_y), (hand_x, hand_y) in forearms:
        mid_x, mid_y = (elbow_x + hand_x) / 2, (elbow_y + hand_y) / 2
        boxes.append(
            (
                min(mid_x, hand_x) - pad,
                min(mid_y, hand_y) - pad,
                max(mid_x, hand_x) + pad,
                max(mid_y, hand_y) + pad,
            )
        )
    return boxes


def hand_motion(
    changed: NDArray[np.bool_] | None,
    mine: list[Region],
    others: list[Region],
    frame_width: int,
) -> float:
    """Share of a person's hand regions that changed: how much their hands move, 0-1.

    Where their hands and someone else's overlap (both on one toy) nobody can tell whose
    hand moved, so that part counts for neither: what is left is each one's own forearm.

    >>> changed = np.zeros((10, 20), bool); changed[:, 5:10] = True  # the middle moves
    >>> hand_motion(changed, mine=[(0, 0, 9.5, 9)], others=[], frame_width=20)
    0.5
    >>> hand_motion(changed, mine=[(0, 0, 9.5, 9)], others=[(5, 0, 12, 9)], frame_width=20)
    0.0
    """
    if changed is None or not mine:
        return math.nan
    scale = changed.shape[1] / frame_width
    height, width = changed.shape

    def mask(boxes: list[Region]) -> NDArray[np.bool_]:
        out = np.zeros(changed.shape, dtype=bool)
        for left, top, right, bottom in boxes:
            x0, y0 = max(0, int(left * scale)), max(0, int(top * scale))
            x1, y1 = min(width, int(right * scale) + 1), min(height, int(bottom * scale) + 1)
            out[y0:y1, x0:x1] = True
        return out

    region = mask(mine) & ~mask(others)
    return float(changed[region].mean()) if region.any() else math.nan


@dataclass(frozen=True)
class Observed:
    """Everything ``observe`` learnt of a film."""

    info: FilmInfo
    observations: Observations
    people: list[PersonSummary]
    frames_analysed: int
    damaged_from_s: float | None
    landmarks: dict[str, NDArray[Any]] | None
    """With ``keep_landmarks``: ``face`` (rows × 478 × 3) and ``body`` (rows × 33 × 4)."""
    watched: tuple[Stretch, ...]
    """The film's stretches, each watched closely or only glanced at."""

    def with_people(self, people: list[PersonSummary]) -> Observed:
        """The same observations with other roles (the user's ``--adult``)."""
        return replace(
            self, observations=label_rows(self.observations, people), people=people, landmarks=None
        )


def observe_film(
    path: Path,
    settings: Settings,
    *,
    adult: str | None = None,
    keep_landmarks: bool = False,
    progress: Callable[[float], None] | None = None,
    info: FilmInfo | None = None,
    resume_from: Path | None = None,
    glance_first: bool = False,
    plan: Callable[[], tuple[Stretch, ...]] | None = None,
) -> Observed:
    """Observe every analysed frame of a film; the result is ready to save.

    ``glance_first``: glance at the key frames first and watch closely only where enough
    people are in view for a moment (see ``glance``); otherwise the whole film is watched.
    ``plan``: which stretches to watch closely, made when the watching starts (not when
    it continues a stopped run: the plan of that run holds); it overrides ``glance_first``.
    ``resume_from``: a file where the work so far is saved every ``save_every_s`` of film;
    a run stopped on the way (killed, a power cut) continues from there the next time.
    """
    info = info or probe(path)
    watcher = _Watcher(settings, keep_landmarks)
    start_s, grid_from, index = 0.0, None, 0
    saved = None
    if resume_from is not None and not keep_landmarks:
        saved = resume.kept(resume_from, info.sha256, settings, _WATCHING_SETTINGS)
    if saved is not None:
        start_s, grid_from, index = watcher.restore(saved)
        watching: tuple[Stretch, ...] = saved["plan"]
        from vigvision.export.report import clock

        log.warning("continuing from %s, where the last run on this film stopped", clock(start_s))
    elif plan is not None:
        watching = plan()
    elif glance_first and info.duration_s > 0:
        watching = in_view(glance_at_film(path, settings), info.duration_s, settings)
    else:
        watching = everywhere(info.duration_s)
    # Saves fall on the same instants whether a run started at the beginning or continued,
    # and at each the models start afresh (their memory of the frames before is not saved):
    # a continued run then watches exactly as an uninterrupted one.
    save_every = settings.perception.save_every_s
    next_save = (math.floor(start_s / save_every) + 1) * save_every
    damaged_from_s: float | None = None
    with contextlib.closing(watcher):
        parts, jumps = _closely_watched_parts(path, settings, watching, start_s, grid_from)
        decoders = min(_DECODERS, machine.cores())
        with contextlib.closing(read_in_turn(parts, side_by_side=decoders)) as readings:
            for jump, (reader, frames) in zip(jumps, readings, strict=True):
                if jump is not None:
                    watcher.jump(jump)
                for frame in frames:
                    watcher.look(index, frame.t, frame.image)
                    index += 1
                    if progress is not None:
                        progress(frame.t)
                    if frame.t >= next_save:
                        if resume_from is not None and not keep_landmarks:
                            state = {**watcher.state(frame.t, index), "plan": watching}
                            resume.keep(
                                resume_from, info.sha256, settings, _WATCHING_SETTINGS, state
                            )
                        watcher.start_models_afresh()
                        next_save = (math.floor(frame.t / save_every) + 1) * save_every
                if reader.damaged_from_s is not None:
                    damaged_from_s = reader.damaged_from_s
                    break
    table, landmarks = watcher.table()
    people = guess_roles(summarise(table, settings.roles), settings.roles)
    if adult is not None:
        people = apply_adult_choice(people, adult)
    return Observed(
        info=info,
        observations=label_rows(table, people),
        people=people,
        frames_analysed=watcher.frames,
        damaged_from_s=damaged_from_s,
        landmarks=landmarks,
        watched=watching,
    )


def _closely_watched_parts(
    path: Path,
    settings: Settings,
    watching: tuple[Stretch, ...],
    start_s: float,
    grid_from: float | None,
) -> tuple[list[FrameReader], list[float | None]]:
    """The parts of the film to watch closely from ``start_s`` on, in order, each with
    where the watching jumps to before it (None: it goes on from the part before)."""
    fps = settings.film.analysis_fps
    parts: list[FrameReader] = []
    jumps: list[float | None] = []
    for stretch in watching:
        if not stretch.closely or stretch.end_s <= start_s:
            continue
        jump = None
        if stretch.start_s > start_s:
            # After a stretch not watched closely: as after a cut, nobody is where
            # they were; the analysis grid goes on from the stretch's start.
            start_s = jump = stretch.start_s
            grid_from = math.ceil(start_s * fps - 1e-9) / fps if fps else None
        whole = FrameReader.from_settings(
            path, settings.film, start_s=start_s, end_s=stretch.end_s, grid_from_s=grid_from
        )
        # Decoded in parts, the next one while one is watched (see ``read_in_turn``).
        for part in whole.parts(every_s=_PART_S):
            parts.append(part)
            jumps.append(jump if part.start_s == whole.start_s else None)
    return parts, jumps


@dataclass(frozen=True)
class FirstLook:
    """The film's key frames, each watched as closely as any frame (as after a cut)."""

    glances: list[Glance]
    rows: list[dict[str, Any]]
    """What was seen at each glance: rows as ``observations.csv`` has them."""

    def observed(self, info: FilmInfo, settings: Settings) -> Observed:
        """What was seen at the glances, held until halfway to the next one, read as if
        the film had been watched at the analysis rate (nothing that moves is known)."""
        fps = settings.film.analysis_fps or 5.0
        glances_of = Counter(row["person"] for row in self.rows)
        # Seen at one glance only: as likely a false detection as a person.
        rows = [row for row in self.rows if glances_of[row["person"]] >= 2]
        table = Observations.from_rows(
            held(
                rows,
                self.glances,
                step_s=1 / fps,
                max_hold_s=settings.perception.glance_max_gap_s / 2,
            )
        )
        people = guess_roles(summarise(table, settings.roles), settings.roles)
        return Observed(
            info=info,
            observations=label_rows(table, people),
            people=people,
            frames_analysed=len(self.glances),
            damaged_from_s=None,
            landmarks=None,
            watched=everywhere(info.duration_s),
        )


def first_look(
    path: Path, settings: Settings, progress: Callable[[float], None] | None = None
) -> FirstLook:
    """Watch the film's key frames, at most one every ``glance_every_s``: each is searched
    for faces (and a body beside a single face) and the faces are measured as in a close
    watch, as after a cut (key frames decode on their own, so this costs a small part of
    decoding the film)."""
    # Without the pose of those seen by their face: it costs as much as the rest of a
    # glance, and what it adds (torso, hands) matters less than faces and turns here.
    watcher = _Watcher(settings, keep_landmarks=False, read_bodies=False, follow_faces=False)
    glances: list[Glance] = []
    view: NDArray[Any] | None = None
    try:
        for index, frame in enumerate(glance_frames(path, settings, progress)):
            watcher.jump(frame.t)
            before = len(watcher.rows)
            watcher.look(index, frame.t, frame.image)
            # Another view than the glance before: a cut (where the held rows stop).
            last_view, view = view, watcher.colours  # this glance's, from the cut check
            new_view = bool(
                last_view is not None
                and view is not None
                and not watcher.same_view(last_view, view)
            )
            glances.append(Glance(frame.t, len(watcher.rows) - before, new_view))
    finally:
        watcher.close()
        give_back_freed_memory()  # the first look's models and pictures, before the close watch
    return FirstLook(glances, watcher.rows)


# The settings a saved piece of watching must have been made with to be continued.
_WATCHING_SETTINGS = ("film", "perception", "tracking")


def _placed(
    index: int, t: float, person_id: int, box: NDArray[Any], width: int, height: int
) -> dict[str, Any]:
    """Who, when, and where (the face box, or the head placed by the body pose)."""
    x, y, w, h = box
    return {
        "t": t,
        "frame": index,
        "person": person_id,
        "x": x / width,
        "y": y / height,
        "w": w / width,
        "h": h / height,
    }


def _next_instant(last_s: float, watching: Sequence[Stretch], fps: float) -> float | None:
    """The analysis grid's first instant after the frame picked at ``last_s``, reached as
    an uninterrupted watch reaches it: step added to step from the start of its stretch
    (which of two frames equally near an instant is picked depends on the last bits of
    that sum), on to the first instant past half a step after the frame.

    >>> _next_instant(34.16, [Stretch(0.0, 60.0, True)], fps=5.0) == sum([0.2] * 172)
    True
    """
    if not fps:
        return None
    step = 1.0 / fps
    start = next((s.start_s for s in watching if s.closely and s.start_s <= last_s < s.end_s), 0.0)
    due = math.ceil(start * fps - 1e-9) / fps
    while due <= last_s + step / 2:
        due += step
    return due


def _colours(image: NDArray[Any]) -> NDArray[Any]:
    """The picture's colours (hue and saturation, normalised), to tell one view from another."""
    small = cv2.resize(image, (160, max(1, 160 * image.shape[0] // image.shape[1])))
    hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV)
    histogram = cv2.calcHist([hsv], [0, 1], None, [16, 8], [0, 180, 0, 256])
    cv2.normalize(histogram, histogram)
    return histogram


class _Watcher:
    """The per-frame work: follow, search, measure, and collect rows."""

    def __init__(
        self,
        settings: Settings,
        keep_landmarks: bool,
        read_bodies: bool = True,
        follow_faces: bool = True,
    ) -> None:
        self.settings = settings
        self.read_bodies = read_bodies
        self.perception = settings.perception
        self.tracker = PersonTracker(settings.tracking)
        self.finder = FaceFinder(settings.perception)
        self.bodies = BodyMeasurer(settings.perception.crop_px)
        self.measurers: dict[int, FaceMeasurer] = {}
        self.idle: list[FaceMeasurer] = []
        # A measurer that does not follow keeps nothing of the face it measured: one serves
        # everybody in a glance (measured one after another), where one per person in view
        # held 32 MB each (a crowd: up to max_people of them).
        self.for_everyone = None if follow_faces else FaceMeasurer(self.perception, follow=False)
        self.next_search = 0.0
        self.last_search = -math.inf
        # When the tiles of a frame were last searched (and its colours then), and when they
        # last found someone the whole frame did not.
        self.tiles_at = -math.inf
        self.tiles_view: NDArray[Any] | None = None
        self.tiles_added_at = -math.inf
        self.next_body: dict[int, float] = {}
        # People followed by their body pose: no face of theirs is seen.
        self.by_body: set[int] = set()
        self.followers: dict[int, BodyFollower] = {}
        self.idle_poses: list[BodyMeasurer] = []  # followers' pose models, kept for reuse
        # Each person's last seen hands: (when, forearms, hand points, face width).
        self.hands: dict[int, tuple[float, list[Forearm], list[tuple[float, float]], float]] = {}
        self.rows: list[dict[str, Any]] = []
        self.face_points: list[NDArray[Any] | None] = []
        self.body_points: list[NDArray[Any] | None] = []
        self.keep_landmarks = keep_landmarks
        self.frames = 0
        self.colours: NDArray[Any] | None = None
        self.previous_grey: NDArray[Any] | None = None
        self.pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="vigvision-measure")

    def state(self, t: float, next_index: int) -> dict[str, Any]:
        """What is needed to go on after the frame at ``t`` (no model: they are made anew)."""
        return {
            "t": t,
            "next_index": next_index,
            "frames": self.frames,
            "rows": self.rows,
            "tracker": self.tracker,
            "next_search": self.next_search,
            "last_search": self.last_search,
            "tiles_at": self.tiles_at,
            "tiles_view": self.tiles_view,
            "tiles_added_at": self.tiles_added_at,
            "next_body": self.next_body,
            "hands": self.hands,
            "by_body": sorted(self.by_body),
            "colours": self.colours,
            "previous_grey": self.previous_grey,
        }

    def restore(self, state: dict[str, Any]) -> tuple[float, float | None, int]:
        """Go on from a saved state: read frames from just after the last one analysed, on
        the same analysis grid (its next instant), with the next frame index."""
        self.rows, self.tracker, self.frames = state["rows"], state["tracker"], state["frames"]
        self.next_search, self.last_search = state["next_search"], state["last_search"]
        self.tiles_at, self.tiles_added_at = state["tiles_at"], state["tiles_added_at"]
        self.tiles_view = state["tiles_view"]
        self.next_body, self.hands = state["next_body"], state["hands"]
        self.colours, self.previous_grey = state["colours"], state["previous_grey"]
        self.by_body = set(state["by_body"])
        self.start_models_afresh()
        last = float(state["t"])
        due = _next_instant(last, state["plan"], self.settings.film.analysis_fps)
        return last + 1e-6, due, int(state["next_index"])

    def start_models_afresh(self) -> None:
        """Models that follow from frame to frame forget what they followed (as after a
        restart); people followed by their body pose are then found again by a search."""
        # Each one back to the pool, as it was when made (whose it was no longer matters).
        if self.for_everyone is None:
            self.idle = [*self.idle, *self.measurers.values()]
        self.measurers = {}
        for measurer in self.idle:
            measurer.start_afresh()
        for person_id in list(self.by_body):
            person = self.tracker.person(person_id)
            if person is not None:
                person.out_of_sight = True
            if person_id in self.followers:
                self._let_go(person_id)
            self.by_body.discard(person_id)

    def jump(self, t: float) -> None:
        """The next frame comes after a stretch that was not watched: as after a cut."""
        self.tracker.scene_cut()
        self.next_search = t
        self.colours = self.previous_grey = None
        self.start_models_afresh()

    def look(self, index: int, t: float, image: NDArray[Any]) -> None:
        self.frames += 1
        if self._is_scene_cut(image):
            self.tracker.scene_cut()
            self.next_search = t
        followed = self.tracker.following(t, limit=self.perception.max_people)
        seen = self._follow([p for p in followed if p.id not in self.by_body], t, image)
        seen_bodies = self._follow_bodies(
            [p for p in followed if p.id in self.by_body], t, image, seen
        )
        missed = len(seen) + len(seen_bodies) < len(followed)
        if t >= self.next_search or (missed and t - self.last_search >= _RESEARCH_AFTER_S):
            self._search(t, image, seen)
            for person_id in set(seen) & set(seen_bodies):  # their face is found again
                del seen_bodies[person_id]
                self._let_go(person_id)
            if self.perception.find_bodies and len(seen) + len(seen_bodies) == 1 and seen:
                self._search_bodies(t, image, seen, seen_bodies)
        self._release_measurers(t)
        height, width = image.shape[:2]
        changed = self._changed_pixels(image)
        bodies = {pid: self._body(pid, t, image, face) for pid, face in seen.items()}
        regions = self._hand_regions(t)
        heads: dict[int, NDArray[Any]] = {}
        for person_id, face in seen.items():
            self._add_row(index, t, person_id, face, bodies[person_id], width, height)
            heads[person_id] = face.box
        for person_id, body in seen_bodies.items():
            heads[person_id] = self.followers[person_id].head
            self._add_body_row(index, t, person_id, heads[person_id], body, width, height)
        added = self.rows[len(self.rows) - len(heads) :]
        for row, (person_id, head) in zip(added, heads.items(), strict=True):
            row["motion"] = motion_energy(changed, head, width)
            others = [box for pid, boxes in regions.items() if pid != person_id for box in boxes]
            row["hand_motion"] = hand_motion(changed, regions.get(person_id, []), others, width)

    def _hand_regions(self, t: float) -> dict[int, list[Region]]:
        """Each person's hand regions, from a pose read recently enough to still hold."""
        reach = max(self.perception.body_every_s, self.perception.hands_every_s)
        return {
            pid: hand_regions(forearms, face_width)
            for pid, (when, forearms, _, face_width) in self.hands.items()
            if t - when <= reach
        }

    def _changed_pixels(self, image: NDArray[Any]) -> NDArray[np.bool_] | None:
        """Where the picture changed since the previous analysed frame (small grey copy)."""
        height, width = image.shape[:2]
        grey = cv2.cvtColor(
            cv2.resize(image, (_MOTION_WIDTH, max(1, _MOTION_WIDTH * height // width))),
            cv2.COLOR_RGB2GRAY,
        )
        previous, self.previous_grey = self.previous_grey, grey
        if previous is None or previous.shape != grey.shape:
            return None
        changed = np.asarray(cv2.absdiff(grey, previous) > _MOTION_THRESHOLD)
        # Most of the picture changing at once is a cut or the camera moving, not people:
        # nobody's movement can be measured then (and it would look like moving together).
        return None if changed.mean() > _CAMERA_MOVED else changed

    def _is_scene_cut(self, image: NDArray[Any]) -> bool:
        """Whether the colours changed at once, as at a cut between two shots."""
        previous, self.colours = self.colours, _colours(image)
        return previous is not None and not self.same_view(previous, self.colours)

    def same_view(self, before: NDArray[Any], now: NDArray[Any]) -> bool:
        similarity = cv2.compareHist(before, now, cv2.HISTCMP_CORREL)
        return not similarity < self.settings.tracking.scene_cut_below

    def _follow(
        self, followed: list[Person], t: float, image: NDArray[Any]
    ) -> dict[int, FaceReading]:
        # Each person has a measurer of their own, and MediaPipe lets go of Python's lock
        # while it works: people are measured side by side, on both cores (one after
        # another where one measurer serves everybody).
        expected = [person.expected(t) for person in followed]
        measurers = [self._measurer(person.id) for person in followed]
        pairs = zip(measurers, expected, strict=True)
        faces = list(
            self.pool.map(lambda pair: pair[0].measure(image, pair[1]), pairs)
            if self.for_everyone is None
            else (measurer.measure(image, where) for measurer, where in pairs)
        )
        seen: dict[int, FaceReading] = {}
        for person, where, face in zip(followed, expected, faces, strict=True):
            if face is None or not self._same_person(face, where, seen):
                continue
            seen[person.id] = face
            self.tracker.saw(person, face.box, t, appearance_signature(image, face.box))
        return seen

    def _follow_bodies(
        self, followed: list[Person], t: float, image: NDArray[Any], faces: dict[int, FaceReading]
    ) -> dict[int, BodyReading]:
        """People seen only by their body: their pose read again, the others greyed out."""
        seen: dict[int, BodyReading] = {}
        known = [face.box for face in faces.values()]
        for person in followed:
            follower = self.followers[person.id]
            body = follower.follow(grey_out(image, [person_region(b) for b in known]), t)
            if follower.lost(t):
                # Not where they were: found again only by a search, by face or by body.
                self._let_go(person.id)
                person.out_of_sight = True
            if body is None or any(overlapping(follower.head, box) for box in known):
                continue
            seen[person.id] = body
            known.append(follower.head)
            self.tracker.saw(person, follower.head, t, appearance_signature(image, follower.head))
            self._keep_hands(person.id, t, body, float(follower.head[2]))
        return seen

    def _let_go(self, person_id: int) -> None:
        self.by_body.discard(person_id)
        pose = self.followers.pop(person_id).pose
        pose.forget()
        self.idle_poses.append(pose)

    def _search_bodies(
        self,
        t: float,
        image: NDArray[Any],
        faces: dict[int, FaceReading],
        bodies: dict[int, BodyReading],
    ) -> None:
        """Someone whose face is not seen: a body where nobody known is."""
        known = [face.box for face in faces.values()]
        known += [self.followers[pid].head for pid in bodies]
        found = self.bodies.search(image, known)
        heads = [head for _, head, _ in found]
        ids = self.tracker.claim(t, heads, [appearance_signature(image, h) for h in heads])
        for (body, head, square), person_id in zip(found, ids, strict=True):
            if person_id in faces or person_id in bodies:
                continue
            bodies[person_id] = body
            self.by_body.add(person_id)
            side = float(head[2])
            pose = self.idle_poses.pop() if self.idle_poses else BodyMeasurer(follow=True)
            self.followers[person_id] = BodyFollower(body, square, side, t, pose)
            self._keep_hands(person_id, t, body, side)
            self._keep_hands(person_id, t, body, float(head[2]))

    def _same_person(
        self, face: FaceReading, expected: NDArray[Any], seen: dict[int, FaceReading]
    ) -> bool:
        """Guards against a crop locking onto a neighbour's face (an identity switch)."""
        if any(iou(face.box, other.box) > 0.3 for other in seen.values()):
            return False
        shift = float(np.hypot(*(centre(face.box) - centre(expected))))
        return bool(shift <= self.settings.tracking.max_step_faces * max(expected[2], face.box[2]))

    def _search(self, t: float, image: NDArray[Any], seen: dict[int, FaceReading]) -> None:
        every = self.perception.tiles_every_s
        # The tiles are for faces too small for the whole frame: searched at every search
        # while they keep finding such faces, else now and then, and in a new view (a cut,
        # a jump, the next glance of a first look showing something else).
        view = self.colours if every else None  # this frame's, from the cut check
        due = not every or t - self.tiles_at >= every or t - self.tiles_added_at < every
        new_view = view is not None and (
            self.tiles_view is None or not self.same_view(self.tiles_view, view)
        )
        search = self.finder.find(image, tiles=due or new_view)
        if search.tiles_searched:
            self.tiles_at, self.tiles_view = t, view
        if search.tiles_added:
            self.tiles_added_at = t
        found = search.faces
        signatures = [appearance_signature(image, f.box) for f in found]
        ids = self.tracker.claim(t, [f.box for f in found], signatures)
        for face, person_id in zip(found, ids, strict=True):
            if person_id in seen:
                continue
            if person_id in self.by_body and face.confidence < _FACE_OVER_BODY:
                continue  # a back of the head or a shoulder can look a little like a face
            measured = None
            if len(self.measurers) < self.perception.max_people or person_id in self.measurers:
                measured = self._measurer(person_id).measure(image, face.box)
            seen[person_id] = measured if measured is not None else face.reading()
        self.last_search = t
        # With nobody in view, search twice as often: someone may walk in at any moment.
        pause = self.perception.find_every_s / (1 if seen else 2)
        self.next_search = t + pause

    def _measurer(self, person_id: int) -> FaceMeasurer:
        if person_id not in self.measurers:
            self.measurers[person_id] = self.for_everyone or (
                self.idle.pop() if self.idle else FaceMeasurer(self.perception)
            )
        return self.measurers[person_id]

    def _release_measurers(self, t: float) -> None:
        """Measurers of people no longer followed go back to the pool (bounded memory)."""
        following = {p.id for p in self.tracker.following(t, limit=self.perception.max_people)}
        for person_id in self.by_body - following:
            self._let_go(person_id)
        for person_id in [pid for pid in self.measurers if pid not in following]:
            measurer = self.measurers.pop(person_id)
            if measurer is self.for_everyone:
                continue
            if len(self.idle) < self.perception.max_people:
                self.idle.append(measurer)
            else:
                measurer.close()

    def _body(
        self, person_id: int, t: float, image: NDArray[Any], face: FaceReading
    ) -> BodyReading | None:
        """A body reading every ``body_every_s`` per person: bodies change slowly."""
        if not self.read_bodies or t < self.next_body.get(person_id, 0.0):
            return None
        body = self.bodies.measure(image, face.box)
        if body is not None:
            self._keep_hands(person_id, t, body, float(face.box[2]))
        self.next_body[person_id] = t + self.perception.body_every_s
        # Hands near someone else's: both people's hands are read more often from now on.
        sooner = t + self.perception.hands_every_s
        for other in self._hands_near(person_id):
            for pid in (person_id, other):
                self.next_body[pid] = min(self.next_body.get(pid, sooner), sooner)
        return body

    def _keep_hands(self, person_id: int, t: float, body: BodyReading, face_width: float) -> None:
        hands = [h for h in body.hands if math.isfinite(h[0])]
        self.hands[person_id] = (t, body.forearms, hands, face_width)

    def _hands_near(self, person_id: int) -> list[int]:
        """The people whose last seen hands were near this person's (a shared space)."""
        if person_id not in self.hands:
            return []
        when, _, mine, face_width = self.hands[person_id]
        near = _HANDS_NEAR_FACES * face_width
        return [
            other
            for other, (seen_at, _, theirs, _) in self.hands.items()
            if other != person_id
            and abs(seen_at - when) <= self.perception.body_every_s
            and any(math.dist(a, b) <= near for a in mine for b in theirs)
        ]

    def _add_row(
        self,
        index: int,
        t: float,
        person_id: int,
        face: FaceReading,
        body: BodyReading | None,
        width: int,
        height: int,
    ) -> None:
        row: dict[str, Any] = {
            **_placed(index, t, person_id, face.box, width, height),
            "confidence": face.confidence,
            "yaw": face.pose.yaw,
            "pitch": face.pose.pitch,
            "roll": face.pose.roll,
            "facing_dx": face.pose.facing_dx,
            "facing_dy": face.pose.facing_dy,
            "gaze_dx": face.gaze_dx,
            "gaze_dy": face.gaze_dy,
            "eye_open": face.eye_open,
            "mouth_open": face.mouth_open,
            "smile": face.smile,
            "face_mesh": int(face.has_mesh),
            "seen_by": "face",
        }
        self._add(row, face.landmarks, body, width, height)

    def _add_body_row(
        self,
        index: int,
        t: float,
        person_id: int,
        head: NDArray[Any],
        body: BodyReading | None,
        width: int,
        height: int,
    ) -> None:
        """A person seen only by their body: their head box stands for the face box, and
        nothing of the face is observable (the body's columns only where a pose was read)."""
        row = {**_placed(index, t, person_id, head, width, height), "face_mesh": 0}
        self._add({**row, "seen_by": "body"}, None, body, width, height)

    def _add(
        self,
        row: dict[str, Any],
        face_points: NDArray[Any] | None,
        body: BodyReading | None,
        width: int,
        height: int,
    ) -> None:
        self._add_body_columns(row, body, width, height)
        self.rows.append(row)
        if self.keep_landmarks:
            scale = np.array([width, height, width], np.float64)
            self.face_points.append(None if face_points is None else face_points / scale)
            body_scale = np.array([width, height, width, 1.0])
            self.body_points.append(None if body is None else body.keypoints / body_scale)

    @staticmethod
    def _add_body_columns(
        row: dict[str, Any], body: BodyReading | None, width: int, height: int
    ) -> None:
        if body is not None and body.seen:
            row.update(
                body_dx=body.shoulders_dx,
                shoulder_x=body.shoulder_centre[0] / width,
                shoulder_y=body.shoulder_centre[1] / height,
                shoulder_w=body.shoulder_width / width,
            )
        if body is not None:
            (left_x, left_y), (right_x, right_y) = body.hands
            row.update(
                left_hand_x=left_x / width,
                left_hand_y=left_y / height,
                right_hand_x=right_x / width,
                right_hand_y=right_y / height,
            )

    def table(self) -> tuple[Observations, dict[str, NDArray[Any]] | None]:
        """The rows as a table: brief false detections dropped, ids 1, 2, … by first sight."""
        counts: dict[int, int] = {}
        for row in self.rows:
            counts[row["person"]] = counts.get(row["person"], 0) + 1
        keep = [
            i
            for i, row in enumerate(self.rows)
            if counts[row["person"]] >= self.settings.tracking.min_frames
        ]
        renumbered: dict[int, int] = {}
        rows = []
        for i in keep:
            row = dict(self.rows[i])
            row["person"] = renumbered.setdefault(row["person"], len(renumbered) + 1)
            rows.append(row)
        table = Observations.from_rows(rows)
        # Speeds across a gap in sight longer than three analysed frames would be invented.
        step = 1.0 / self.settings.film.analysis_fps if self.settings.film.analysis_fps else 0.1
        table = add_head_motion(table, max_gap_s=3.5 * step)
        if not self.keep_landmarks:
            return table, None
        order = (
            np.lexsort(
                (
                    np.array([rows[i]["person"] for i in range(len(rows))]),
                    np.array([rows[i]["t"] for i in range(len(rows))]),
                )
            )
            if rows
            else np.arange(0)
        )
        faces = np.full((len(rows), 478, 3), np.nan, np.float32)
        bodies = np.full((len(rows), 33, 4), np.nan, np.float32)
        for out, i in enumerate(order):
            source = keep[i]
            if self.face_points[source] is not None:
                faces[out] = self.face_points[source]
            if self.body_points[source] is not None:
                bodies[out] = self.body_points[source]
        return table, {"face": faces, "body": bodies}

    def close(self) -> None:
        self.pool.shutdown()
        shared = self.for_everyone
        for measurer in [shared] if shared else [*self.measurers.values(), *self.idle]:
            measurer.close()
        self.finder.close()
        self.bodies.close()
        for pose in [*(f.pose for f in self.followers.values()), *self.idle_poses]:
            pose.close()
