"""What landmarks say, on faces whose pose is known because the tests turn them."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from vigvision.perception import geometry
from vigvision.perception.faces import facing_from_keypoints


def turned_face(yaw: float, pitch: float = 0.0, roll: float = 0.0) -> np.ndarray:
    """The canonical face points, turned, as mesh landmarks (x right, y down, z away)."""
    points = np.full((478, 3), np.nan)
    model = np.array([geometry._CANONICAL[i] for i in geometry._POSE_POINTS])
    a, b, c = (math.radians(v) for v in (yaw, pitch, roll))
    turn_yaw = np.array([[math.cos(a), 0, math.sin(a)], [0, 1, 0], [-math.sin(a), 0, math.cos(a)]])
    turn_pitch = np.array(
        [[1, 0, 0], [0, math.cos(b), math.sin(b)], [0, -math.sin(b), math.cos(b)]]
    )
    turn_roll = np.array([[math.cos(c), math.sin(c), 0], [-math.sin(c), math.cos(c), 0], [0, 0, 1]])
    seen = model @ (turn_roll @ turn_yaw @ turn_pitch).T
    points[geometry._POSE_POINTS] = seen * np.array([30.0, -30.0, -30.0]) + np.array([400, 300, 0])
    return points


def test_a_face_looking_at_the_camera() -> None:
    pose = geometry.head_pose_from_mesh(turned_face(0))
    assert abs(pose.yaw) < 1 and abs(pose.pitch) < 1 and abs(pose.roll) < 1
    assert abs(pose.facing_dx) < 0.02


@settings(max_examples=40, deadline=None)
@given(yaw=st.floats(-80, 80), pitch=st.floats(-40, 40))
def test_head_turn_is_recovered(yaw: float, pitch: float) -> None:
    pose = geometry.head_pose_from_mesh(turned_face(yaw, pitch))
    assert math.isclose(pose.yaw, yaw, abs_tol=1.5)
    assert math.isclose(pose.pitch, pitch, abs_tol=1.5)
    # Facing right in the image means a positive horizontal facing direction.
    if abs(yaw) > 5:
        assert np.sign(pose.facing_dx) == np.sign(yaw)


def test_a_face_leaning_clockwise_has_positive_roll() -> None:
    assert geometry.head_pose_from_mesh(turned_face(0, 0, 20)).roll > 15


def test_facing_from_where_the_nose_sits_in_the_face_box() -> None:
    box = np.array([100.0, 100.0, 60.0, 60.0])
    keypoints = np.zeros((6, 2))
    keypoints[2] = (130, 130)  # nose in the middle: looking at the camera
    assert abs(facing_from_keypoints(box, keypoints).facing_dx) < 1e-9
    keypoints[2] = (158, 130)  # nose at the right edge: profile towards image right
    assert facing_from_keypoints(box, keypoints).facing_dx > 0.9


def test_smile_scale_is_zero_at_rest_and_one_at_a_broad_smile() -> None:
    scale = geometry.SmileScale()
    assert scale(scale.width_neutral, scale.lift_neutral) == 0.0
    assert scale(scale.width_full, scale.lift_full) == 1.0
    assert 0 < scale(0.7, -0.33) < 1
