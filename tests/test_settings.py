"""Settings: every number in configs/default.yaml explained, and mistakes named by key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from vigvision.config import load_settings
from vigvision.errors import ConfigError
from vigvision.resources import shipped_path


def test_defaults_load_and_are_recorded_as_plain_data() -> None:
    settings = load_settings()
    written = yaml.safe_load(shipped_path("configs/default.yaml").read_text())
    assert settings.to_dict() == written
    assert settings.audio.sample_rate == 16000


def test_every_default_setting_has_a_comment() -> None:
    """Each setting, or each group of settings that belong together, is explained above it."""
    lines = shipped_path("configs/default.yaml").read_text().splitlines()
    setting = re.compile(r"^\s+\w+:\s*\S")  # a setting with a value, inside a section
    for number, line in enumerate(lines):
        if setting.match(line):
            above = number - 1
            while setting.match(lines[above]):
                above -= 1
            assert lines[above].strip().startswith("#"), f"no comment above: {line.strip()}"


def test_a_settings_file_changes_only_what_it_names(tmp_path: Path) -> None:
    mine = tmp_path / "mine.yaml"
    mine.write_text("film:\n  analysis_fps: 5\n")
    settings = load_settings(mine)
    assert settings.film.analysis_fps == 5.0
    assert settings.film.max_side == load_settings().film.max_side


def test_options_override_the_file(tmp_path: Path) -> None:
    mine = tmp_path / "mine.yaml"
    mine.write_text("film:\n  analysis_fps: 5\n")
    assert load_settings(mine, {"film.analysis_fps": 2}).film.analysis_fps == 2.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "film:\n  analysis_fsp: 5\n",
            r"unknown setting 'film.analysis_fsp'.*did you mean 'film.analysis_fps'",
        ),
        ("film:\n  max_side: big\n", r"'film.max_side' .* must be a whole number, not 'big'"),
        ("film:\n  max_side: -4\n", r"'film.max_side' .* must be between 0 and 8192"),
        ("film:\n  decode_threads: true\n", r"'film.decode_threads' .* must be a whole number"),
        ("film: 3\n", r"'film' .* must be a section"),
        ("vidoe:\n  x: 1\n", r"unknown setting 'vidoe'"),
        ("film: [unclosed\n", r"not valid YAML \(line"),
    ],
)
def test_mistakes_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_settings(bad)


def test_missing_settings_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no settings file"):
        load_settings(tmp_path / "absent.yaml")


def test_a_guiders_install_holds_no_test_browser_or_cluster_tools() -> None:
    import tomllib

    project = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())
    default = project["tool"]["uv"]["default-groups"]
    installed = {
        entry.split(">")[0].split("=")[0]
        for group in default
        for entry in project["dependency-groups"][group]
        if isinstance(entry, str)
    }
    # `uv run pytest` works on a fresh machine; nothing heavier comes with `uv run`.
    assert installed == {"pytest", "hypothesis"}
