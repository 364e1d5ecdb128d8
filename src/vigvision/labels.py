"""Moments people marked in films: the labels a scorer is trained on.

Three sources, all giving (film, start, end) of moments that go well:

- an ELAN ``.eaf`` file: the annotations of one tier (``chosen`` unless told), for the film
  the file links to; an annotation's value is its code;
- a CSV file with the columns ``film,start_s,end_s`` and optionally ``code`` (film paths
  relative to the CSV);
- a guider's ``selections.json`` from the review page: the moments marked as chosen.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from pyannote.core import Segment

from vigvision.errors import ConfigError

DEFAULT_TIER = "chosen"


@dataclass(frozen=True)
class Moment:
    """A stretch of a film marked as going well."""

    film: Path
    span: Segment
    code: str = ""
    """What the coder called it, when the labels say (a CSV's ``code``, an ELAN value)."""


def read_moments(path: Path, tier: str = DEFAULT_TIER) -> list[Moment]:
    """The moments of one labels file (.eaf, .csv or selections .json)."""
    if not path.is_file():
        raise ConfigError(f"no labels file at {path}", "check the path")
    kind = path.suffix.lower()
    if kind == ".eaf":
        moments = _from_eaf(path, tier)
    elif kind == ".csv":
        moments = _from_csv(path)
    elif kind == ".json":
        moments = _from_selections(path)
    else:
        raise ConfigError(
            f"{path.name} is not a labels file vigvision reads",
            "give ELAN .eaf files, a CSV with film,start_s,end_s, or selections.json",
        )
    return moments


def _moment(path: Path, film: Path, start_s: float, end_s: float, code: str = "") -> Moment:
    if not end_s > start_s >= 0:
        raise ConfigError(
            f"{path.name}: a moment of {film.name} ends before it starts ({start_s:g}-{end_s:g} s)",
            "correct its times",
        )
    return Moment(film, Segment(start_s, end_s), code.strip())


def _from_csv(path: Path) -> list[Moment]:
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        missing = {"film", "start_s", "end_s"} - set(reader.fieldnames or [])
        if missing:
            raise ConfigError(
                f"{path.name} has no column {', '.join(sorted(missing))}",
                "its first line must name the columns film,start_s,end_s",
            )
        try:
            return [
                _moment(
                    path,
                    _beside(path, row["film"]),
                    float(row["start_s"]),
                    float(row["end_s"]),
                    row.get("code") or "",
                )
                for row in reader
            ]
        except (TypeError, ValueError) as error:
            raise ConfigError(
                f"{path.name}: line {reader.line_num} has a time that is not a number",
                "times are seconds, e.g. 312.4",
            ) from error


def _from_eaf(path: Path, tier: str) -> list[Moment]:
    import pympi

    try:
        eaf = pympi.Elan.Eaf(str(path))
    except Exception as error:  # pympi raises bare exceptions on malformed XML
        raise ConfigError(f"{path.name} is not an ELAN file ELAN can open", "check it") from error
    if tier not in eaf.get_tier_names():
        tiers = ", ".join(sorted(eaf.get_tier_names())) or "none"
        raise ConfigError(
            f"{path.name} has no tier '{tier}' (its tiers: {tiers})",
            "name the tier of the chosen moments with --tier",
        )
    films = [
        _film_of_media(path, media)
        for media in eaf.media_descriptors
        if media.get("MIME_TYPE", "").startswith("video")
    ] or [_film_of_media(path, media) for media in eaf.media_descriptors]
    if not films:
        raise ConfigError(f"{path.name} links to no film", "link the film to it in ELAN")
    return [
        _moment(path, films[0], start / 1000, end / 1000, str(value or ""))
        for start, end, value, *_ in eaf.get_annotation_data_for_tier(tier)
    ]


def _film_of_media(eaf: Path, media: dict[str, str]) -> Path:
    # ELAN keeps the film's URL and its path relative to the .eaf; the relative one still
    # holds when the folder has moved.
    relative = media.get("RELATIVE_MEDIA_URL")
    if relative:
        candidate = _beside(
            eaf, unquote(urlparse(relative).path if "://" in relative else relative)
        )
        if candidate.is_file():
            return candidate
    return Path(unquote(urlparse(media.get("MEDIA_URL", "")).path))


def _from_selections(path: Path) -> list[Moment]:
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        film = _beside(path, saved["film"]["path"])
        return [
            _moment(path, film, float(m["start_s"]), float(m["end_s"]))
            for m in saved["moments"]
            if m.get("status") == "chosen"
        ]
    except (ValueError, KeyError, TypeError) as error:
        raise ConfigError(
            f"{path.name} is not a selections file of the review page", "check it"
        ) from error


def _beside(labels: Path, film: str) -> Path:
    given = Path(film)
    return given if given.is_absolute() else (labels.parent / given).resolve()
