"""What this machine lets a run use."""

from __future__ import annotations

import os


def cores() -> int:
    """The cores this process may run on (``taskset`` and container limits included)."""
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, available or 1)
