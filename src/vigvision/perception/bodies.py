"""Bodies: where a person's shoulders are and which way their torso turns.

MediaPipe's pose model follows one person per image, so it runs on a crop around each
person (the region below their face). The torso tells where someone is turned when their
face is not seen (back of the head, profile, looking down at a toy).

A person whose face is not seen at all (a child with their back to the camera, someone
seen by their shoulders and an arm) is found by ``BodyMeasurer.search`` on squares of the
frame with the people already known greyed out, and then followed by their body alone:
``head_box`` stands for their face box.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import cv2
import numpy as np
from numpy.typing import NDArray

from vigvision.perception.geometry import NAN, Points
from vigvision.perception.mediapipe_models import landmark_lists, output
from vigvision.tracking import contains

Image = NDArray[np.uint8]
Box = NDArray[np.float64]

LEFT_SHOULDER, RIGHT_SHOULDER = 11, 12  # the person's own left and right
LEFT_ELBOW, RIGHT_ELBOW = 13, 14
# Wrist, pinky, index and thumb knuckles of each hand: their middle is where the hand is.
LEFT_HAND, RIGHT_HAND = (15, 17, 19, 21), (16, 18, 20, 22)
_MIN_VISIBILITY: Final = 0.5
HEAD_POINTS = slice(0, 11)  # nose, eyes, ears and mouth corners
# An adult's head is about this wide for the distance between the shoulder joints (a
# child's wider): the size of the head box of a person seen only by their body.
_HEAD_OVER_SHOULDERS: Final = 0.45


@dataclass(frozen=True)
class BodyReading:
    """One person's body in one frame (pixels of the analysed frame)."""

    keypoints: Points
    """33 × 4: x, y, z (depth, same scale as x), visibility 0–1."""
    shoulders_dx: float
    """Horizontal part of the direction the torso faces: −1 image left … +1 image right."""
    shoulder_centre: tuple[float, float]
    shoulder_width: float
    """Distance between the shoulder joints, depth included (so turning does not shrink it)."""

    @property
    def seen(self) -> bool:
        return math.isfinite(self.shoulder_width)

    @property
    def hands(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """The middle of the person's own left and right hand (NaN where the hand is unseen)."""
        return hand_at(self.keypoints, LEFT_HAND), hand_at(self.keypoints, RIGHT_HAND)

    @property
    def forearms(self) -> list[tuple[tuple[float, float], tuple[float, float]]]:
        """(elbow, hand) of each arm whose hand is seen: where the hands' movement shows."""
        out = []
        for elbow, hand in ((LEFT_ELBOW, LEFT_HAND), (RIGHT_ELBOW, RIGHT_HAND)):
            at = hand_at(self.keypoints, hand)
            if math.isfinite(at[0]):
                joint = self.keypoints[elbow]
                seen = joint[3] >= _MIN_VISIBILITY
                out.append(((float(joint[0]), float(joint[1])) if seen else at, at))
        return out


def hand_at(keypoints: Points, hand: tuple[int, ...]) -> tuple[float, float]:
    """The middle of a hand's knuckles, or NaN when the model does not see its wrist."""
    if keypoints[hand[0], 3] < _MIN_VISIBILITY:
        return NAN, NAN
    middle = keypoints[list(hand), :2].mean(axis=0)
    return float(middle[0]), float(middle[1])


def torso_facing(keypoints: Points) -> float:
    """From the shoulders' depths: the shoulder nearer the camera is the one turned towards it.

    Facing the camera, the person's left shoulder appears on the image's right at the same
    depth; turning towards image right takes that shoulder away from the camera.
    """
    left, right = keypoints[LEFT_SHOULDER], keypoints[RIGHT_SHOULDER]
    across = np.array([left[0] - right[0], left[2] - right[2]])
    length = float(np.hypot(*across))
    return float(across[1] / length) if length > 0 else NAN


def head_box(body: BodyReading, side: float | None = None) -> Box:
    """Where the head of a person seen by their body is (x, y, w, h in pixels): centred on
    the pose's head points, ``side`` wide, or as wide as the shoulders say (they are seen
    even from behind, but their depth is a guess: the width varies from frame to frame)."""
    centre = body.keypoints[HEAD_POINTS, :2].mean(axis=0)
    side = _HEAD_OVER_SHOULDERS * body.shoulder_width if side is None else side
    return np.array([centre[0] - side / 2, centre[1] - side / 2, side, side])


def head_size_beside(body: BodyReading, faces: list[Box]) -> float:
    """The head width of a body found beside people whose faces are seen: from the shoulders,
    kept within 0.6–1.6 of the largest face (one scene, similar distances), so that the
    same person found twice gets the same size and keeps their id."""
    side = _HEAD_OVER_SHOULDERS * body.shoulder_width
    largest = max((float(box[2]) for box in faces), default=side)
    return float(np.clip(side, 0.6 * largest, 1.6 * largest))


def upright(body: BodyReading) -> bool:
    """A seated or standing person: the head above the shoulders, shoulders seen.

    A pose fitted to a background pattern, a chair or a heap of clothes seldom is.
    """
    if not body.seen:
        return False
    head_y = float(body.keypoints[HEAD_POINTS, 1].mean())
    return head_y < body.shoulder_centre[1] - 0.25 * body.shoulder_width


def search_squares(height: int, width: int) -> list[Box]:
    """Squares as tall as a wide frame (as wide as a tall one) at its two ends and middle:
    where the pose model, which expects one person filling its picture, can find someone.

    >>> [square.tolist() for square in search_squares(height=256, width=427)]
    [[0.0, 0.0, 256.0, 256.0], [85.0, 0.0, 256.0, 256.0], [171.0, 0.0, 256.0, 256.0]]
    """
    side = min(height, width)
    ends = sorted({0, (max(height, width) - side) // 2, max(height, width) - side})
    if width >= height:
        return [np.array([x, 0.0, side, side], np.float64) for x in ends]
    return [np.array([0.0, y, side, side], np.float64) for y in ends]


def grey_out(image: Image, regions: list[Box]) -> Image:
    """A copy of the image with each region (x, y, w, h in pixels) a flat grey."""
    out = image.copy()
    height, width = image.shape[:2]
    for x, y, w, h in regions:
        x0, y0 = max(0, int(x)), max(0, int(y))
        x1, y1 = min(width, int(x + w) + 1), min(height, int(y + h) + 1)
        out[y0:y1, x0:x1] = 128
    return out


def person_region(face: Box) -> Box:
    """A known person's head and upper body (x, y, w, h): what a search for others hides."""
    x, y, w, h = face
    return np.array([x - w, y - 0.5 * h, 3 * w, 4.5 * h])


def body_region(face: Box) -> Box:
    """The square around where the body of a person with this face box should be."""
    x, y, w, h = face
    side = 7.0 * max(w, h)
    return np.array([x + w / 2 - side / 2, y - 0.6 * h, side, side])


class BodyMeasurer:
    """Reads body pose on the region below a face (shared by everyone in the film)."""

    def __init__(self, crop_px: int = 256, *, follow: bool = False) -> None:
        """``follow``: one person in a film's frames (video mode: the landmarks are read
        where they were in the frame before); else each image on its own."""
        import mediapipe as mp

        # model_complexity=1: the only pose landmark model the mediapipe wheel ships.
        self._pose = mp.solutions.pose.Pose(static_image_mode=not follow, model_complexity=1)
        self.crop_px = crop_px

    def measure(self, image: Image, face: Box) -> BodyReading | None:
        """The body of the person with this face (or head) box."""
        return self.measure_in(image, body_region(face))

    def search(self, image: Image, known: list[Box]) -> list[tuple[BodyReading, Box, Box]]:
        """Upright bodies other than the known people's (their face or head boxes), each
        at least as wide across the shoulders as the largest known face (someone of the
        same scene, not a small figure far behind), with their head boxes and the square
        of the frame each was found in."""
        regions = [person_region(box) for box in known]
        hidden = grey_out(image, regions)
        min_span = max((float(box[2]) for box in known), default=0.0)
        found: list[BodyReading] = []
        heads: list[Box] = []
        squares: list[Box] = []
        for square in search_squares(*image.shape[:2]):
            body = self.measure_in(hidden, square)
            if body is None or not upright(body) or body.shoulder_width < min_span:
                continue
            head = head_box(body, head_size_beside(body, known))
            in_grey = any(contains(region, head[:2] + head[2:] / 2) for region in regions)
            if not in_grey and not any(overlapping(head, box) for box in [*known, *heads]):
                found.append(body)
                heads.append(head)
                squares.append(square)
        return list(zip(found, heads, squares, strict=True))

    def forget(self) -> None:
        """Let go of the person followed (video mode): shown a picture with nobody, the
        model looks afresh at the next one, as a new one would, without being made again
        (that held on to some 25 MB each time)."""
        output(self._pose, np.zeros((self.crop_px, self.crop_px, 3), np.uint8), "pose_landmarks")

    def measure_in(self, image: Image, region: Box) -> BodyReading | None:
        """The pose of the one person the model sees in a square region (x, y, side, side)."""
        x0, y0, side, _ = region
        scale = self.crop_px / side
        warp = np.array([[scale, 0, -x0 * scale], [0, scale, -y0 * scale]])
        patch = cv2.warpAffine(image, warp, (self.crop_px, self.crop_px), flags=cv2.INTER_LINEAR)
        bodies = landmark_lists(
            self._pose, np.asarray(patch, dtype=np.uint8), "pose_landmarks", values=4
        )
        if not bodies:
            return None
        points = bodies[0]
        points[:, 0] = x0 + points[:, 0] * side
        points[:, 1] = y0 + points[:, 1] * side
        points[:, 2] = points[:, 2] * side
        shoulders = points[[LEFT_SHOULDER, RIGHT_SHOULDER]]
        height, width = image.shape[:2]
        inside = np.all(
            (shoulders[:, 0] >= 0) & (shoulders[:, 0] < width) & (shoulders[:, 1] < height)
        )
        if shoulders[:, 3].min() < _MIN_VISIBILITY or not inside:
            return BodyReading(points, NAN, (NAN, NAN), NAN)
        centre = shoulders[:, :2].mean(axis=0)
        span = float(np.linalg.norm(shoulders[0, :3] - shoulders[1, :3]))
        return BodyReading(points, torso_facing(points), (float(centre[0]), float(centre[1])), span)

    def close(self) -> None:
        self._pose.close()


class BodyFollower:
    """Follows one person seen only by their body, from frame to frame.

    The pose model's detector finds a turned back in few frames, but once found, the pose
    can be followed: a pose model of the person's own in video mode reads the landmarks
    where they were in the frame before, on the square of the frame they were found in.
    A person whose pose has not been read for ``lost_after_s`` is let go.
    """

    lost_after_s: Final = 3.0

    def __init__(
        self, found: BodyReading, square: Box, head_side: float, t: float, pose: BodyMeasurer
    ) -> None:
        """``found``: the body found at ``t`` by a search of ``square``; ``pose``: a pose
        model in video mode with nothing followed (``BodyMeasurer(follow=True)``)."""
        self.square = square
        self.head_side = head_side
        self.read_t = t
        self.head = head_box(found, head_side)
        self.pose = pose

    def follow(self, image: Image, t: float) -> BodyReading | None:
        """Their body in this frame (others greyed out), or None where it was not read."""
        body = self.pose.measure_in(image, self.square)
        # Their shoulders may be out of the picture or hidden: the head and hands still tell.
        if body is None or (body.seen and _upside_down(body)) or not _inside(body, image):
            return None
        self.head = head_box(body, self.head_side)
        self.read_t = t
        return body

    def lost(self, t: float) -> bool:
        return t - self.read_t > self.lost_after_s


def _inside(body: BodyReading, image: Image) -> bool:
    """Whether the middle of the head points lies in the picture."""
    height, width = image.shape[:2]
    x, y = body.keypoints[HEAD_POINTS, :2].mean(axis=0)
    return bool(0 <= x < width and 0 <= y < height)


def _upside_down(body: BodyReading) -> bool:
    """Head points well below the shoulders: the landmarks slid off the person. (Leaning
    over a table brings the head down to the shoulders, no further.)"""
    head_y = float(body.keypoints[HEAD_POINTS, 1].mean())
    return head_y > body.shoulder_centre[1] + 0.5 * body.shoulder_width


def overlapping(head: Box, other: Box) -> bool:
    """Whether two head boxes are one head: centres closer than the larger one's width."""
    distance = math.dist(head[:2] + head[2:] / 2, other[:2] + other[2:] / 2)
    return distance < max(float(head[2]), float(other[2]))
