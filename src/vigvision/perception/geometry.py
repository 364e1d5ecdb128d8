"""What a face's landmarks say: head pose, where it faces, gaze, eyes, mouth, smile.

Pure functions of landmark coordinates in pixels of the displayed frame (x right, y down).
Every measure is NaN when it cannot be read from what was seen.

Conventions (degrees, from the camera's point of view, as in the displayed image):
- ``yaw`` > 0: the face turns towards image right; ``pitch`` > 0: it tilts up;
  ``roll`` > 0: it leans clockwise in the image.
- ``facing_dx``: horizontal part of the direction the face points, −1 (towards image left)
  … +1 (towards image right); 0 looking at the camera.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

Points = NDArray[np.float64]

NAN: Final = math.nan

# Face mesh landmark numbers (MediaPipe's 478-point topology, iris included).
NOSE_TIP, CHIN, FOREHEAD = 1, 152, 10
RIGHT_EYE_OUTER, RIGHT_EYE_INNER, RIGHT_EYE_TOP, RIGHT_EYE_BOTTOM = 33, 133, 159, 145
LEFT_EYE_OUTER, LEFT_EYE_INNER, LEFT_EYE_TOP, LEFT_EYE_BOTTOM = 263, 362, 386, 374
MOUTH_RIGHT, MOUTH_LEFT, LIP_TOP_INNER, LIP_BOTTOM_INNER = 61, 291, 13, 14
RIGHT_IRIS, LEFT_IRIS = 468, 473

# Points of MediaPipe's canonical face model (Apache-2.0, canonical_face_model.obj), in its
# units (x to the viewer's right, y up, z towards the viewer): the midline from forehead to
# chin, and the outer eye and mouth corners, which fix how the head turns.
_CANONICAL: Final = {
    0: (0.0, -3.406404, 5.979507),
    NOSE_TIP: (0.0, -1.126865, 7.475604),
    4: (0.0, -0.463170, 7.586580),
    6: (0.0, 2.473255, 5.788627),
    8: (0.0, 4.019042, 5.284764),
    9: (0.0, 4.885979, 5.385258),
    FOREHEAD: (0.0, 8.261778, 4.481535),
    LIP_TOP_INNER: (0.0, -3.994436, 5.219482),
    LIP_BOTTOM_INNER: (0.0, -4.542400, 5.404754),
    17: (0.0, -5.365123, 5.535441),
    18: (0.0, -6.149624, 5.071372),
    CHIN: (0.0, -9.403378, 4.264492),
    RIGHT_EYE_OUTER: (-4.445859, 2.663991, 3.173422),
    LEFT_EYE_OUTER: (4.445859, 2.663991, 3.173422),
    MOUTH_RIGHT: (-2.456206, -4.342621, 4.283884),
    MOUTH_LEFT: (2.456206, -4.342621, 4.283884),
}
_POSE_POINTS: Final = list(_CANONICAL)
_CANONICAL_POINTS: Final = np.array([_CANONICAL[i] for i in _POSE_POINTS])


@dataclass(frozen=True)
class HeadPose:
    yaw: float
    pitch: float
    roll: float
    facing_dx: float
    facing_dy: float
    """Vertical part of the facing direction: −1 down … +1 up."""


NO_POSE: Final = HeadPose(NAN, NAN, NAN, NAN, NAN)


def rotation_between(model: Points, seen: Points) -> NDArray[np.float64]:
    """The rotation that best turns ``model`` points onto ``seen`` ones (Kabsch)."""
    a = model - model.mean(axis=0)
    b = seen - seen.mean(axis=0)
    u, _, vt = np.linalg.svd(a.T @ b)
    turn = np.sign(np.linalg.det(vt.T @ u.T)) or 1.0
    return np.asarray(vt.T @ np.diag([1.0, 1.0, turn]) @ u.T, dtype=np.float64)


def head_pose_from_mesh(landmarks: Points) -> HeadPose:
    """Head pose from face mesh landmarks (pixels, shape (≥468, 3), z in x's scale).

    The mesh gives every landmark a depth, so the canonical face can be fitted to it as a
    rigid body: no perspective solve, which flips upside down on faces looking down.
    """
    seen = landmarks[_POSE_POINTS, :3] * np.array([1.0, -1.0, -1.0])  # to x right, y up, z out
    if not np.all(np.isfinite(seen)):
        return NO_POSE
    rotation = rotation_between(_CANONICAL_POINTS, seen)
    fx, fy, fz = rotation @ np.array([0.0, 0.0, 1.0])  # where the nose points
    ax, ay, _ = rotation @ np.array([1.0, 0.0, 0.0])  # from the face's right ear to its left
    norm = math.sqrt(fx * fx + fy * fy + fz * fz) or 1.0
    return HeadPose(
        yaw=math.degrees(math.atan2(fx, fz)),
        pitch=math.degrees(math.atan2(fy, math.hypot(fx, fz))),
        roll=math.degrees(math.atan2(-ay, ax)),
        facing_dx=fx / norm,
        facing_dy=fy / norm,
    )


def _distance(points: Points, a: int, b: int) -> float:
    return float(np.linalg.norm(points[a, :2] - points[b, :2]))


def interocular(landmarks: Points) -> float:
    """Distance between the outer eye corners: the face's own unit of length."""
    return _distance(landmarks, RIGHT_EYE_OUTER, LEFT_EYE_OUTER)


def eye_openness(landmarks: Points) -> float:
    """0 (closed) … 1 (wide open): lid gap over eye width, both eyes averaged."""
    right = _distance(landmarks, RIGHT_EYE_TOP, RIGHT_EYE_BOTTOM) / max(
        _distance(landmarks, RIGHT_EYE_OUTER, RIGHT_EYE_INNER), 1e-6
    )
    left = _distance(landmarks, LEFT_EYE_TOP, LEFT_EYE_BOTTOM) / max(
        _distance(landmarks, LEFT_EYE_OUTER, LEFT_EYE_INNER), 1e-6
    )
    # An open adult eye's gap is about a third of its width.
    return float(np.clip((right + left) / 2 / 0.35, 0.0, 1.0))


def mouth_opening(landmarks: Points) -> float:
    """0 (lips together) … 1 (wide open): inner lip gap over mouth width."""
    gap = _distance(landmarks, LIP_TOP_INNER, LIP_BOTTOM_INNER)
    width = max(_distance(landmarks, MOUTH_RIGHT, MOUTH_LEFT), 1e-6)
    return float(np.clip(gap / width / 0.6, 0.0, 1.0))


def _face_aligned(landmarks: Points) -> Points:
    """Landmarks rotated so that the eye line is horizontal, in interocular units."""
    right, left = landmarks[RIGHT_EYE_OUTER, :2], landmarks[LEFT_EYE_OUTER, :2]
    angle = math.atan2(left[1] - right[1], left[0] - right[0])
    cos, sin = math.cos(-angle), math.sin(-angle)
    centred = landmarks[:, :2] - (right + left) / 2
    rotated = centred @ np.array([[cos, sin], [-sin, cos]])
    return np.asarray(rotated / max(interocular(landmarks), 1e-6), dtype=np.float64)


def frontal(landmarks: Points) -> Points:
    """The 3D landmarks turned to face the camera (x right, y up), in interocular units.

    Undoing the head's rotation keeps a face looking down at a toy from seeming to smile:
    in the image, tilting the head draws the mouth corners towards the nose.
    """
    seen = landmarks[:, :3] * np.array([1.0, -1.0, -1.0])
    rotation = rotation_between(_CANONICAL_POINTS, seen[_POSE_POINTS])
    upright = (seen - seen[_POSE_POINTS].mean(axis=0)) @ rotation
    unit = float(np.linalg.norm(upright[LEFT_EYE_OUTER] - upright[RIGHT_EYE_OUTER]))
    return np.asarray(upright / max(unit, 1e-6), dtype=np.float64)


def smile_features(landmarks: Points) -> tuple[float, float]:
    """Mouth width and mouth-corner height, in interocular units, on the frontal face.

    A smile widens the mouth and draws its corners up towards the nose. The height is
    taken from the nose tip (negative: below it), which neither the lips nor the jaw move
    when speaking, so that talking does not read as smiling.
    """
    face = frontal(landmarks)
    width = float(np.linalg.norm(face[MOUTH_LEFT] - face[MOUTH_RIGHT]))
    corners_y = (face[MOUTH_LEFT, 1] + face[MOUTH_RIGHT, 1]) / 2
    return width, float(corners_y - face[NOSE_TIP, 1])


@dataclass(frozen=True)
class SmileScale:
    """Maps the smile features to 0–1: 0 at a neutral mouth, 1 at a broad smile.

    The defaults were fitted on the test clips: a neutral adult face measures about 0.58
    wide with corners 0.37 below the nose; a broad smile 0.78 wide and 0.30 below.
    """

    width_neutral: float = 0.58
    width_full: float = 0.78
    lift_neutral: float = -0.37
    lift_full: float = -0.30

    def __call__(self, width: float, lift: float) -> float:
        by_width = (width - self.width_neutral) / (self.width_full - self.width_neutral)
        by_lift = (lift - self.lift_neutral) / (self.lift_full - self.lift_neutral)
        # The corners' rise counts more: a child's mouth is narrower at rest than an adult's.
        return float(np.clip(0.4 * by_width + 0.6 * by_lift, 0.0, 1.0))


def gaze_offset(landmarks: Points) -> tuple[float, float]:
    """Where the irises sit in the eyes: (−1 … +1 towards image right, −1 … +1 upwards).

    NaN when the landmarks carry no iris points.
    """
    if landmarks.shape[0] <= LEFT_IRIS:
        return NAN, NAN
    face = _face_aligned(landmarks)
    horizontal, vertical = [], []
    for outer, inner, top, bottom, iris in (
        (RIGHT_EYE_OUTER, RIGHT_EYE_INNER, RIGHT_EYE_TOP, RIGHT_EYE_BOTTOM, RIGHT_IRIS),
        (LEFT_EYE_OUTER, LEFT_EYE_INNER, LEFT_EYE_TOP, LEFT_EYE_BOTTOM, LEFT_IRIS),
    ):
        centre = (face[outer] + face[inner]) / 2
        half_width = abs(face[inner, 0] - face[outer, 0]) / 2
        half_height = max(abs(face[bottom, 1] - face[top, 1]) / 2, 1e-6)
        horizontal.append((face[iris, 0] - centre[0]) / max(half_width, 1e-6))
        vertical.append(-(face[iris, 1] - (face[top, 1] + face[bottom, 1]) / 2) / half_height)
    return float(np.clip(np.mean(horizontal), -1, 1)), float(np.clip(np.mean(vertical), -1, 1))


# How far the eyes turn within their sockets when the iris reaches the eye corner (degrees).
_EYE_ROTATION_RANGE_DEG: Final = 35.0


def gaze_direction(pose: HeadPose, offset: tuple[float, float]) -> tuple[float, float]:
    """Gaze as (dx, dy): head direction turned further by the eyes; NaN without irises."""
    if not (math.isfinite(pose.yaw) and math.isfinite(offset[0])):
        return NAN, NAN
    yaw = math.radians(pose.yaw + offset[0] * _EYE_ROTATION_RANGE_DEG)
    pitch = math.radians(pose.pitch + offset[1] * _EYE_ROTATION_RANGE_DEG * 0.6)
    return math.sin(yaw) * math.cos(pitch), math.sin(pitch)
