"""The observations table: the public CSV, with empty cells for what was not seen."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from vigvision.observations import COLUMNS, Observations, add_head_motion, angular_speed


def test_csv_round_trip_keeps_unobserved_values_empty(tmp_path: Path) -> None:
    rows = [
        {
            "t": 0.1,
            "frame": 1,
            "person": 2,
            "role": "child",
            "x": 0.5,
            "smile": None,
            "face_mesh": 1,
        },
        {
            "t": 0.0,
            "frame": 0,
            "person": 1,
            "role": "adult",
            "x": 0.25,
            "smile": 0.75,
            "face_mesh": 0,
        },
    ]
    table = Observations.from_rows(rows)
    assert list(table["person"]) == [1, 2]  # sorted by time
    path = tmp_path / "observations.csv"
    table.to_csv(path)
    header, _, second = path.read_text().splitlines()
    assert header.split(",") == list(COLUMNS)
    assert second.split(",")[list(COLUMNS).index("smile")] == ""
    again = Observations.from_csv(path)
    assert math.isnan(again["smile"][1]) and again["smile"][0] == 0.75
    assert list(again["role"]) == ["adult", "child"]


def test_head_speed_needs_neighbours_close_in_time() -> None:
    t = np.array([0.0, 0.1, 0.2, 2.0])
    pitch = np.array([0.0, 2.0, 4.0, 4.0])
    speed = angular_speed(t, pitch, max_gap_s=0.35)
    assert np.allclose(speed[:3], 20.0)
    assert math.isnan(speed[3])  # alone after a gap in sight


def test_nods_are_measured_per_person() -> None:
    rows = [
        {"t": i * 0.1, "frame": i, "person": 1, "pitch": 5.0 * (i % 2), "yaw": 0.0}
        for i in range(5)
    ]
    rows += [{"t": i * 0.1, "frame": i, "person": 2, "pitch": 0.0, "yaw": 0.0} for i in range(5)]
    table = add_head_motion(Observations.from_rows(rows), max_gap_s=0.35)
    nodding = table.of_person(1)["nod_speed"]
    still = table.of_person(2)["nod_speed"]
    assert np.nanmin(nodding) >= 49 and np.nanmax(still) == 0
