"""Work kept while a run goes on, so that a run stopped on the way (killed, a power cut,
the laptop shut) continues from there: each piece is kept with the film's hash and the
settings it was made with, and is used again only for the same film and settings.

Pieces are pickled: only ever files this program wrote, in the run's own results folder
(0700 in a case), and deleted once the stage's results are saved.
"""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from vigvision.config import Settings
from vigvision.files import atomic_write


def keep(target: Path, sha256: str, settings: Settings, sections: Sequence[str], work: Any) -> None:
    """Keep ``work`` (made from the film with this hash, with these settings' ``sections``)."""
    wanted = settings.to_dict()
    kept = {"sha256": sha256, "settings": {k: wanted[k] for k in sections}, "work": work}
    atomic_write(target, lambda path: path.write_bytes(pickle.dumps(kept)))


def kept(source: Path, sha256: str, settings: Settings, sections: Sequence[str]) -> Any | None:
    """The work kept in ``source`` for this film and these settings, or None."""
    if not source.is_file():
        return None
    try:
        piece = pickle.loads(source.read_bytes())
        wanted = settings.to_dict()
        same_settings = piece["settings"] == {k: wanted[k] for k in sections}
        return piece["work"] if piece["sha256"] == sha256 and same_settings else None
    except (pickle.UnpicklingError, EOFError, KeyError, TypeError, AttributeError, ValueError):
        return None
