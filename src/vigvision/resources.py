"""Where the files that ship with vigvision (configs, models) are found.

In a wheel they sit inside the package (see pyproject's force-include); in a source checkout
they are the top-level folders of the project.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
_CHECKOUT_DIR = _PACKAGE_DIR.parent.parent


def shipped_path(relative: str) -> Path:
    """The path of a shipped file such as ``configs/default.yaml``, installed or in a checkout."""
    for root in (_PACKAGE_DIR, _CHECKOUT_DIR):
        candidate = root / relative
        if candidate.exists():
            return candidate
    return _CHECKOUT_DIR / relative
