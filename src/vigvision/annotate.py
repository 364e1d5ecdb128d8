"""A preview to check ``observe`` by eye: boxes, ids, roles and facing arrows on the film.

The frames are read again with the same settings as the analysis, so the analysed frame
numbers of ``observations.csv`` find their pictures.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Final

import cv2
import numpy as np
from numpy.typing import NDArray

from vigvision.config import FilmSettings
from vigvision.film import FilmWriter, FrameReader
from vigvision.observations import Observations

# One colour per person id (RGB), distinct on most backgrounds.
_COLOURS: Final = [
    (230, 60, 60),
    (60, 140, 230),
    (60, 190, 90),
    (240, 170, 30),
    (170, 80, 210),
    (30, 200, 200),
    (240, 110, 180),
    (150, 150, 40),
]


def colour(person: int) -> tuple[int, int, int]:
    return _COLOURS[(person - 1) % len(_COLOURS)]


def draw(image: NDArray[np.uint8], rows: Observations) -> NDArray[np.uint8]:
    """The frame with each person's face box, id and role, and where their face points."""
    canvas = image.copy()
    height, width = canvas.shape[:2]
    thickness = max(1, round(max(width, height) / 500))
    for i in range(len(rows)):
        person = int(rows["person"][i])
        x, y = rows["x"][i] * width, rows["y"][i] * height
        w, h = rows["w"][i] * width, rows["h"][i] * height
        paint = colour(person)
        cv2.rectangle(canvas, (round(x), round(y)), (round(x + w), round(y + h)), paint, thickness)
        text_scale = max(0.4, width / 2600)
        cv2.putText(
            canvas,
            f"{person} {rows['role'][i]}",
            (round(x), max(12, round(y) - 4)),
            cv2.FONT_HERSHEY_SIMPLEX,
            text_scale,
            paint,
            1 + thickness // 2,
            cv2.LINE_AA,
        )
        smile = rows["smile"][i]
        if math.isfinite(smile):
            cv2.putText(
                canvas,
                f"smile {smile:.1f}",
                (round(x), round(y + h + 14 * text_scale / 0.4)),
                cv2.FONT_HERSHEY_SIMPLEX,
                text_scale * 0.8,
                paint,
                1,
                cv2.LINE_AA,
            )
        dx, dy = rows["facing_dx"][i], rows["facing_dy"][i]
        if math.isfinite(dx):
            start = (round(x + w / 2), round(y + h / 2))
            reach = 1.5 * max(w, h)
            lift = dy if math.isfinite(dy) else 0.0
            end = (round(start[0] + dx * reach), round(start[1] - lift * reach))
            cv2.arrowedLine(canvas, start, end, paint, thickness + 1, cv2.LINE_AA, tipLength=0.25)
        sx, sy, sw = rows["shoulder_x"][i], rows["shoulder_y"][i], rows["shoulder_w"][i]
        if math.isfinite(sx):
            half = sw * width / 2
            centre = (sx * width, sy * height)
            cv2.line(
                canvas,
                (round(centre[0] - half), round(centre[1])),
                (round(centre[0] + half), round(centre[1])),
                paint,
                thickness,
                cv2.LINE_AA,
            )
    return canvas


def write_preview(
    film: Path,
    observations: Observations,
    out_dir: Path,
    settings: FilmSettings,
    seconds: float = 20.0,
    stills: int = 6,
) -> list[Path]:
    """``preview.mp4`` (the first ``seconds``) and ``stills/*.png`` spread over the film."""
    written: list[Path] = []
    frames = observations["frame"]
    reader = FrameReader.from_settings(film, settings, end_s=seconds)
    width, height = reader.output_size
    preview = out_dir / "preview.mp4"
    partial = out_dir / "preview.partial.mp4"
    with FilmWriter(partial, width=width, height=height, fps=settings.analysis_fps or 25) as out:
        for index, frame in enumerate(reader):
            out.add_frame(draw(frame.image, observations.rows(frames == index)), t=frame.t)
    partial.replace(preview)
    written.append(preview)
    still_dir = out_dir / "stills"
    still_dir.mkdir(exist_ok=True)
    for index, t in _spread(observations, stills):
        image = _frame_at(film, settings, t)
        if image is None:
            continue
        path = still_dir / f"t{t:09.3f}s.png"
        picture = draw(image, observations.rows(frames == index))
        cv2.imwrite(str(path), cv2.cvtColor(picture, cv2.COLOR_RGB2BGR))
        written.append(path)
    return written


def _spread(observations: Observations, count: int) -> list[tuple[int, float]]:
    """Analysed frames with people in them, evenly spread over the film."""
    frames, order = np.unique(observations["frame"], return_index=True)
    if len(frames) == 0:
        return []
    picks = np.unique(
        np.linspace(0, len(frames) - 1, num=min(count, len(frames))).round().astype(int)
    )
    return [(int(frames[i]), float(observations["t"][order[i]])) for i in picks]


def _frame_at(film: Path, settings: FilmSettings, t: float) -> NDArray[np.uint8] | None:
    """The picture of the frame shown at ``t`` (read by seeking, every frame near it)."""
    near = FrameReader(film, fps=0, max_side=settings.max_side, start_s=t, end_s=t + 0.5)
    for frame in near:
        if abs(frame.t - t) < 1e-4:
            return frame.image
    return None
