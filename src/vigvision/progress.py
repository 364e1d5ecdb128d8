"""Progress bars (rich, on stderr) with an ETA, for anything that reads a whole film."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)

from vigvision.logs import stderr_console

# Hashing a film smaller than this takes well under a second: no bar.
_HASH_BAR_MIN_BYTES = 256 * 1024 * 1024
_FILM_COLUMNS = (
    TextColumn("{task.description}"),
    BarColumn(),
    TaskProgressColumn(),
    TextColumn("{task.completed:,.0f} / {task.total:,.0f} s of film"),
    TextColumn("ETA"),
    TimeRemainingColumn(),
)


@contextmanager
def film_progress(
    description: str, total_s: float, quiet: bool
) -> Iterator[Callable[[float], None]]:
    """Yields ``advance_to(t)``: call it with the film time reached, in seconds.

    Shown only on a terminal: in a log file or a pipe a bar is noise.
    """
    with stages_progress(total_s, quiet) as advance:
        yield lambda t: advance(description, t)


@contextmanager
def bytes_progress(
    description: str, total: int, quiet: bool
) -> Iterator[Callable[[int, int], None]]:
    """Yields ``update(done, total)`` for reading a file; silent for small files."""
    console = stderr_console()
    if quiet or total < _HASH_BAR_MIN_BYTES or not console.is_terminal:
        yield lambda done, size: None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda done, size: bar.update(task, completed=done)


@contextmanager
def stages_progress(total_s: float, quiet: bool) -> Iterator[Callable[[str, float], None]]:
    """Yields ``progress(stage, t)`` for the pipeline: a bar per stage, from its first report."""
    console = stderr_console()
    if quiet or total_s <= 0 or not console.is_terminal:
        yield lambda stage, t: None
        return
    with Progress(*_FILM_COLUMNS, console=console, transient=True) as bar:
        tasks: dict[str, TaskID] = {}

        def advance(stage: str, t: float) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total_s)
            bar.update(tasks[stage], completed=min(t, total_s))

        yield advance
