"""The per-frame, per-person observation table: ``observations.csv`` (public contract).

One row per person per analysed frame in which that person was seen. Positions are
fractions of the displayed frame (origin top-left); angles are degrees; an empty cell is a
value that could not be observed (never a zero). The columns follow OpenFace's style so that
researchers can load them straight into pandas or R.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

SCHEMA: Final = "vigvision.observations/1"

# name: meaning (the README and the CSV's companion JSON repeat these).
COLUMNS: Final[dict[str, str]] = {
    "t": "seconds from the start of the film (stream time)",
    "frame": "index of the analysed frame",
    "person": "stable person id within the film (1, 2, ...)",
    "role": "adult, child or unknown",
    "x": "face box left edge, fraction of the frame width",
    "y": "face box top edge, fraction of the frame height",
    "w": "face box width, fraction of the frame width",
    "h": "face box height, fraction of the frame height",
    "confidence": "face detector's confidence, 0-1 (empty where landmarks followed the face)",
    "yaw": "head turn, degrees; > 0 towards image right",
    "pitch": "head tilt, degrees; > 0 up",
    "roll": "head lean, degrees; > 0 clockwise in the image",
    "facing_dx": "where the face points, horizontally: -1 image left ... +1 image right",
    "facing_dy": "where the face points, vertically: -1 down ... +1 up",
    "gaze_dx": "gaze direction (head and eyes), horizontally: -1 ... +1",
    "gaze_dy": "gaze direction (head and eyes), vertically: -1 ... +1",
    "eye_open": "eye openness, 0 closed ... 1 wide open",
    "mouth_open": "mouth opening, 0 closed ... 1 wide open",
    "smile": "smile intensity, 0 neutral ... 1 broad smile",
    "nod_speed": "speed of up-down head motion, degrees per second",
    "shake_speed": "speed of side-to-side head motion, degrees per second",
    "face_mesh": "1 when the 478 face landmarks were fitted (smile, gaze, eyes, mouth)",
    "body_dx": "where the torso faces (from the shoulders): -1 image left ... +1 image right",
    "shoulder_x": "middle of the shoulders, fraction of the frame width",
    "shoulder_y": "middle of the shoulders, fraction of the frame height",
    "shoulder_w": "distance between the shoulders, fraction of the frame width",
    "motion": "motion energy: share of the person's region (head and upper body) that changed "
    "since the previous analysed frame, 0-1",
    "left_hand_x": "middle of the person's own left hand (body pose), fraction of the frame width",
    "left_hand_y": "middle of the person's own left hand, fraction of the frame height",
    "right_hand_x": "middle of the person's own right hand, fraction of the frame width",
    "right_hand_y": "middle of the person's own right hand, fraction of the frame height",
    "hand_motion": "motion energy of the person's hands and forearms (where the last body pose "
    "saw them; a part shared with someone else's hands counts for neither), 0-1",
    "seen_by": "face, or body where only the body pose was seen (the back turned to the "
    "camera): then x y w h are the head's place estimated from the pose, and nothing of the "
    "face is observable",
}
_INTEGER: Final = {"frame", "person", "face_mesh"}
# Text columns and what a row without one means (tables written before a column existed).
_TEXT: Final = {"role": "unknown", "seen_by": "face"}
_DIGITS: Final = 4


@dataclass(frozen=True)
class Observations:
    """Columns of equal length (numpy arrays), in ``COLUMNS`` order, sorted by (t, person)."""

    columns: Mapping[str, NDArray[Any]]

    def __post_init__(self) -> None:
        lengths = {len(v) for v in self.columns.values()}
        if len(lengths) > 1:
            raise ValueError(f"columns of different lengths: {lengths}")
        missing = set(COLUMNS) - set(self.columns)
        if missing:
            raise ValueError(f"missing columns: {sorted(missing)}")

    def __len__(self) -> int:
        return len(self.columns["t"])

    def __getitem__(self, name: str) -> NDArray[Any]:
        return self.columns[name]

    @property
    def people(self) -> list[int]:
        return sorted({int(p) for p in self.columns["person"]})

    def rows(self, mask: NDArray[np.bool_]) -> Observations:
        return Observations({k: v[mask] for k, v in self.columns.items()})

    def of_person(self, person: int) -> Observations:
        return self.rows(self.columns["person"] == person)

    def with_column(self, name: str, values: NDArray[Any]) -> Observations:
        return Observations({**self.columns, name: values})

    @classmethod
    def from_rows(cls, rows: Sequence[Mapping[str, Any]]) -> Observations:
        columns: dict[str, NDArray[Any]] = {}
        for name in COLUMNS:
            values = [row.get(name) for row in rows]
            if name in _TEXT:
                columns[name] = np.array([v or _TEXT[name] for v in values], dtype=object)
            elif name in _INTEGER:
                columns[name] = np.array(
                    [0 if v is None else int(v) for v in values], dtype=np.int64
                )
            else:
                columns[name] = np.array(
                    [math.nan if v is None else float(v) for v in values], dtype=np.float64
                )
        order = np.lexsort((columns["person"], columns["t"])) if rows else np.arange(0)
        return cls({k: v[order] for k, v in columns.items()})

    def to_csv(self, path: Path) -> None:
        """Write the table; NaN becomes an empty cell."""
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(COLUMNS)
            cols = [self.columns[name] for name in COLUMNS]
            for i in range(len(self)):
                writer.writerow(
                    [_cell(name, col[i]) for name, col in zip(COLUMNS, cols, strict=True)]
                )

    @classmethod
    def from_csv(cls, path: Path) -> Observations:
        with path.open(newline="", encoding="utf-8") as f:
            rows = [
                {k: (v if v != "" else None) for k, v in row.items()} for row in csv.DictReader(f)
            ]
        return cls.from_rows(rows)


def _cell(name: str, value: Any) -> str:
    if name in _TEXT:
        return str(value)
    if name in _INTEGER:
        return str(int(value))
    return "" if not math.isfinite(value) else f"{value:.{_DIGITS}f}".rstrip("0").rstrip(".")


def angular_speed(
    t: NDArray[np.float64], angle: NDArray[np.float64], max_gap_s: float
) -> NDArray[np.float64]:
    """|d angle / dt| in degrees per second, from the neighbours of each sample.

    NaN where a neighbour is missing or further than ``max_gap_s`` away: a speed across a
    gap in sight would be invented.
    """
    speed = np.full(len(t), math.nan)
    if len(t) < 2:
        return speed
    dt = np.diff(t)
    step = np.abs(np.diff(angle)) / np.where(dt > 0, dt, np.nan)
    step[(dt > max_gap_s) | ~np.isfinite(step)] = np.nan
    both = np.vstack([np.r_[np.nan, step], np.r_[step, np.nan]])
    counts = np.isfinite(both).sum(axis=0)
    sums = np.nansum(both, axis=0)
    speed[counts > 0] = sums[counts > 0] / counts[counts > 0]
    return speed


def add_head_motion(table: Observations, max_gap_s: float) -> Observations:
    """Fill ``nod_speed`` (pitch) and ``shake_speed`` (yaw) person by person."""
    nod = np.full(len(table), math.nan)
    shake = np.full(len(table), math.nan)
    for person in table.people:
        index = np.flatnonzero(table["person"] == person)
        t = table["t"][index]
        nod[index] = angular_speed(t, table["pitch"][index], max_gap_s)
        shake[index] = angular_speed(t, table["yaw"][index], max_gap_s)
    return table.with_column("nod_speed", nod).with_column("shake_speed", shake)
