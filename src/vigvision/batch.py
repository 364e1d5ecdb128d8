"""A researcher's dataset at once: one task per film of a manifest, on this machine's cores
or on a Dask cluster, each a full ``suggest`` run into a folder of its own.

manifest ──tasks──▶ DIR/FILMID/ (observations, turns, cues, candidates) ──▶ batch.csv,
summary.csv.

A film is never analysed twice: a film listed as done in ``batch.csv`` (the same entry of
the manifest: its name, size and modification time) is skipped, and a film stopped half-way
continues from what its folder kept (the pipeline's own resume). ``batch.csv`` is written
again after each film, so a batch killed at any moment loses at most the films under way.
"""

from __future__ import annotations

import csv
import hashlib
import math
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Final

import numpy as np

from vigvision.config import Settings
from vigvision.errors import ConfigError, VigvisionError
from vigvision.files import atomic_write

BATCH_CSV: Final = "batch.csv"
SUMMARY_CSV: Final = "summary.csv"
# The exit code of a batch in which some film failed (2 stays for a batch that cannot run).
SOME_FAILED: Final = 3
_COLUMNS: Final = ("film", "sha256", "dyad", "cycle", "status", "error", "seconds", "candidates")
# A film stands for itself in a de-identified batch by this many hex digits of its sha256.
_DEIDENTIFIED_ID_DIGITS: Final = 16


