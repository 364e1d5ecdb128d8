"""MediaPipe's shipped models: present, and a missing one named clearly."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from vigvision.errors import MissingModelError
from vigvision.perception import mediapipe_models


def test_every_model_vigvision_uses_ships_with_mediapipe() -> None:
    found = mediapipe_models.check_shipped_models()
    assert set(found) == set(mediapipe_models.SHIPPED_MODELS)
    assert all(path.stat().st_size > 100_000 for path in found.values())


def test_a_missing_model_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "modules"
    shutil.copytree(mediapipe_models.modules_dir(), copy)
    (copy / "face_landmark" / "face_landmark_with_attention.tflite").unlink()
    monkeypatch.setattr(mediapipe_models, "modules_dir", lambda: copy)
    with pytest.raises(
        MissingModelError,
        match=r"landmarks with iris is missing: .*face_landmark_with_attention\.tflite.*reinstall",
    ):
        mediapipe_models.check_shipped_models()


def test_reading_one_output_gives_what_process_gives(media: Path) -> None:
    import av
    import mediapipe as mp
    import numpy as np

    with av.open(str(media / "adult_smiling_frontal.mp4")) as film:
        picture = np.ascontiguousarray(next(film.decode(video=0)).to_ndarray(format="rgb24"))
    mesh = mp.solutions.face_mesh.FaceMesh(static_image_mode=True, refine_landmarks=True)
    detector = mp.solutions.face_detection.FaceDetection(model_selection=1)
    pose = mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1)
    try:
        meshes = mediapipe_models.output(mesh, picture, "multi_face_landmarks")
        assert meshes and meshes == mesh.process(picture).multi_face_landmarks
        faces = mediapipe_models.output(detector, picture, "detections")
        assert faces and faces == detector.process(picture).detections
        # Pose.process drops each landmark's presence, which vigvision does not read.
        body = mediapipe_models.output(pose, picture, "pose_landmarks")
        expected = pose.process(picture).pose_landmarks
        assert [(p.x, p.y, p.z, p.visibility) for p in body.landmark] == [
            (p.x, p.y, p.z, p.visibility) for p in expected.landmark
        ]
        nobody = np.zeros((256, 256, 3), np.uint8)
        assert mediapipe_models.output(detector, nobody, "detections") is None
    finally:
        for solution in (mesh, detector, pose):
            solution.close()


def test_landmarks_read_from_bytes_are_the_numbers_process_gives(media: Path) -> None:
    import av
    import mediapipe as mp
    import numpy as np

    with av.open(str(media / "adult_talking_head.mp4")) as film:
        pictures = [
            np.ascontiguousarray(frame.to_ndarray(format="rgb24"))
            for _, frame in zip(range(3), film.decode(video=0), strict=False)
        ]
    mesh = mp.solutions.face_mesh.FaceMesh(static_image_mode=True, refine_landmarks=True)
    pose = mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1)
    try:
        for picture in pictures:
            (face,) = mediapipe_models.landmark_lists(mesh, picture, "multi_face_landmarks")
            expected = mesh.process(picture).multi_face_landmarks[0].landmark
            assert face.shape == (478, 3)
            assert face.tolist() == [[p.x, p.y, p.z] for p in expected]
            (body,) = mediapipe_models.landmark_lists(pose, picture, "pose_landmarks", values=4)
            expected = pose.process(picture).pose_landmarks.landmark
            assert body.tolist() == [[p.x, p.y, p.z, p.visibility] for p in expected]
        nobody = np.zeros((256, 256, 3), np.uint8)
        assert mediapipe_models.landmark_lists(mesh, nobody, "multi_face_landmarks") == []
    finally:
        mesh.close()
        pose.close()


def test_landmarks_written_otherwise_are_read_by_protobuf() -> None:
    from mediapipe.framework.formats import landmark_pb2

    # A field left out (z of the first point): the points are no longer rows of one table.
    points = landmark_pb2.NormalizedLandmarkList()
    points.landmark.add(x=0.5, y=0.25)
    points.landmark.add(x=1.0, y=2.0, z=3.0)
    read = mediapipe_models._points(points.SerializeToString(), values=3)
    assert read.tolist() == [[0.5, 0.25, 0.0], [1.0, 2.0, 3.0]]
