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
