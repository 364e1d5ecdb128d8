"""The files of who speaks when: RTTM (standard, for diarization tools) and turns.csv."""

from __future__ import annotations

import csv
import math
from pathlib import Path

from pyannote.core import Annotation, Segment

from vigvision.turns import Speech


def write_rttm(speech: Speech, path: Path, file_id: str) -> None:
    """Standard RTTM: one SPEAKER line per speech segment."""
    with path.open("w", encoding="utf-8") as f:
        speech.who_speaks_when(uri=file_id).write_rttm(f)


def read_rttm(path: Path) -> Annotation:
    """Who speaks when in an RTTM file (its SPEAKER lines), e.g. a reference to score against."""
    annotation = Annotation(uri=path.stem)
    for track, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        parts = line.split()
        if len(parts) >= 8 and parts[0] == "SPEAKER":
            start = float(parts[3])
            annotation[Segment(start, start + float(parts[4])), track] = parts[7]
    return annotation


TURN_COLUMNS = (
    "start",
    "end",
    "speaker",
    "person",
    "role",
    "gap_before_s",
    "previous_speaker",
    "duration_s",
    "long_monologue",
)


def write_turns_csv(speech: Speech, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(TURN_COLUMNS)
        for turn in speech.turns:
            writer.writerow(
                [
                    f"{turn.start:.3f}",
                    f"{turn.end:.3f}",
                    turn.speaker,
                    "" if turn.person is None else turn.person,
                    turn.role,
                    "" if math.isnan(turn.gap_before_s) else f"{turn.gap_before_s:.3f}",
                    turn.previous_speaker,
                    f"{turn.duration_s:.3f}",
                    int(turn.long_monologue),
                ]
            )
