"""The command line as a person meets it: results on stdout, one-line errors, exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.films import cut_in_half, make_film, with_unknown_codec
from tests.helpers import vigvision
from vigvision import __version__


@pytest.fixture(scope="module")
def films(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("cli")
    whole = make_film(folder / "whole.mp4", seconds=4.0, audio=True)
    (folder / "folder.mp4").mkdir()
    (folder / "empty.mp4").touch()
    (folder / "notes.mp4").write_text("shopping list\n")
    return {
        "whole": whole,
        "missing": folder / "missing.mp4",
        "folder": folder / "folder.mp4",
        "empty": folder / "empty.mp4",
        "not media": folder / "notes.mp4",
        "cut in half": cut_in_half(whole, folder / "half.mp4"),
        "unknown codec": with_unknown_codec(folder / "odd.avi"),
    }


def test_version() -> None:
    done = vigvision("--version")
    assert done.returncode == 0 and __version__ in done.stdout


def test_probe_json_prints_one_object(films: dict[str, Path]) -> None:
    done = vigvision("probe", str(films["whole"]), "--json")
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert info["duration_s"] == pytest.approx(4.0, abs=0.05)
    assert (info["width"], info["height"], info["has_audio"]) == (320, 240, True)
    assert done.stderr == ""


def test_probe_table_is_readable(films: dict[str, Path]) -> None:
    done = vigvision("probe", str(films["whole"]))
    assert done.returncode == 0
    assert "Length" in done.stdout and "320 × 240" in done.stdout and "Sound" in done.stdout


@pytest.mark.parametrize(
    ("case", "says"),
    [
        ("missing", "no file at"),
        ("folder", "is a folder, not a film"),
        ("empty", "is empty (0 bytes)"),
        ("not media", "is not a film or audio file"),
        ("cut in half", "is incomplete: its end is missing"),
        ("unknown codec", "in a format vigvision cannot decode"),
    ],
)
def test_bad_films_give_one_line_and_exit_2(films: dict[str, Path], case: str, says: str) -> None:
    done = vigvision("probe", str(films[case]))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and says in done.stderr
    assert " — " in done.stderr  # then what to do
    assert "Traceback" not in done.stderr and done.stdout == ""


@pytest.mark.parametrize(
    "args",
    [
        ("probe",),
        ("probe", "x.mp4", "--bogus"),
        ("--set", "film.max_side=big", "settings"),
        ("--set", "film.analysis_fps", "settings"),
        ("--config", "/no/such/settings.yaml", "settings"),
        ("nonsense",),
    ],
)
def test_bad_options_give_one_line_and_exit_2(args: tuple[str, ...]) -> None:
    done = vigvision(*args)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: ")
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("option", "says"),
    [("--top", "'abc' is not a valid whole number"), ("--min-len", "'abc' is not a valid number")],
)
def test_a_number_mistyped_is_called_a_number(option: str, says: str) -> None:
    done = vigvision("suggest", "x.mp4", "--no-case", "--out", "out", option, "abc")
    assert done.returncode == 2
    assert says in done.stderr and "range" not in done.stderr


def test_debug_shows_the_traceback(films: dict[str, Path]) -> None:
    done = vigvision("--debug", "probe", str(films["missing"]))
    assert done.returncode != 0 and "Traceback" in done.stderr


def test_settings_shows_overrides(tmp_path: Path) -> None:
    mine = tmp_path / "mine.yaml"
    mine.write_text("audio:\n  chunk_s: 10\n")
    done = vigvision("--config", str(mine), "--set", "film.analysis_fps=4", "settings")
    assert done.returncode == 0
    assert "analysis_fps: 4.0" in done.stdout and "chunk_s: 10.0" in done.stdout


def test_check_runs_every_model_without_library_noise() -> None:
    done = vigvision("check")
    assert done.returncode == 0, done.stderr
    assert "vigvision is ready" in done.stdout
    assert done.stderr == "", done.stderr  # nothing from MediaPipe, absl or TFLite


def test_warnings_are_one_line_each(tmp_path: Path) -> None:
    whole = make_film(tmp_path / "w.mp4", seconds=8.0, container_options={"movflags": "faststart"})
    done = vigvision("probe", str(cut_in_half(whole, tmp_path / "cut.mp4")), "--json")
    assert done.returncode == 0
    assert done.stderr.startswith("warning: cut.mp4 is incomplete") and done.stderr.count("\n") == 1
    assert json.loads(done.stdout)["cut_short_at_s"] > 0


def test_quiet_hides_warnings(tmp_path: Path) -> None:
    whole = make_film(tmp_path / "w.mp4", seconds=8.0, container_options={"movflags": "faststart"})
    done = vigvision("-q", "probe", str(cut_in_half(whole, tmp_path / "cut.mp4")), "--json")
    assert done.returncode == 0 and done.stderr == ""


def test_acceptance_probe_of_the_real_two_people_film(media: Path) -> None:
    done = vigvision("probe", str(media / "two_seated_facing.mp4"), "--json")
    info = json.loads(done.stdout)
    assert info["duration_s"] == pytest.approx(1.0)
    assert (info["width"], info["height"], info["has_audio"]) == (2560, 1440, True)
    assert info["rotation"] == 0 and info["video_codec"] == "h264" and info["fps"] == 25.0


def test_runs_from_any_folder(films: dict[str, Path], tmp_path: Path) -> None:
    done = vigvision("settings", cwd=tmp_path)
    assert done.returncode == 0 and "analysis_fps" in done.stdout
    assert list(tmp_path.iterdir()) == []  # and leaves nothing behind


def test_commands_are_named_as_the_user_types_them(monkeypatch: pytest.MonkeyPatch) -> None:
    from vigvision.machine import as_typed

    hint = "make one: `vigvision case new NAME`"
    monkeypatch.setenv("UV_RUN_RECURSION_DEPTH", "1")  # started by `uv run`, as the README says
    assert as_typed(hint) == "make one: `uv run vigvision case new NAME`"
    monkeypatch.delenv("UV_RUN_RECURSION_DEPTH")  # installed: vigvision is on the PATH
    assert as_typed(hint) == hint
