"""Case folders: everything derived from the films of one family or class, with its consent.

A case is a folder only its owner can read (0700) under the cases root, holding
``case.json`` (the consent reference and date, when the case was last worked on, how long
its files are kept) and, per film, the folder ``suggest`` writes into. Films themselves are
never moved, changed or copied into a case (only a playable proxy may be made inside it).

Purging deletes every file vigvision made for the case and leaves one line in the root's
``purge.log`` that names no one: the date, a digest of the case name, what was deleted.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Final

from vigvision.config import Settings
from vigvision.errors import ConfigError
from vigvision.files import write_json
from vigvision.film import FilmInfo

CASE_FILE: Final = "case.json"
PURGE_LOG: Final = "purge.log"
_NAME: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_PRIVATE: Final = 0o700


@dataclass(frozen=True)
class Case:
    name: str
    consent_ref: str
    consent_date: str
    """ISO date the consent was given."""
    created: str
    last_worked: str
    """ISO date of the last work on the case: retention counts from it."""
    retain_days: int
    films: tuple[str, ...] = ()
    """The original films of this case (paths; never copied), in the order they came."""
    folder: Path = Path()
    goals: tuple[str, ...] = ()
    """The VIG goals of the work (names in configs/principles.yaml): the ranking leans on them."""
    goals_in_words: str = ""
    """The adult's goals in their own words, as typed on the app's page: for the letter."""
    cycles: dict[str, int] = field(default_factory=dict)
    """Each film's cycle of the work (film path → 1, 2, 3...); a film not in it: cycle 1."""
    pending: tuple[str, ...] = ()
    """Films whose analysis was asked for and has not ended: it goes on after a restart."""

    def cycle_of(self, film: str) -> int:
        return self.cycles.get(film, 1)

    @property
    def retain_until(self) -> date:
        return date.fromisoformat(self.last_worked) + timedelta(days=self.retain_days)

    def expired(self, today: date) -> bool:
        return today > self.retain_until

    def film_folders(self) -> list[Path]:
        """The folders of this case's films that hold suggestions, oldest first."""
        folders = (self.folder / "films").glob("*/candidates.json")
        return sorted((p.parent for p in folders), key=lambda p: p.stat().st_mtime)


def cases_root(settings: Settings) -> Path:
    return Path(settings.cases.root).expanduser()


def new_case(
    root: Path, name: str, consent_ref: str, consent_date: str, retain_days: int, today: date
) -> Case:
    """Make the case folder (owner only) and record its consent."""
    _check_name(name)
    try:
        given = date.fromisoformat(consent_date)
    except ValueError as error:
        raise ConfigError(
            f"--consent-date {consent_date} is not a date", "write it as YYYY-MM-DD"
        ) from error
    if given > today:
        raise ConfigError(f"the consent date {consent_date} is in the future", "check it")
    if not consent_ref.strip():
        raise ConfigError(
            "the consent reference is empty", "give the reference of the consent form"
        )
    _private_folder(root)
    folder = root / name
    taken = {p.name.lower() for p in root.iterdir()} if root.is_dir() else set()
    if folder.exists() or name.lower() in taken:
        # Also by another case of letters: on many laptops' disks they are the same folder.
        raise ConfigError(f"a case named {name} already exists", "choose another name")
    _private_folder(folder)
    case = Case(
        name,
        consent_ref.strip(),
        given.isoformat(),
        today.isoformat(),
        today.isoformat(),
        retain_days,
        (),
        folder,
    )
    _save(case)
    return case


def open_case(root: Path, name: str) -> Case:
    _check_name(name)
    path = root / name / CASE_FILE
    if not path.is_file():
        raise ConfigError(
            f"there is no case named {name} in {root}",
            "make it with `vigvision case new NAME --consent-ref REF --consent-date DATE`",
        )
    try:
        saved: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        lists = ("films", "goals", "pending")
        fields: dict[str, Any] = {
            k: v for k, v in saved.items() if k not in ("schema", "retain_until", *lists)
        }
        fields.update({k: tuple(saved.get(k, ())) for k in lists})
        return Case(**fields, folder=path.parent)
    except (ValueError, TypeError) as error:
        raise ConfigError(f"the case file {path} is damaged", "restore it from a backup") from error


