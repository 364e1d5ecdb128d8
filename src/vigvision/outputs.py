"""Writing results into the folder the user chose: atomically, so nothing half-written stays.

Every file is written beside its final name and then moved into place, so an interrupted
run leaves the previous result intact.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
from pyannote.core import Segment, Timeline

from vigvision import __version__
from vigvision.config import LISTENING_SECTIONS, Settings
from vigvision.cues.table import write_cues_csv
from vigvision.errors import VigvisionError
from vigvision.export.elan import write_eaf
from vigvision.export.report import write_report
from vigvision.files import atomic_write, write_json, written_together
from vigvision.film import FilmInfo
from vigvision.glance import Stretch, everywhere
from vigvision.observations import COLUMNS, SCHEMA, Observations
from vigvision.observe import Observed
from vigvision.roles import PersonSummary
from vigvision.suggest import Suggestions
from vigvision.turns import (
    Said,
    Speaker,
    Speech,
    make_turns,
    turn_taking,
)
from vigvision.voice.formats import write_rttm, write_turns_csv


def output_folder(path: Path) -> Path:
    """The output folder, made if needed; a clear error if it cannot be."""
    if path.exists() and not path.is_dir():
        raise VigvisionError(f"{path} is a file, not a folder", "give --out a folder name")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise VigvisionError(
            f"cannot make the folder {path} ({error.strerror})", "choose another --out"
        ) from error
    return path


@written_together
def save_observed(observed: Observed, out_dir: Path, settings: Settings) -> list[Path]:
    """``observations.csv``, ``people.json`` and, if kept, ``landmarks.npz``."""
    written = [atomic_write(out_dir / "observations.csv", observed.observations.to_csv)]
    people = [
        {
            k: (None if isinstance(v, float) and not np.isfinite(v) else v)
            for k, v in asdict(p).items()
        }
        for p in observed.people
    ]
    summary = {
        "schema": SCHEMA,
        "vigvision": __version__,
        "film": observed.info.to_json(),
        "settings": settings.to_dict(),
        "frames_analysed": observed.frames_analysed,
        "damaged_from_s": observed.damaged_from_s,
        "watched": [stretch.to_json() for stretch in observed.watched],
        "people": people,
        "columns": COLUMNS,
    }
    written.append(write_json(out_dir / "people.json", summary))
    if observed.landmarks is not None:
        landmarks = observed.landmarks

        def save(path: Path) -> None:
            with path.open("wb") as f:
                np.savez_compressed(
                    f,
                    t=observed.observations["t"],
                    person=observed.observations["person"],
                    **landmarks,
                )

        written.append(atomic_write(out_dir / "landmarks.npz", save))
    return written


_OBSERVING_SETTINGS = ("film", "perception", "tracking", "roles")


def reusable_observed(out_dir: Path, info: FilmInfo, settings: Settings) -> Observed | None:
    """What ``observe`` wrote in ``out_dir``, if it was made from this film with these settings."""
    table, summary_path = out_dir / "observations.csv", out_dir / "people.json"
    if not (table.is_file() and summary_path.is_file()):
        return None
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
        same_film = summary["film"]["sha256"] == info.sha256
        wanted = settings.to_dict()
        same_settings = all(summary["settings"].get(k) == wanted[k] for k in _OBSERVING_SETTINGS)
        if not (same_film and same_settings):
            return None
        people = [
            PersonSummary(**{str(k): (math.nan if v is None else v) for k, v in p.items()})  # type: ignore[arg-type]
            for p in summary["people"]
        ]
        observations = Observations.from_csv(table)
        watched = tuple(Stretch.from_json(s) for s in summary.get("watched", []))
        watched = watched or everywhere(info.duration_s)  # written before there were glances
    except (ValueError, KeyError, TypeError):
        return None
    return Observed(
        info,
        observations,
        people,
        int(summary["frames_analysed"]),
        summary.get("damaged_from_s"),
        None,
        watched,
    )


def reusable_speech(out_dir: Path, info: FilmInfo, settings: Settings) -> Speech | None:
    """The speech analysis saved in ``out_dir``, if made from this film with these settings."""
    path = out_dir / "speech.json"
    if not path.is_file():
        return None
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        wanted = settings.to_dict()
        if saved["film"]["sha256"] != info.sha256 or any(
            saved["settings"].get(k) != wanted[k] for k in LISTENING_SECTIONS
        ):
            return None
        if not saved["observable"]:
            return Speech(observable=False, duration_s=info.duration_s)
        segments = [
            Said(
                Segment(g["start"], g["end"]),
                g["speaker"],
                g["person"],
                g["role"],
                _number(g.get("pitch_hz")),
                _number(g.get("pitch_range_st")),
            )
            for g in saved["segments"]
        ]
        speakers = [
            Speaker(**{k: (math.nan if v is None else v) for k, v in s.items()})  # type: ignore[arg-type]
            for s in saved["speakers"]
        ]
    except (ValueError, KeyError, TypeError):
        return None
    voice = settings.voice
    return Speech(
        observable=True,
        duration_s=info.duration_s,
        speech=Timeline([Segment(float(a), float(b)) for a, b in saved["speech"]]),
        segments=segments,
        turns=make_turns(segments, voice.turn_gap_s, voice.monologue_s),
        speakers=speakers,
        unclear=Timeline([Segment(float(a), float(b)) for a, b in saved["unclear"]]),
    )


@written_together
def save_speech(speech: Speech, out_dir: Path, info: FilmInfo, settings: Settings) -> list[Path]:
    """``turns.rttm``, ``turns.csv`` and ``speech.json`` (speakers, settings, film)."""
    file_id = info.path.stem.replace(" ", "_")
    written = [
        atomic_write(out_dir / "turns.rttm", lambda path: write_rttm(speech, path, file_id)),
        atomic_write(out_dir / "turns.csv", lambda path: write_turns_csv(speech, path)),
    ]
    summary = {
        "schema": "vigvision.speech/1",
        "vigvision": __version__,
        "film": info.to_json(),
        "settings": settings.to_dict(),
        "observable": speech.observable,
        "speech_s": round(speech.speech.duration(), 3),
        "speakers": [
            {
                k: (None if isinstance(v, float) and not np.isfinite(v) else v)
                for k, v in asdict(s).items()
            }
            for s in speech.speakers
        ],
        "turn_taking": turn_taking(speech),
        "speech": [[round(a, 3), round(b, 3)] for a, b in speech.speech],
        "unclear": [[round(a, 3), round(b, 3)] for a, b in speech.unclear],
        "segments": [
            {
                "start": round(g.start, 3),
                "end": round(g.end, 3),
                "speaker": g.speaker,
                "person": g.person,
                "role": g.role,
                "pitch_hz": _rounded(g.pitch_hz, 1),
                "pitch_range_st": _rounded(g.pitch_range_st, 2),
            }
            for g in speech.segments
        ],
    }
    written.append(write_json(out_dir / "speech.json", summary))
    return written


def _number(value: Any) -> float:
    """A number read from JSON (null: not measured)."""
    return math.nan if value is None else float(value)


def _rounded(value: float, digits: int) -> float | None:
    """A number for JSON (None where it was not measured)."""
    return round(value, digits) if math.isfinite(value) else None


@written_together
def save_suggestions(
    suggestions: Suggestions, speech: Speech, out_dir: Path, settings: Settings
) -> list[Path]:
    """``candidates.json`` (the public contract), candidates.csv, cues.csv, report.html, .eaf."""
    info = suggestions.info
    data = {
        "schema": "vigvision.candidates/1",
        "vigvision": __version__,
        "film": {
            "path": str(info.path),
            "sha256": info.sha256,
            "duration_s": round(info.duration_s, 3),
            "fps": None if info.fps is None else round(info.fps, 3),
            "width": info.width,
            "height": info.height,
        },
        "settings": {**settings.to_dict(), "model": suggestions.model_kind},
        # In a crowd or a class only the pairs seen together longest are analysed.
        "pairs": {
            "analysed": [cues.pair.name for cues in suggestions.cues],
            "possible": suggestions.pairs_possible,
        },
        "candidates": [asdict(c) for c in suggestions.candidates],
        # One adult with several children: stretches in which each child in view is reached.
        "groups": [
            {
                "start_s": g.start_s,
                "end_s": g.end_s,
                "adult": g.adult,
                "children": [asdict(child) for child in g.children],
                "explanation": g.sentence(),
            }
            for g in suggestions.groups
        ],
    }
    written = [write_json(out_dir / "candidates.json", data)]

    def table(path: Path) -> None:
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(
                ["rank", "start_s", "end_s", "score", "pair", "principles", "explanation"]
            )
            for c in suggestions.candidates:
                writer.writerow(
                    [
                        c.rank,
                        c.start_s,
                        c.end_s,
                        c.score,
                        c.pair,
                        "; ".join(c.principles),
                        c.explanation,
                    ]
                )

    written.append(atomic_write(out_dir / "candidates.csv", table))
    written.append(
        atomic_write(out_dir / "cues.csv", lambda path: write_cues_csv(suggestions.cues, path))
    )
    written.append(
        atomic_write(out_dir / "report.html", lambda path: write_report(suggestions, path))
    )
    eaf = out_dir / f"{suggestions.info.path.stem}.eaf"
    written.append(atomic_write(eaf, lambda path: write_eaf(suggestions, speech, path)))
    return written
