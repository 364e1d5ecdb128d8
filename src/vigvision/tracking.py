"""Stable person ids across a film, through missed detections, exits and re-entries.

Each known person is *followed*: their face is looked for around where their motion says
it should be, frame after frame. Every so often the whole frame is searched, and the faces
found there are *claimed*: by a person who was just missed nearby, by a person out of sight
who looks the same (colours of face and clothes), or else by a new person. People who leave
the frame are remembered, so that they keep their id when they come back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import cv2
import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment

from vigvision.config import TrackingSettings

Box = NDArray[np.float64]
"""(x, y, w, h) in pixels of the analysed frame."""
Signature = NDArray[np.float32]

log = logging.getLogger(__name__)

_NO_MATCH = 1e6


def iou(a: Box, b: Box) -> float:
    """Overlap of two boxes: intersection over union, 0 … 1."""
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    union = a[2] * a[3] + b[2] * b[3] - inter
    return float(inter / union) if union > 0 else 0.0


def centre(box: Box) -> NDArray[np.float64]:
    return box[:2] + box[2:] / 2


def contains(box: Box, point: NDArray[np.float64]) -> bool:
    return bool(box[0] <= point[0] <= box[0] + box[2] and box[1] <= point[1] <= box[1] + box[3])


def appearance_signature(image: NDArray[np.uint8], face: Box) -> Signature:
    """Colour histogram of the face and of the clothes just below it (hue × saturation).

    Clothes tell people apart far better than faces at the sizes of a filmed room; the
    face's own colours help when the body is out of the frame.
    """
    x, y, w, h = face
    height, width = image.shape[:2]
    parts = []
    for rx, ry, rw, rh in ((x, y, w, h), (x - 0.5 * w, y + 1.3 * h, 2.0 * w, 1.5 * h)):
        x0, y0 = max(0, int(rx)), max(0, int(ry))
        x1, y1 = min(width, int(rx + rw)), min(height, int(ry + rh))
        if x1 - x0 < 2 or y1 - y0 < 2:
            parts.append(np.zeros(16 * 4, np.float32))
            continue
        hsv = cv2.cvtColor(np.ascontiguousarray(image[y0:y1, x0:x1]), cv2.COLOR_RGB2HSV)
        hist = cv2.calcHist([hsv], [0, 1], None, [16, 4], [0, 180, 0, 256]).reshape(-1)
        parts.append(hist / max(float(hist.sum()), 1.0))
    return np.concatenate(parts).astype(np.float32)


def appearance_distance(a: Signature, b: Signature) -> float:
    """0 (same colours) … 1 (nothing in common): Bhattacharyya distance, face and clothes."""
    half = len(a) // 2
    distances = []
    for part in (slice(0, half), slice(half, None)):
        pa, pb = a[part], b[part]
        if pa.sum() == 0 or pb.sum() == 0:
            continue
        distances.append(float(cv2.compareHist(pa, pb, cv2.HISTCMP_BHATTACHARYYA)))
    return float(np.mean(distances)) if distances else 0.5


@dataclass
class Person:
    """What the tracker knows of one person (mutable: it is the tracker's working state)."""

    id: int
    box: Box
    t: float
    signature: Signature
    velocity: NDArray[np.float64] = field(default_factory=lambda: np.zeros(2))
    frames: int = 1
    out_of_sight: bool = False
    """Set by a scene cut: where the person was says nothing about where they are."""

    def expected(self, t: float) -> Box:
        """Where the face should be at ``t``: motion extrapolated for half a second at most."""
        box = self.box.copy()
        box[:2] += self.velocity * min(max(t - self.t, 0.0), 0.5)
        return box


class PersonTracker:
    """Keeps a stable id per person through the film::

    tracker = PersonTracker(settings.tracking)
    for person in tracker.following(t):
        face = measure(image, person.expected(t))
        if face:
            tracker.saw(person, face.box, t, signature)
    new_ids = tracker.claim(t, boxes_found, signatures)   # now and then
    """

    def __init__(self, settings: TrackingSettings) -> None:
        self.settings = settings
        self._people: list[Person] = []
        self._next_id = 1

    def following(self, t: float, limit: int | None = None) -> list[Person]:
        """People seen recently enough to be followed, largest faces first."""
        live = [
            p for p in self._people if t - p.t <= self.settings.lost_after_s and not p.out_of_sight
        ]
        live.sort(key=lambda p: -p.box[2])
        return live[:limit] if limit is not None else live

    def saw(self, person: Person, box: Box, t: float, signature: Signature) -> None:
        dt = t - person.t
        if dt > 0:
            shift = centre(box) - centre(person.box)
            person.velocity = 0.5 * person.velocity + 0.5 * shift / dt
        person.box, person.t, person.out_of_sight = box, t, False
        mix = self.settings.appearance_update
        person.signature = (1 - mix) * person.signature + mix * signature
        person.frames += 1

    def claim(self, t: float, boxes: list[Box], signatures: list[Signature]) -> list[int]:
        """The person id of each face found at ``t`` by searching the whole frame."""
        ids = [0] * len(boxes)
        open_rows = []
        for row, box in enumerate(boxes):
            seen_now = [
                p
                for p in self._people
                if p.t == t and (iou(p.box, box) > 0.3 or contains(p.box, centre(box)))
            ]
            if seen_now:
                ids[row] = seen_now[0].id
            else:
                open_rows.append(row)
        candidates = [p for p in self._people if p.t < t]
        if open_rows and candidates:
            cost = np.array(
                [[self._cost(p, boxes[r], signatures[r], t) for p in candidates] for r in open_rows]
            )
            for i, j in zip(*linear_sum_assignment(cost), strict=True):
                if cost[i, j] < _NO_MATCH:
                    row, person = open_rows[i], candidates[j]
                    if person.out_of_sight or t - person.t > self.settings.lost_after_s:
                        log.debug(
                            "person %d recognised at %.1f s after %.1f s out of sight (looks %.2f)",
                            person.id,
                            t,
                            t - person.t,
                            appearance_distance(person.signature, signatures[row]),
                        )
                    self.saw(person, boxes[row], t, signatures[row])
                    ids[row] = person.id
        for row in open_rows:
            if not ids[row]:
                ids[row] = self._start(boxes[row], t, signatures[row])
        self._forget(t)
        return ids

    def scene_cut(self) -> None:
        """The film cut to another shot: nobody is where they were."""
        for person in self._people:
            person.out_of_sight = True
            person.velocity = np.zeros(2)

    def person(self, person_id: int) -> Person | None:
        return next((p for p in self._people if p.id == person_id), None)

    def _start(self, box: Box, t: float, signature: Signature) -> int:
        person = Person(id=self._next_id, box=box, t=t, signature=signature)
        self._next_id += 1
        self._people.append(person)
        return person.id

    def _forget(self, t: float) -> None:
        """People unseen for longer than ``remember_s`` cannot be recognised any more."""
        self._people = [p for p in self._people if t - p.t <= self.settings.remember_s]

    def _cost(self, person: Person, box: Box, signature: Signature, t: float) -> float:
        looks = appearance_distance(person.signature, signature)
        if not 0.5 <= box[2] / max(person.box[2], 1e-6) <= 2.0:
            return _NO_MATCH
        gap = t - person.t
        if gap <= self.settings.lost_after_s and not person.out_of_sight:
            expected = person.expected(t)
            distance = float(np.hypot(*(centre(expected) - centre(box))))
            reach = max(person.box[2], box[2]) * (self.settings.max_step_faces + 2.0 * gap)
            overlap = iou(expected, box)
            if distance > reach and overlap == 0:
                return _NO_MATCH
            return float(0.45 * (1 - overlap) + 0.35 * min(distance / reach, 1.0) + 0.2 * looks)
        # Out of sight for a while: only a clear likeness brings the same id back.
        if looks > self.settings.reidentify_below:
            return _NO_MATCH
        return 1.0 + looks
