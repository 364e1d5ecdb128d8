"""Picking a film on this computer without typing a path: folders and films, inside the
user's own folders only.

The app lists folders for its file chooser rather than taking films dropped on the page:
a dropped file would have to be copied into the case (browsers do not tell pages where a
file is), and a case never holds copies of the films (long films are gigabytes, and the
originals stay where the guider keeps them). Only folders under ``app.film_folders`` (the
home folder and where removable drives appear) are listed, hidden ones never, and a path
is checked after symbolic links are followed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

FILM_SUFFIXES: Final = frozenset({".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm"})
_MAX_ENTRIES: Final = 2000


def allowed_roots(folders: tuple[str, ...]) -> tuple[Path, ...]:
    """The folders the chooser may show (``app.film_folders``), those that exist here."""
    roots = (Path(folder).expanduser() for folder in folders)
    return tuple(dict.fromkeys(root.resolve() for root in roots if root.is_dir()))


class OutsideError(ValueError):
    """A path outside the allowed folders (or not a folder or film there)."""


def inside(path: Path, roots: tuple[Path, ...], away: tuple[Path, ...] = ()) -> Path:
    """``path`` with its links followed, if it lies in one of ``roots``, is not hidden and
    is not in one of the ``away`` folders (the cases: what vigvision made is no film)."""
    resolved = path.expanduser().resolve()
    if any(resolved == a or a in resolved.parents for a in away):
        raise OutsideError("that is where vigvision keeps the cases, not films")
    for root in roots:
        if resolved == root or root in resolved.parents:
            if any(part.startswith(".") for part in resolved.relative_to(root).parts):
                raise OutsideError("hidden folders are not shown")
            return resolved
    raise OutsideError("that folder is not one the app may show")


@dataclass(frozen=True)
class Listing:
    folder: Path
    parent: Path | None
    """The folder above, when it is still inside the allowed folders."""
    folders: list[str]
    films: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return {
            "folder": str(self.folder),
            "parent": None if self.parent is None else str(self.parent),
            "folders": self.folders,
            "films": self.films,
        }


def listing(folder: Path, roots: tuple[Path, ...], away: tuple[Path, ...] = ()) -> Listing:
    """The folders and films in ``folder`` (which must be inside ``roots``)."""
    here = inside(folder, roots, away)
    if not here.is_dir():
        raise OutsideError("that is not a folder")
    folders: list[str] = []
    films: list[dict[str, Any]] = []
    try:
        entries = sorted(os.scandir(here), key=lambda e: e.name.lower())[:_MAX_ENTRIES]
    except OSError as error:
        raise OutsideError(f"that folder cannot be read ({error.strerror})") from error
    for entry in entries:
        if entry.name.startswith("."):
            continue
        try:
            if entry.is_dir():
                if Path(entry.path).resolve() not in away:
                    folders.append(entry.name)
            elif entry.is_file() and Path(entry.name).suffix.lower() in FILM_SUFFIXES:
                films.append({"name": entry.name, "size_bytes": entry.stat().st_size})
        except OSError:
            continue  # a broken link or a file that went: not listed
    parent = here.parent
    try:
        up: Path | None = inside(parent, roots) if here not in roots else None
    except OutsideError:
        up = None
    return Listing(here, up, folders, films)


def chosen_film(path: Path, roots: tuple[Path, ...], away: tuple[Path, ...] = ()) -> Path:
    """A film the guider picked: inside the allowed folders, and a film by its name."""
    film = inside(path, roots, away)
    if not film.is_file() or film.suffix.lower() not in FILM_SUFFIXES:
        raise OutsideError("that is not a film vigvision reads")
    return film
