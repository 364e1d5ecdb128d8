"""The guider's choices: which moments they chose, set aside or added, with their notes.

Saved as ``selections.json`` beside ``candidates.json`` on every change (written whole, then
moved into place, so a crash never leaves half a file). ``vigvision train`` reads the chosen
moments as labels.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Final

from vigvision.files import write_json

SCHEMA: Final = "vigvision.selections/1"
FILE: Final = "selections.json"
STATUSES: Final = ("open", "chosen", "set aside")
_MAX_NOTE: Final = 4000
_MAX_MOMENTS: Final = 500


@dataclass(frozen=True)
class Moment:
    id: str
    start_s: float
    end_s: float
    status: str
    """open (not looked at yet), chosen, or set aside."""
    note: str
    """What the guider sees working in it."""
    source: str
    """candidate (suggested) or guider (added by hand)."""
    rank: int | None
    explanation: str
    evidence: str = ""
    """How much evidence the moment shows, in plain words (suggested moments only)."""


def from_candidates(candidates: dict[str, Any]) -> list[Moment]:
    """The suggested moments, none chosen yet."""
    return [
        Moment(
            f"c{c['rank']}",
            float(c["start_s"]),
            float(c["end_s"]),
            "open",
            "",
            "candidate",
            int(c["rank"]),
            str(c["explanation"]),
            evidence_words(c.get("strength", ""), c.get("seen_together", 0.0), c.get("heard", 0.0)),
        )
        for c in candidates["candidates"]
    ]


def evidence_words(strength: str, seen_together: float, heard: float) -> str:
    """How much a moment shows, for people: "Strong evidence; both in view 92% of it".

    Here rather than in ``explain``, so that the review page needs none of the analysis.
    """
    if not strength:
        return ""
    seen = f"both in view {seen_together:.0%} of it"
    if heard >= 0.5 and seen_together < 0.5:
        seen = f"heard more than seen ({seen})"
    return f"{strength.capitalize()} evidence; {seen}"


def load(folder: Path, candidates: dict[str, Any]) -> list[Moment]:
    """The saved choices of this folder, or the suggestions when nothing was saved yet."""
    path = folder / FILE
    if path.is_file():
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
            if saved.get("film", {}).get("sha256") == candidates["film"]["sha256"]:
                return parse(saved["moments"], float(candidates["film"]["duration_s"]))
        except (ValueError, KeyError, TypeError):
            pass  # a damaged file: start again from the suggestions (it is kept until a save)
    return from_candidates(candidates)


def parse(items: Any, duration_s: float) -> list[Moment]:
    """Moments from untrusted JSON (the review page): ValueError says what is wrong."""
    if not isinstance(items, list) or len(items) > _MAX_MOMENTS:
        raise ValueError("moments must be a list")
    moments = []
    for item in items:
        if not isinstance(item, dict):
            raise ValueError("each moment must be an object")
        start, end = float(item["start_s"]), float(item["end_s"])
        if not (math.isfinite(start) and math.isfinite(end) and 0 <= start < end <= duration_s + 1):
            raise ValueError(f"a moment's times are outside the film ({start}-{end} s)")
        status, note = str(item.get("status", "open")), str(item.get("note", ""))
        if status not in STATUSES:
            raise ValueError(f"unknown status '{status}'")
        if len(note) > _MAX_NOTE:
            raise ValueError("a note is too long")
        rank = item.get("rank")
        moments.append(
            Moment(
                str(item["id"])[:40],
                round(start, 3),
                round(end, 3),
                status,
                note,
                "guider" if item.get("source") == "guider" else "candidate",
                int(rank) if rank is not None else None,
                str(item.get("explanation", ""))[:_MAX_NOTE],
                str(item.get("evidence", ""))[:_MAX_NOTE],
            )
        )
    return moments


def save(folder: Path, film: dict[str, Any], moments: list[Moment]) -> Path:
    return write_json(
        folder / FILE,
        {
            "schema": SCHEMA,
            "film": {"path": film["path"], "sha256": film["sha256"]},
            "saved_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "moments": [asdict(m) for m in moments],
        },
    )


def chosen(moments: list[Moment]) -> list[Moment]:
    return sorted((m for m in moments if m.status == "chosen"), key=lambda m: m.start_s)