@dataclass(frozen=True)
class Entry:
    """One film of the manifest."""

    row: int
    """Its line in the manifest (the header is line 1)."""
    name: str
    """As the manifest gives it: a path relative to the manifest."""
    path: Path
    dyad: str
    cycle: str

    def key(self) -> str:
        """Which entry, and which version of its file: a finished film is skipped only while
        its file stays as it was. A hash, so that no path is kept in a de-identified batch."""
        try:
            stat = self.path.stat()
            version = f"{stat.st_size}:{stat.st_mtime_ns}"
        except OSError:
            version = "missing"
        return hashlib.sha256(f"{self.name}\0{version}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Outcome:
    """How one film went: a row of ``batch.csv``."""

    film: str
    """The manifest's name for it, or its sha256 in a de-identified batch."""
    sha256: str
    dyad: str
    cycle: str
    status: str
    """``ok`` or ``failed``."""
    error: str
    seconds: float
    candidates: int
    folder: str
    """The film's results folder, relative to the batch's (empty when it failed early)."""
    entry: str
    """``Entry.key()``: what a later run compares to skip the film."""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def read_manifest(path: Path) -> list[Entry]:
    """The films of a manifest CSV: a ``film`` column, optional ``dyad`` (or ``group``) and
    ``cycle``."""
    if not path.is_file():
        raise ConfigError(f"no manifest at {path}", "give the path of a CSV with a film column")
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
            columns = [c.strip().lower() for c in (rows[0].keys() if rows else [])]
    except (UnicodeDecodeError, csv.Error) as error:
        raise ConfigError(
            f"{path} is not a readable CSV ({error})", "save it as CSV (UTF-8) and try again"
        ) from error
    if "film" not in columns:
        raise ConfigError(
            f"{path} has no film column" if rows else f"{path} lists no films",
            "the first line names the columns: film[,dyad][,cycle]",
        )
    entries = []
    for number, row in enumerate(rows, start=2):
        cells = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
        name = cells.get("film", "")
        if not name:
            continue
        dyad = cells.get("dyad") or cells.get("group") or ""
        entries.append(Entry(number, name, path.parent / name, dyad, cells.get("cycle", "")))
    if not entries:
        raise ConfigError(f"{path} lists no films", "add one film per line under a film column")
    return entries


def folder_names(entries: list[Entry]) -> dict[int, str]:
    """A results folder name per entry (by row): the film's name, made safe, and unique."""
    names: dict[int, str] = {}
    taken: set[str] = set()
    for entry in entries:
        stem = re.sub(r"[^A-Za-z0-9._-]+", "_", str(Path(entry.name).with_suffix(""))).strip("._")
        name = stem or "film"
        if name in taken:
            name = f"{name}-row{entry.row}"
        taken.add(name)
        names[entry.row] = name
    return names


def analyse(
    entry: Entry, folder_name: str, out: Path, settings: Settings, deidentify: bool
) -> Outcome:
    """One film, start to end, in whichever process runs it; never raises for the film."""
    from vigvision.film import probe
    from vigvision.pipeline import suggest_film

    started = time.perf_counter()
    sha256 = ""
    folder = ""
    try:
        info = probe(entry.path)
        sha256 = info.sha256
        folder = sha256[:_DEIDENTIFIED_ID_DIGITS] if deidentify else folder_name
        target = out / folder
        target.mkdir(parents=True, exist_ok=True)
        if deidentify:
            neutral = f"{folder}{entry.path.suffix.lower()}"
            film = _neutral_link(entry.path, out / ".films" / neutral)
            run = suggest_film(replace(info, path=film), settings, target, everywhere=True)
            _deidentify(target, film, neutral)
        else:
            run = suggest_film(info, settings, target, everywhere=True)
        status, error, candidates = "ok", "", len(run.suggestions.candidates)
    except VigvisionError as problem:
        status, error, candidates = "failed", problem.one_line(), 0
    except Exception as problem:  # one film's surprise must not stop the others
        status, error, candidates = "failed", f"unexpected error: {_one_line(problem)}", 0
    if deidentify:  # what went wrong, without saying where the film is
        for mention in (str(entry.path.resolve()), str(entry.path), entry.name):
            error = error.replace(mention, "the film")
    return Outcome(
        film=(sha256 or f"manifest row {entry.row}") if deidentify else entry.name,
        sha256=sha256,
        dyad=entry.dyad,
        cycle=entry.cycle,
        status=status,
        error=error,
        seconds=round(time.perf_counter() - started, 1),
        candidates=candidates,
        folder=folder,
        entry=entry.key(),
    )


def _one_line(problem: BaseException) -> str:
    return " ".join(f"{type(problem).__name__}: {problem}".split())


def _neutral_link(source: Path, link: Path) -> Path:
    """The film under a name that says nothing (its hash), so that no output names it."""
    link.parent.mkdir(parents=True, exist_ok=True)
    link.unlink(missing_ok=True)
    link.symlink_to(source.resolve())
    return link


def _deidentify(folder: Path, film: Path, name: str) -> None:
    """Times and measures only: the report (it shows stills) goes, and every mention of
    where the film was is replaced by its neutral name."""
    for path in folder.iterdir():
        if path.suffix.lower() in {".html", ".jpg", ".jpeg", ".png", ".mp4", ".webm"}:
            path.unlink()
        elif path.is_file() and path.suffix.lower() in {".json", ".eaf", ".rttm", ".csv"}:
            text = path.read_text(encoding="utf-8")
            clean = text
            # Absolute, as given, and relative to the folder (ELAN keeps both).
            for mention in (str(film.resolve()), str(film), os.path.relpath(film, folder)):
                clean = clean.replace(mention, name)
            if clean != text:
                _write_text(path, clean)
    film.unlink(missing_ok=True)


def _write_text(target: Path, text: str) -> None:
    atomic_write(target, lambda path: path.write_text(text, encoding="utf-8"))


def finished(out: Path) -> dict[str, Outcome]:
    """The films a batch in ``out`` has done already (ok or failed), by ``Entry.key``."""
    path = out / BATCH_CSV
    if not path.is_file():
        return {}
    done: dict[str, Outcome] = {}
    try:
        with path.open(newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                outcome = Outcome(
                    film=row["film"],
                    sha256=row["sha256"],
                    dyad=row["dyad"],
                    cycle=row["cycle"],
                    status=row["status"],
                    error=row["error"],
                    seconds=float(row["seconds"] or 0),
                    candidates=int(row["candidates"] or 0),
                    folder=row["folder"],
                    entry=row["entry"],
                )
                done[outcome.entry] = outcome
    except (KeyError, TypeError, ValueError, csv.Error):
        return {}  # not ours, or from another version: everything is run (and reused)
    return done


def write_batch_csv(out: Path, outcomes: Iterable[Outcome]) -> Path:
    def write(path: Path) -> None:
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=[*_COLUMNS, "folder", "entry"])
            writer.writeheader()
            for outcome in outcomes:
                writer.writerow(asdict(outcome))

    return atomic_write(out / BATCH_CSV, write)


def write_summary_csv(out: Path, outcomes: Iterable[Outcome]) -> Path:
    """One tidy row per film, pair and cue: its mean over the film's analysed instants and
    the share of them in which it was observed (``cues.csv`` of each film)."""
    rows: list[dict[str, Any]] = []
    for outcome in outcomes:
        cues = out / outcome.folder / "cues.csv"
        if not outcome.ok or not cues.is_file():
            continue
        for pair, cue, mean, observed in _cue_means(cues):
            rows.append(
                {
                    "film": outcome.film,
                    "sha256": outcome.sha256,
                    "dyad": outcome.dyad,
                    "cycle": outcome.cycle,
                    "pair": pair,
                    "cue": cue,
                    "mean": "" if math.isnan(mean) else round(mean, 4),
                    "share_observed": round(observed, 4),
                }
            )

    def write(path: Path) -> None:
        with path.open("w", newline="", encoding="utf-8") as f:
            columns = ["film", "sha256", "dyad", "cycle", "pair", "cue", "mean", "share_observed"]
            writer = csv.DictWriter(f, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)

    return atomic_write(out / SUMMARY_CSV, write)


def _cue_means(cues_csv: Path) -> Iterator[tuple[str, str, float, float]]:
    with cues_csv.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            return
        by_pair: dict[str, list[list[str]]] = {}
        for row in reader:
            by_pair.setdefault(row[1], []).append(row)
    for pair, rows in by_pair.items():
        for column, cue in enumerate(header[2:], start=2):
            values = np.array([float(r[column]) if r[column] else np.nan for r in rows])
            seen = np.isfinite(values)
            mean = float(values[seen].mean()) if seen.any() else math.nan
            yield pair, cue, mean, float(seen.mean()) if len(values) else 0.0


Report = Callable[[Outcome, int, int], None]
"""``report(outcome, done, total)`` after each film."""


def run_batch(
    entries: list[Entry],
    out: Path,
    settings: Settings,
    *,
    workers: int,
    scheduler: str | None = None,
    deidentify: bool = False,
    report: Report | None = None,
) -> list[Outcome]:
    """Every film of ``entries`` analysed into ``out`` (those done before are skipped), in
    manifest order; ``batch.csv`` and ``summary.csv`` are written as films finish."""
    out.mkdir(parents=True, exist_ok=True)
    before = finished(out)
    names = folder_names(entries)
    keys = {entry.row: entry.key() for entry in entries}
    outcomes: dict[int, Outcome] = {
        entry.row: before[keys[entry.row]]
        for entry in entries
        if keys[entry.row] in before and before[keys[entry.row]].ok
    }
    to_do = [entry for entry in entries if entry.row not in outcomes]
    total = len(entries)

    def done(entry: Entry, outcome: Outcome) -> None:
        outcomes[entry.row] = outcome
        in_order = [outcomes[e.row] for e in entries if e.row in outcomes]
        write_batch_csv(out, in_order)
        if report is not None:
            report(outcome, len(outcomes), total)

    for outcome in outcomes.values():
        if report is not None:
            report(outcome, len(outcomes), total)
    tasks = [(entry, names[entry.row], out, settings, deidentify) for entry in to_do]
    if scheduler is not None:
        for entry, outcome in _on_dask(scheduler, tasks):
            done(entry, outcome)
    elif to_do:
        for entry, outcome in _on_this_machine(min(workers, len(to_do)), tasks):
            done(entry, outcome)
    result = [outcomes[e.row] for e in entries]
    write_batch_csv(out, result)
    write_summary_csv(out, result)
    shutil.rmtree(out / ".films", ignore_errors=True)
    return result


Task = tuple[Entry, str, Path, Settings, bool]


def _on_this_machine(workers: int, tasks: list[Task]) -> Iterator[tuple[Entry, Outcome]]:
    """A process per film at a time, ``workers`` at once; started afresh ("spawn"), so a
    worker holds nothing of the parent, and each ends with it (see ``_end_with_parent``)."""
    with ProcessPoolExecutor(
        max_workers=max(1, workers),
        mp_context=get_context("spawn"),
        initializer=_end_with_parent,
        initargs=(os.getpid(),),
    ) as pool:
        futures: dict[Future[Outcome], Entry] = {
            pool.submit(analyse, *task): task[0] for task in tasks
        }
        try:
            for future in as_completed(futures):
                yield futures[future], future.result()
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def _end_with_parent(parent: int) -> None:
    """A worker whose batch was killed stops too, instead of finishing its film unseen
    while a new batch starts on the same folder."""
    from vigvision.logs import configure

    configure()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="vigvision-parent-watch", daemon=True).start()


