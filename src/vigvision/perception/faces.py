"""Faces in a frame: found across the room, then measured on an enlarged crop.

MediaPipe's face mesh only finds faces close to the camera (its detector is short-range),
so a plain ``FaceMesh.process(frame)`` misses most faces of a film shot from across a
room. Here faces are *found* by the full-range detector, on the whole frame and on square
tiles of it (small faces stay large enough), and *measured* on a crop around each face,
scaled so that the face fills it: there the short-range detector gives the six key points
(and the direction the face points, even in profile) and the mesh gives 478 landmarks with
irises where the face is turned enough towards the camera.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Final

import cv2
import numpy as np
from numpy.typing import NDArray

from vigvision.config import PerceptionSettings
from vigvision.perception import geometry
from vigvision.perception.geometry import NAN, HeadPose, Points
from vigvision.perception.mediapipe_models import landmark_lists, output

Image = NDArray[np.uint8]
Box = NDArray[np.float64]

# A mesh leaning further than this is a mesh fitted to something else than an upright face.
_MAX_MESH_ROLL_DEG: Final = 60.0
# Detectors searching the tiles of a frame at once (the machines aimed at have 2+ cores).
_SEARCHERS: Final = 2
# After repeated misses, the mesh is tried on every this many measurements...
_MESH_RETRY_EVERY: Final = 5
# ... or at once when the detector sees the face this close to frontal (|facing_dx|).
_FRONTAL_ENOUGH_FOR_MESH: Final = 0.5


@dataclass(frozen=True)
class FaceFound:
    """A face the full-range detector found: where, how sure it is, its six key points."""

    box: Box
    confidence: float
    keypoints: Points

    def reading(self) -> FaceReading:
        """What can be said of this face without measuring it closer: where it points."""
        pose = facing_from_keypoints(self.box, self.keypoints)
        return FaceReading(self.box, self.confidence, pose, NAN, NAN, NAN, NAN, NAN, None)


@dataclass(frozen=True)
class FaceReading:
    """One face measured in one frame. Every value is NaN when it could not be seen."""

    box: Box
    confidence: float
    pose: HeadPose
    eye_open: float
    mouth_open: float
    smile: float
    gaze_dx: float
    gaze_dy: float
    landmarks: Points | None
    """478 × 3 landmarks in pixels of the analysed frame (z in the same scale), or None."""

    @property
    def has_mesh(self) -> bool:
        return self.landmarks is not None


class _Crop:
    """A square region around a face, scaled to ``size`` pixels, and the way back."""

    def __init__(self, box: Box, scale: float, size: int) -> None:
        x, y, w, h = box
        self.side = max(w, h) * scale
        self.x0 = x + w / 2 - self.side / 2
        self.y0 = y + h / 2 - self.side / 2
        self.size = size

    def cut(self, image: Image) -> Image:
        s = self.size / self.side
        warp = np.array([[s, 0, -self.x0 * s], [0, s, -self.y0 * s]])
        return np.asarray(
            cv2.warpAffine(image, warp, (self.size, self.size), flags=cv2.INTER_LINEAR),
            dtype=np.uint8,
        )

    def to_frame(self, relative: Points) -> Points:
        """Points given as fractions of the crop, in pixels of the frame."""
        out = np.array(relative, dtype=np.float64, copy=True)
        out[:, 0] = self.x0 + out[:, 0] * self.side
        out[:, 1] = self.y0 + out[:, 1] * self.side
        if out.shape[1] > 2:
            out[:, 2] = out[:, 2] * self.side
        return out


def _detections(detections: Any) -> list[tuple[float, Points, Points]]:
    """(score, box as 2 corner points, 6 key points) per detection, as crop fractions."""
    found = []
    for detection in detections or []:
        location = detection.location_data
        rel = location.relative_bounding_box
        corners = np.array([[rel.xmin, rel.ymin], [rel.xmin + rel.width, rel.ymin + rel.height]])
        keypoints = np.array([[k.x, k.y] for k in location.relative_keypoints])
        found.append((float(detection.score[0]), corners, keypoints))
    return found


def facing_from_keypoints(box: Box, keypoints: Points) -> HeadPose:
    """Where a face points, from where its nose tip sits across the face box.

    Frontal: nose in the middle (0); full profile: nose at the box's edge (±1). Works in
    profile and for small faces, where the mesh does not; it gives no pitch or roll.
    """
    nose_x = keypoints[2, 0]
    dx = float(np.clip((nose_x - (box[0] + box[2] / 2)) / (box[2] / 2), -1.0, 1.0))
    return HeadPose(math.degrees(math.asin(dx)), NAN, NAN, dx, NAN)


@dataclass(frozen=True)
class Found:
    """What one search of a frame found."""

    faces: list[FaceFound]
    tiles_searched: bool
    tiles_added: bool
    """The tiles found someone the whole frame did not (a face too small for it)."""


class FaceFinder:
    """Finds faces across the whole frame with the full-range detector (and tiles)."""

    def __init__(self, settings: PerceptionSettings) -> None:
        import mediapipe as mp

        self.settings = settings
        # Tiles are searched two at a time, each by a detector of its own (a MediaPipe graph
        # runs one image at a time, and lets go of Python's lock while it does).
        self._detectors = [
            mp.solutions.face_detection.FaceDetection(
                model_selection=1, min_detection_confidence=settings.find_min_confidence
            )
            for _ in range(_SEARCHERS)
        ]
        self._pool = ThreadPoolExecutor(_SEARCHERS, thread_name_prefix="vigvision-find")

    def find(self, image: Image, *, tiles: bool = True) -> Found:
        """The faces in ``image``: the whole frame is searched, and its tiles too when
        ``tiles`` or when the whole frame shows nobody (small faces may still be there)."""
        whole = (0.0, 0.0, image)
        tiled = self._tiles(image)
        if tiles or not tiled:
            found = self._searched([whole, *tiled])
        else:
            found = self._searched([whole])
            tiles = not found
            if tiles:
                found = [(view + 1, face) for view, face in self._searched(tiled)]
        in_whole = [face for view, face in found if view == 0]
        threshold = self.settings.find_overlap
        kept = _suppress_overlaps([face for _, face in found], threshold)
        return Found(
            faces=kept,
            tiles_searched=tiles and bool(tiled),
            tiles_added=any(_new_among(face, in_whole, threshold) for face in kept),
        )

    def _tiles(self, image: Image) -> list[tuple[float, float, Image]]:
        """Square tiles of a wide frame, as high as it, overlapping, from left to right."""
        height, width = image.shape[:2]
        if not self.settings.find_in_tiles or width <= 1.3 * height:
            return []
        count = math.ceil(width / height) + 1
        lefts = [round(k * (width - height) / (count - 1)) for k in range(count)]
        return [(left, 0.0, np.ascontiguousarray(image[:, left : left + height])) for left in lefts]

    def _searched(self, views: list[tuple[float, float, Image]]) -> list[tuple[int, FaceFound]]:
        """The faces found in the views, each with its view's index; the views shared
        among the detectors."""
        count = len(self._detectors)
        shares = [
            self._pool.submit(self._search, detector, views[k::count])
            for k, detector in enumerate(self._detectors)
        ]
        return [
            (k + j * count, face)
            for k, share in enumerate(shares)
            for j, faces in enumerate(share.result())
            for face in faces
        ]

    @staticmethod
    def _search(detector: Any, views: list[tuple[float, float, Image]]) -> list[list[FaceFound]]:
        """The faces found in each view, in frame coordinates."""
        found = []
        for x0, y0, view in views:
            vh, vw = view.shape[:2]
            faces = []
            for score, corners, keypoints in _detections(output(detector, view, "detections")):
                (ax, ay), (bx, by) = corners
                box = np.array([x0 + ax * vw, y0 + ay * vh, (bx - ax) * vw, (by - ay) * vh])
                points = keypoints * np.array([vw, vh]) + np.array([x0, y0])
                faces.append(FaceFound(box=box, confidence=score, keypoints=points))
            found.append(faces)
        return found

    def close(self) -> None:
        self._pool.shutdown()
        for detector in self._detectors:
            detector.close()


def _new_among(face: FaceFound, others: list[FaceFound], threshold: float) -> bool:
    """The face overlaps none of the others by ``threshold`` (box IoU) or more."""
    from vigvision.tracking import iou

    return all(iou(face.box, other.box) < threshold for other in others)


def _suppress_overlaps(faces: list[FaceFound], threshold: float) -> list[FaceFound]:
    kept: list[FaceFound] = []
    for face in sorted(faces, key=lambda f: -f.confidence):
        if _new_among(face, kept, threshold):
            kept.append(face)
    return kept


class FaceMeasurer:
    """Measures one person's face on a crop around where it is expected.

    Holds that person's face mesh in tracking mode, so consecutive frames reuse the
    previous landmarks instead of searching the crop again. ``follow=False`` for frames
    far apart (a first look at key frames): each is searched afresh, nothing needs to
    be forgotten between them, and one measurer serves any number of people.
    """

    def __init__(self, settings: PerceptionSettings, follow: bool = True) -> None:
        import mediapipe as mp

        self.settings = settings
        self.follow = follow
        self._keypoints = mp.solutions.face_detection.FaceDetection(
            model_selection=0, min_detection_confidence=settings.measure_min_confidence
        )
        self._mesh = mp.solutions.face_mesh.FaceMesh(
            static_image_mode=not follow,
            max_num_faces=1,
            refine_landmarks=True,
            min_detection_confidence=settings.measure_min_confidence,
            min_tracking_confidence=settings.measure_min_confidence,
        )
        self._mesh_misses = 0
        self._smile = geometry.SmileScale(
            settings.smile_width_neutral,
            settings.smile_width_full,
            settings.smile_lift_neutral,
            settings.smile_lift_full,
        )

    def measure(self, image: Image, expected: Box) -> FaceReading | None:
        """The face near ``expected`` (a box in frame pixels), or None if none is there.

        The mesh comes first (it follows the face from the previous frame); the detector's
        key points only when the mesh finds no upright face, as in profile.
        """
        crop = _Crop(expected, self.settings.crop_scale, self.settings.crop_px)
        patch = crop.cut(image)
        # A face in profile defeats the mesh frame after frame: after two misses it is
        # only tried again now and then, or as soon as the face turns towards the camera.
        # (Not following, each face is someone else's, or the same one much later.)
        retry = self._mesh_misses < 2 or self._mesh_misses % _MESH_RETRY_EVERY == 0
        if retry or not self.follow:
            meshes = landmark_lists(self._mesh, patch, "multi_face_landmarks")
            if meshes:
                landmarks = crop.to_frame(meshes[0])
                pose = geometry.head_pose_from_mesh(landmarks)
                if math.isfinite(pose.yaw) and abs(pose.roll) <= _MAX_MESH_ROLL_DEG:
                    self._mesh_misses = 0
                    return self._from_mesh(box_from_mesh(landmarks), NAN, pose, landmarks)
        self._mesh_misses += 1
        detections = _detections(output(self._keypoints, patch, "detections"))
        if not detections:
            return None
        # The detection nearest to the crop's centre is the person being followed.
        score, corners, keypoints = min(
            detections, key=lambda d: float(np.sum((d[1].mean(axis=0) - 0.5) ** 2))
        )
        ends = crop.to_frame(corners)
        box = np.array([*ends[0], *(ends[1] - ends[0])])
        pose = facing_from_keypoints(box, crop.to_frame(keypoints))
        if abs(pose.facing_dx) < _FRONTAL_ENOUGH_FOR_MESH:
            self._mesh_misses = 0
        return FaceReading(box, score, pose, NAN, NAN, NAN, NAN, NAN, None)

    def _from_mesh(self, box: Box, score: float, pose: HeadPose, landmarks: Points) -> FaceReading:
        gaze = geometry.gaze_direction(pose, geometry.gaze_offset(landmarks))
        return FaceReading(
            box=box,
            confidence=score,
            pose=pose,
            eye_open=geometry.eye_openness(landmarks),
            mouth_open=geometry.mouth_opening(landmarks),
            smile=self._smile(*geometry.smile_features(landmarks)),
            gaze_dx=gaze[0],
            gaze_dy=gaze[1],
            landmarks=landmarks,
        )

    def start_afresh(self) -> None:
        """Forget the face followed so far, keeping the models loaded: shown a picture with
        no face, the mesh lets go of its track and looks afresh at the next frame, as a new
        one would. (Making the models again, or restarting their graph, held on to 25-30 MB
        more each time.) A mesh that does not follow has nothing to forget: a picture with no
        face cost as much as measuring one (10 ms, 296 times in a first look of 10 minutes)."""
        if self.follow:
            side = self.settings.crop_px
            output(self._mesh, np.zeros((side, side, 3), np.uint8), "multi_face_landmarks")
        self._mesh_misses = 0

    def close(self) -> None:
        self._keypoints.close()
        self._mesh.close()


def box_from_mesh(landmarks: Points) -> Box:
    """The face box the detector would draw, from the mesh (so boxes do not jump).

    Measured on the test clips: the detector's box is the mesh's bounding box 1.10 times as
    wide, 0.945 times as high, and 0.048 of its height lower.
    """
    low, high = landmarks[:468, :2].min(axis=0), landmarks[:468, :2].max(axis=0)
    width, height = (high - low) * np.array([1.10, 0.945])
    centre_x = (low[0] + high[0]) / 2
    centre_y = (low[1] + high[1]) / 2 + 0.048 * (high[1] - low[1])
    return np.array([centre_x - width / 2, centre_y - height / 2, width, height])
