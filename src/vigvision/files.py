"""Writing files so that a crash never leaves half of one: write aside, then move into place.

Kept apart from ``outputs`` (which knows every result of the pipeline) so that light modules
(cases, selections, exports) can use it without importing the whole pipeline.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any


def atomic_write(target: Path, write: Callable[[Path], object]) -> Path:
    """Run ``write(partial_path)`` then move the result onto ``target``."""
    # The ending stays last: writers such as FFmpeg choose the format by it.
    partial = target.with_name(f".{target.stem}.partial{target.suffix}")
    try:
        write(partial)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def write_json(target: Path, data: Any) -> Path:
    text = json.dumps(data, indent=2, allow_nan=False) + "\n"

    def write(path: Path) -> None:
        path.write_text(text, encoding="utf-8")

    return atomic_write(target, write)
