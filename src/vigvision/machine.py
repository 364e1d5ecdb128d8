"""What this machine lets a run use, and how its user types vigvision's commands."""

from __future__ import annotations

import os


def cores() -> int:
    """The cores this process may run on (``taskset`` and container limits included)."""
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, available or 1)


def as_typed(text: str) -> str:
    """``text`` with the commands it names as the user types them here: started by
    ``uv run`` (as the README says), ``vigvision`` is not on the user's PATH, so the
    commands shown must be ``uv run vigvision ...``."""
    if "UV_RUN_RECURSION_DEPTH" not in os.environ:  # set by `uv run` for what it starts
        return text
    return text.replace("`vigvision ", "`uv run vigvision ").replace(
        "<code>vigvision ", "<code>uv run vigvision "
    )
