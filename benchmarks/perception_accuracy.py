"""The perception acceptance figures, measured on the real clips of ../shared/media.

    uv run python benchmarks/perception_accuracy.py

Prints, per clip: faces found, facing directions, match with the reference head boxes and
identity switches, smile levels, ids per clip. (Speed: benchmarks/perception.py.)
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
from tests.films import mirrored_halves

from benchmarks._common import MEDIA, run_quietly
from vigvision.config import load_settings
from vigvision.observations import Observations
from vigvision.observe import observe_film

SETTINGS = load_settings()


def observe(name: str | Path) -> tuple[Observations, int]:
    result = observe_film(MEDIA / name if isinstance(name, str) else name, SETTINGS)
    return result.observations, result.frames_analysed


def left_right(table: Observations) -> list[Observations]:
    people = sorted(table.people, key=lambda p: -len(table.of_person(p)))[:2]
    return sorted((table.of_person(p) for p in people), key=lambda r: float(np.median(r["x"])))


def facing(table: Observations, frames: int, label: str) -> None:
    both = np.mean(np.bincount(table["frame"], minlength=frames) >= 2)
    left, right = left_right(table)
    lf = left["facing_dx"][np.isfinite(left["facing_dx"])]
    rf = right["facing_dx"][np.isfinite(right["facing_dx"])]
    print(
        f"{label}: both people in {both:.0%} of {frames} frames; left facing_dx > 0 in "
        f"{np.mean(lf > 0):.0%}, right < 0 in {np.mean(rf < 0):.0%} of frames observed"
    )


def kitchen() -> None:
    table, frames = observe("two_kitchen_side_by_side.mp4")
    for reference in (1, 2):
        lines = (
            (MEDIA / f"two_kitchen_side_by_side.person{reference}_head_boxes.txt")
            .read_text()
            .split()
        )
        heads = {
            i: np.array([float(v) for v in line.split(",")[1:]]) for i, line in enumerate(lines)
        }
        hits, ids = 0, set()
        for frame in range(frames):
            rows = table.rows(table["frame"] == frame)
            head = heads.get(round(float(rows["t"][0]) * 25)) if len(rows) else None
            if head is None:
                continue
            for i in range(len(rows)):
                x, y = rows["x"][i] * 1920, rows["y"][i] * 1080
                w, h = rows["w"][i] * 1920, rows["h"][i] * 1080
                ix = max(0.0, min(x + w, head[2]) - max(x, head[0]))
                iy = max(0.0, min(y + h, head[3]) - max(y, head[1]))
                union = w * h + (head[2] - head[0]) * (head[3] - head[1]) - ix * iy
                inside = head[0] <= x + w / 2 <= head[2] and head[1] <= y + h / 2 <= head[3]
                if ix * iy / union >= 0.3 or inside:
                    hits += 1
                    ids.add(int(rows["person"][i]))
                    break
        print(
            f"kitchen reference person {reference}: matched in {hits}/{frames} frames "
            f"({hits / frames:.0%}), ids {sorted(ids)} ({len(ids) - 1} identity switches)"
        )


def main() -> None:
    table, frames = observe("two_seated_facing.mp4")
    facing(table, frames, "two_seated_facing")
    with tempfile.TemporaryDirectory() as folder:
        film = mirrored_halves(MEDIA / "two_seated_facing.mp4", Path(folder) / "mirrored.mp4")
        table, frames = observe(film)
        left, right = left_right(table)
        print(
            f"mirrored halves: left facing_dx < 0 in {np.mean(left['facing_dx'] < 0):.0%}, "
            f"right > 0 in {np.mean(right['facing_dx'] > 0):.0%}"
        )
    kitchen()
    for name in ("child_face_closeup.mp4", "adult_talking_head.mp4"):
        table, frames = observe(name)
        print(f"{name}: a face in {len(np.unique(table['frame'])) / frames:.0%} of {frames} frames")
    table, _ = observe("adult_neutral_to_smile_greenscreen.mp4")
    t, smile = table["t"], table["smile"]
    print(
        f"neutral_to_smile: smile {np.nanmean(smile[t < 1]):.2f} in the first second, "
        f"{np.nanmean(smile[t >= t.max() - 1]):.2f} in the last, peak {np.nanmax(smile):.2f}"
    )
    for name in (
        "adult_smiling_frontal.mp4",
        "adult_talking_head.mp4",
        "adult_laughing_expressive.mp4",
        "child_face_closeup.mp4",
    ):
        table, _ = observe(name)
        print(f"{name}: mean smile {np.nanmean(table['smile']):.2f}")
    for name in ("crowd_walking_1080p.mp4", "performer_and_audience.mp4"):
        table, frames = observe(name)
        print(f"{name}: {len(table.people)} ids over {frames} frames")
    for name in ("face_then_noface_hevc.mov", "noface_then_face_hevc.mov"):
        table, frames = observe(name)
        t = table["t"]
        print(
            f"{name}: faces in {len(np.unique(table['frame']))}/{frames} frames, "
            f"from {t.min():.1f} s to {t.max():.1f} s"
        )


if __name__ == "__main__":
    run_quietly(main)
