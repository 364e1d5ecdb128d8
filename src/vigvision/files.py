"""Writing files so that a crash never leaves half of one: write aside, then move into place.

Kept apart from ``outputs`` (which knows every result of the pipeline) so that light modules
(cases, selections, exports) can use it without importing the whole pipeline.

Files that belong together (a run's candidates, tables and report) are written inside
``all_or_none()``: they are moved into place together at its end, or, when anything fails
on the way (a full disk), none of them is, and what was there before stays as it was.
"""

from __future__ import annotations

import errno
import functools
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from vigvision.errors import DiskFullError

P = ParamSpec("P")
R = TypeVar("R")
# errno values of a disk (or quota, or file-size limit) with no room left.
NO_ROOM = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT})

# Inside ``all_or_none``: the (partial, target) files still to move into place.
_pending: ContextVar[list[tuple[Path, Path]] | None] = ContextVar("pending", default=None)


def no_room(target: Path) -> DiskFullError:
    """The one-line error for a disk that is full while ``target`` was being written."""
    return DiskFullError(
        f"no room left to write {target.name} in {target.parent} (the disk is full, or a "
        "limit on file sizes was reached)",
        "free some space or choose another folder, and run again: the files saved before "
        "are unchanged",
    )


def atomic_write(target: Path, write: Callable[[Path], object]) -> Path:
    """Run ``write(partial_path)`` then move the result onto ``target``."""
    # The ending stays last: writers such as FFmpeg choose the format by it.
    partial = target.with_name(f".{target.stem}.partial{target.suffix}")
    pending = _pending.get()
    try:
        write(partial)
        if pending is not None:
            pending.append((partial, target))
            return target
        partial.replace(target)
    except OSError as error:
        if error.errno in NO_ROOM:
            raise no_room(target) from error
        raise
    finally:
        if pending is None or (partial, target) not in pending:
            partial.unlink(missing_ok=True)
    return target


@contextmanager
def all_or_none() -> Iterator[None]:
    """The files written inside land together when it ends, or none of them does."""
    pending: list[tuple[Path, Path]] = []
    outer = _pending.get()
    token = _pending.set(pending if outer is None else outer)
    try:
        yield
        if outer is None:
            for partial, target in pending:
                partial.replace(target)
            pending.clear()
    finally:
        _pending.reset(token)
        for partial, _ in pending:
            partial.unlink(missing_ok=True)


def written_together(save: Callable[P, R]) -> Callable[P, R]:
    """A function saving several files, all of which land together (``all_or_none``)."""

    @functools.wraps(save)
    def saving(*args: P.args, **kwargs: P.kwargs) -> R:
        with all_or_none():
            return save(*args, **kwargs)

    return saving


def write_json(target: Path, data: Any) -> Path:
    text = json.dumps(data, indent=2, allow_nan=False) + "\n"

    def write(path: Path) -> None:
        path.write_text(text, encoding="utf-8")

    return atomic_write(target, write)
