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
