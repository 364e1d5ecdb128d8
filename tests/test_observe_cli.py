"""``vigvision observe`` as a researcher runs it: files out, one-line errors, settings kept."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from tests.films import make_audio_file
from tests.helpers import vigvision
from vigvision.film import FilmWriter

CONTRACT = [
    "t",
    "person",
    "role",
    "x",
    "y",
    "w",
    "h",
    "yaw",
    "pitch",
    "roll",
    "facing_dx",
    "smile",
    "mouth_open",
]


def test_observe_writes_the_table_the_people_and_a_preview(media: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = vigvision(
        "observe",
        str(media / "two_seated_facing.mp4"),
        "--out",
        str(out),
        "--annotate",
        "--adult",
        "left",
    )
    assert done.returncode == 0, done.stderr
    with (out / "observations.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert set(CONTRACT) <= set(rows[0])
    assert {r["role"] for r in rows} == {"adult", "child"}
    left = [r for r in rows if r["role"] == "adult"]
    assert float(left[0]["x"]) < 0.5  # --adult left: the person on the left
    people = json.loads((out / "people.json").read_text())
    assert people["settings"]["film"]["analysis_fps"] > 0
    assert people["film"]["sha256"] and len(people["people"]) == 2
    assert (out / "preview.mp4").stat().st_size > 0
    assert len(list((out / "stills").glob("*.png"))) >= 3


def test_options_override_the_settings_and_are_recorded(media: Path, tmp_path: Path) -> None:
    done = vigvision(
        "observe",
        str(media / "adult_smiling_frontal.mp4"),
        "--out",
        str(tmp_path),
        "--fps",
        "2",
        "--landmarks",
    )
    assert done.returncode == 0, done.stderr
    people = json.loads((tmp_path / "people.json").read_text())
    assert people["settings"]["film"]["analysis_fps"] == 2.0
    landmarks = np.load(tmp_path / "landmarks.npz")
    assert (
        landmarks["face"].shape[1:] == (478, 3)
        and len(landmarks["t"]) == people["people"][0]["frames"]
    )


def test_a_film_without_faces_says_so_and_still_writes_the_empty_table(tmp_path: Path) -> None:
    film = tmp_path / "wall.mp4"
    with FilmWriter(film, width=320, height=240, fps=10) as out:
        for i in range(20):
            out.add_frame(np.full((240, 320, 3), 90 + i, np.uint8))
    done = vigvision("observe", str(film), "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    assert done.stderr.startswith("error: no faces were found") and done.stderr.count("\n") == 1
    header = (tmp_path / "out" / "observations.csv").read_text().splitlines()
    assert len(header) == 1 and header[0].startswith("t,frame,person")


@pytest.mark.parametrize(
    ("make", "args", "says"),
    [
        ("sound", (), "has sound but no picture"),
        ("film", ("--adult", "middle"), "--adult must be left, right or a person id"),
        ("film", ("--fps", "-3"), "--fps"),
    ],
)
def test_bad_input_to_observe(tmp_path: Path, make: str, args: tuple[str, ...], says: str) -> None:
    if make == "sound":
        path = make_audio_file(tmp_path / "voice.wav", "pcm_s16le")
    else:
        path = tmp_path / "film.mp4"
        with FilmWriter(path, width=160, height=120, fps=10) as out:
            out.add_frame(np.zeros((120, 160, 3), np.uint8))
    done = vigvision("observe", str(path), "--out", str(tmp_path / "out"), *args)
    assert done.returncode == 2 and says in done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_out_must_be_a_folder(tmp_path: Path) -> None:
    taken = tmp_path / "taken.txt"
    taken.write_text("notes")
    film = tmp_path / "film.mp4"
    with FilmWriter(film, width=160, height=120, fps=10) as out:
        out.add_frame(np.zeros((120, 160, 3), np.uint8))
    done = vigvision("observe", str(film), "--out", str(taken))
    assert done.returncode == 2 and "is a file, not a folder" in done.stderr
    assert taken.read_text() == "notes"  # nothing already saved is lost
