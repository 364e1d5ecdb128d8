"""Bodies: where a person's shoulders are and which way their torso turns.

MediaPipe's pose model follows one person per image, so it runs on a crop around each
person (the region below their face). The torso tells where someone is turned when their
face is not seen (back of the head, profile, looking down at a toy).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import cv2
import numpy as np
from numpy.typing import NDArray

from vigvision.perception.geometry import NAN, Points

Image = NDArray[np.uint8]
Box = NDArray[np.float64]

LEFT_SHOULDER, RIGHT_SHOULDER = 11, 12  # the person's own left and right
LEFT_ELBOW, RIGHT_ELBOW = 13, 14
# Wrist, pinky, index and thumb knuckles of each hand: their middle is where the hand is.
LEFT_HAND, RIGHT_HAND = (15, 17, 19, 21), (16, 18, 20, 22)
_MIN_VISIBILITY: Final = 0.5


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


def body_region(face: Box) -> Box:
    """The square around where the body of a person with this face box should be."""
    x, y, w, h = face
    side = 7.0 * max(w, h)
    return np.array([x + w / 2 - side / 2, y - 0.6 * h, side, side])


class BodyMeasurer:
    """Reads body pose on the region below a face (shared by everyone in the film)."""

    def __init__(self, crop_px: int = 256) -> None:
        import mediapipe as mp

        # model_complexity=1: the only pose landmark model the mediapipe wheel ships.
        self._pose = mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1)
        self.crop_px = crop_px

    def measure(self, image: Image, face: Box) -> BodyReading | None:
        x0, y0, side, _ = body_region(face)
        scale = self.crop_px / side
        warp = np.array([[scale, 0, -x0 * scale], [0, scale, -y0 * scale]])
        patch = cv2.warpAffine(image, warp, (self.crop_px, self.crop_px), flags=cv2.INTER_LINEAR)
        result = self._pose.process(np.asarray(patch, dtype=np.uint8))
        if result.pose_landmarks is None:
            return None
        points = np.array(
            [(p.x, p.y, p.z, p.visibility) for p in result.pose_landmarks.landmark], np.float64
        )
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
