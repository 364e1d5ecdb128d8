"""The guider's choices: which moments they chose, set aside or added, with their notes.

Saved as ``selections.json`` beside ``candidates.json`` on every change (written whole, then
moved into place, so a crash never leaves half a file). ``vigvision train`` reads the chosen
moments as labels.

When ``suggest`` runs again on the film (say with ``--adult left``), its new suggestions
replace the old ones the guider had not touched; what the guider did (a moment chosen, set
aside, noted or added) is kept, and an old suggestion kept so is shown as from an earlier
run.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, replace
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
        # ``heard``: the share of the moment with sound to listen to, not of speech.
        seen = f"both in view only {seen_together:.0%} of it, with sound for {heard:.0%}"
    return f"{strength.capitalize()} evidence; {seen}"


def load(folder: Path, candidates: dict[str, Any]) -> list[Moment]:
    """The saved choices of this folder over the suggestions, in the order of the cards."""
    suggested = from_candidates(candidates)
    path = folder / FILE
    if path.is_file():
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
            if saved.get("film", {}).get("sha256") == candidates["film"]["sha256"]:
                moments = parse(saved["moments"], float(candidates["film"]["duration_s"]))
                if saved.get("suggestions") == suggestions_id(candidates):
                    return in_card_order(moments)
                return in_card_order(kept_over(moments, suggested))
        except (ValueError, KeyError, TypeError):
            pass  # a damaged file: start again from the suggestions (it is kept until a save)
    return suggested


def suggestions_id(candidates: dict[str, Any]) -> str:
    """Which run of ``suggest`` the choices were made on (its moments, by rank and times)."""
    spans = [[c["rank"], c["start_s"], c["end_s"]] for c in candidates["candidates"]]
    return hashlib.sha256(json.dumps(spans).encode()).hexdigest()[:16]


def kept_over(saved: list[Moment], suggested: list[Moment]) -> list[Moment]:
    """The guider's work on an earlier run's suggestions, with a new run's suggestions.

    A suggestion of both runs (same times) keeps the guider's status and note; an earlier
    suggestion the guider chose, set aside or wrote about stays (without its rank); one
    nobody touched goes with its run.
    """
    new = {(m.start_s, m.end_s): m for m in suggested}
    kept: list[Moment] = []
    carried: set[str] = set()
    for moment in saved:
        same = new.get((moment.start_s, moment.end_s)) if moment.source == "candidate" else None
        if same is not None:
            kept.append(replace(same, status=moment.status, note=moment.note))
            carried.add(same.id)
        elif moment.source == "guider":
            kept.append(moment)
        elif moment.status != "open" or moment.note:
            earlier = moment.id if moment.id.startswith("e") else f"e{moment.id}"
            kept.append(replace(moment, id=earlier, rank=None))
    return kept + [m for m in suggested if m.id not in carried]


def in_card_order(moments: list[Moment]) -> list[Moment]:
    """As the review page lists them: the suggestions by rank, then the moments the guider
    added and those kept from an earlier run, by time."""
    return sorted(moments, key=lambda m: (m.rank is None, m.rank or 0, m.start_s))


def card_labels(moments: list[Moment]) -> dict[str, str]:
    """What each moment's card calls it, by id: its rank ("3"), "added 1", "earlier 1"...
    Exported files are named so (``moment-3``, ``added-1``), as the guider sees them."""
    labels: dict[str, str] = {}
    counts = {"added": 0, "earlier": 0}
    for moment in sorted(moments, key=lambda m: m.start_s):
        if moment.rank is not None:
            labels[moment.id] = str(moment.rank)
        else:
            kind = "added" if moment.source == "guider" else "earlier"
            counts[kind] += 1
            labels[moment.id] = f"{kind} {counts[kind]}"
    return labels


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


def save(folder: Path, candidates: dict[str, Any], moments: list[Moment]) -> Path:
    film = candidates["film"]
    return write_json(
        folder / FILE,
        {
            "schema": SCHEMA,
            "film": {"path": film["path"], "sha256": film["sha256"]},
            "suggestions": suggestions_id(candidates),
            "saved_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "moments": [asdict(m) for m in moments],
        },
    )


def chosen(moments: list[Moment]) -> list[Moment]:
    return sorted((m for m in moments if m.status == "chosen"), key=lambda m: m.start_s)