def _on_dask(address: str, tasks: list[Task]) -> Iterator[tuple[Entry, Outcome]]:
    """The same tasks on an existing Dask cluster (its workers have vigvision installed and
    see the films and the results folder under the same paths)."""
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError as error:
        raise ConfigError(
            "running on a Dask cluster needs the cluster extra",
            "install it with `uv sync --extra cluster` (or pip install 'vigvision[cluster]')",
        ) from error
    try:
        client = Client(address, timeout="20s")  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError, ValueError) as error:
        raise ConfigError(
            f"no Dask scheduler answered at {address}",
            "start one with `dask scheduler` and give its tcp://HOST:PORT",
        ) from error
    with client:
        futures = {
            client.submit(analyse, *task, pure=False, key=f"vigvision-{task[0].key()}"): task[0]
            for task in tasks
        }
        for future in dask_completed(futures):  # type: ignore[no-untyped-call]
            yield futures[future], future.result()


def films_done(out: Path, *, failed_too: bool = False) -> list[Outcome]:
    """The films of the batch in ``out`` that were analysed (status ok), in its order; with
    ``failed_too``, those that failed as well."""
    if not (out / BATCH_CSV).is_file():
        raise ConfigError(
            f"{out} holds no batch (no {BATCH_CSV})",
            "give the --out folder of a `vigvision batch` run",
        )
    every = list(finished(out).values())
    if not any(outcome.ok for outcome in every):
        raise ConfigError(f"no film of the batch in {out} was analysed", "see its batch.csv")
    return every if failed_too else [outcome for outcome in every if outcome.ok]


def batch_film_of(film: Path, outcomes: list[Outcome]) -> Outcome | None:
    """The batch's film that a labels file means by ``film``: by the manifest's path for it
    (the labels' path ends with it), by its sha256 (``film`` named by it, as de-identified
    labels are), or, when neither tells, by the file's own hash."""
    from vigvision.film import file_sha256

    by_hash = {o.sha256: o for o in outcomes}
    for digits in (film.name, film.stem):
        if len(digits) >= _DEIDENTIFIED_ID_DIGITS:
            named = [o for o in outcomes if o.sha256.startswith(digits.lower())]
            if len(named) == 1:
                return named[0]
    parts = film.parts
    by_name = [
        (len(tail), o)
        for o in outcomes
        if (tail := tuple(p for p in Path(o.film).parts if p not in (".", "..")))
        and parts[-len(tail) :] == tail
    ]
    if by_name:
        longest = max(n for n, _ in by_name)
        named = [o for n, o in by_name if n == longest]
        if len(named) == 1:
            return named[0]
    if film.is_file():
        return by_hash.get(file_sha256(film))
    return None
