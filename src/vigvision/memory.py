"""Handing memory freed by a finished stage back to the system.

glibc's allocator keeps what a thread freed for that thread to reuse, and a stage's
temporaries (a first look's models, the listening's spectra) are freed by threads that do
not run again: the process's memory then stays as high as each stage's peak, one on top of
another. Measured on a 10-minute film: 100 MB after the first look, 70 MB after listening.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache
from typing import Any


@cache
def _trim() -> Any:
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):  # not glibc (macOS, Windows, musl): nothing to trim
        return None


def give_back_freed_memory() -> None:
    """Return the memory freed so far to the system (where the C library can)."""
    trim = _trim()
    if trim is not None:
        trim(0)