def list_cases(root: Path) -> list[Case]:
    if not root.is_dir():
        return []
    return [open_case(root, p.parent.name) for p in sorted(root.glob(f"*/{CASE_FILE}"))]


def film_folder(case: Case, info: FilmInfo, today: date) -> tuple[Case, Path]:
    """The folder (owner only) of one film's results in a case; the case records the film."""
    folder = case.folder / "films" / f"{_safe_stem(info.path.stem)}-{info.sha256[:8]}"
    _private_folder(case.folder / "films")
    _private_folder(folder)
    film = str(info.path.resolve())
    films = case.films if film in case.films else (*case.films, film)
    return worked_on(replace(case, films=films), today), folder


def worked_on(case: Case, today: date) -> Case:
    """The case with today as its last day of work (retention counts from it)."""
    updated = replace(case, last_worked=max(case.last_worked, today.isoformat()))
    _save(updated)
    return updated


@dataclass(frozen=True)
class Purged:
    files: int
    bytes: int
    kept: tuple[Path, ...]
    """Original films found inside the case folder: never deleted."""


def purge(root: Path, case: Case, reason: str) -> Purged:
    """Delete every file vigvision made for the case; log it without naming anyone."""
    originals = {Path(f).resolve() for f in case.films}
    files = size = 0
    kept: list[Path] = []
    for path in sorted(case.folder.rglob("*"), reverse=True):
        if path.is_dir() and not path.is_symlink():
            if not any(path.iterdir()):
                path.rmdir()
            continue
        if path.resolve() in originals:
            kept.append(path)
            continue
        size += path.lstat().st_size
        files += 1
        path.unlink()
    if case.folder.exists() and not any(case.folder.iterdir()):
        case.folder.rmdir()
    elif case.folder.exists() and not kept:
        shutil.rmtree(case.folder)
    digest = hashlib.sha256(case.name.encode()).hexdigest()[:12]
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    with (root / PURGE_LOG).open("a", encoding="utf-8") as log:
        log.write(f"{stamp} purged case {digest} ({reason}): {files} files, {size} bytes\n")
    return Purged(files, size, tuple(kept))


def with_film(case: Case, film: Path, cycle: int) -> Case:
    """The case with ``film`` in it (by its full path), in ``cycle`` of the work; saved."""
    path = str(film.resolve())
    films = case.films if path in case.films else (*case.films, path)
    updated = replace(case, films=films, cycles={**case.cycles, path: cycle})
    _save(updated)
    return updated


def without_film(case: Case, film: str) -> Case:
    """The case without ``film``, and without what vigvision made of it; saved."""
    for folder in case.film_folders():
        try:
            saved = json.loads((folder / "candidates.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if str(Path(saved.get("film", {}).get("path", "")).resolve()) == film:
            shutil.rmtree(folder)
    cycles = {k: v for k, v in case.cycles.items() if k != film}
    films = tuple(f for f in case.films if f != film)
    pending = tuple(f for f in case.pending if f != film)
    updated = replace(case, films=films, cycles=cycles, pending=pending)
    _save(updated)
    return updated


def with_goals(case: Case, goals: tuple[str, ...], in_words: str) -> Case:
    updated = replace(case, goals=goals, goals_in_words=in_words.strip())
    _save(updated)
    return updated


def with_pending(case: Case, film: str, pending: bool) -> Case:
    """The case with ``film``'s analysis recorded as asked for (or as ended); saved."""
    others = tuple(f for f in case.pending if f != film)
    updated = replace(case, pending=(*others, film) if pending else others)
    _save(updated)
    return updated


def _save(case: Case) -> None:
    data = {
        "schema": "vigvision.case/1",
        **asdict(case),
        "films": list(case.films),
        "goals": list(case.goals),
        "pending": list(case.pending),
    }
    data.pop("folder")
    data["retain_until"] = case.retain_until.isoformat()
    write_json(case.folder / CASE_FILE, data)


def _private_folder(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True, mode=_PRIVATE)
    folder.chmod(_PRIVATE)  # mkdir's mode is cut by the umask; a folder made earlier too


def _check_name(name: str) -> None:
    if not _NAME.match(name):
        raise ConfigError(
            f"'{name}' cannot name a case",
            "use letters, digits, - and _ (a code such as family-07, not a child's name)",
        )


def _safe_stem(stem: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", stem)[:40] or "film"
