"""Nothing vigvision does opens a network connection: films of children never leave the laptop."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import MEDIA
from tests.films import make_film

# Runs the real command with every way out blocked; any attempt ends the process with code 99.
BLOCKED = """
import socket, sys
def refuse(*args, **kwargs):
    sys.stderr.write(f"NETWORK ATTEMPT {args!r}\\n"); sys.stderr.flush()
    import os; os._exit(99)
socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.socket.sendto = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
from vigvision.cli import main
main()
"""


@pytest.mark.parametrize(
    "command",
    [
        ("check",),
        ("probe", "{film}", "--json"),
        ("settings",),
        ("observe", "{media}/two_seated_facing.mp4", "--out", "{out}"),
        ("turns", "{media}/two_seated_facing.mp4", "--out", "{out}"),
    ],
)
def test_commands_run_with_the_network_blocked(tmp_path: Path, command: tuple[str, ...]) -> None:
    if any("{media}" in part for part in command) and not MEDIA.is_dir():
        pytest.skip(f"real media folder {MEDIA} is absent (it sits beside the project in CI)")
    film = make_film(tmp_path / "film.mp4", audio=True)
    args = [part.format(film=film, media=MEDIA, out=tmp_path / "out") for part in command]
    done = subprocess.run(
        [sys.executable, "-c", BLOCKED, *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert "NETWORK ATTEMPT" not in done.stderr
    assert done.returncode == 0, done.stderr


def test_the_models_keep_nothing_outside_the_chosen_folder(tmp_path: Path) -> None:
    """onnxruntime's own usage reports (a device id and a queue of events under ~/.cache,
    sent from native code, where the socket guard above cannot see) are switched off."""
    home = tmp_path / "home"
    home.mkdir()
    score = (
        "import numpy as np\n"
        "from vigvision.model import Scorer\n"
        "from vigvision.windows import FEATURES\n"
        "Scorer().score(np.zeros((4, len(FEATURES)), np.float32))\n"
    )
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith("ORT_") and k != "XDG_CACHE_HOME"
    }
    done = subprocess.run(
        [sys.executable, "-c", score],
        env={**environment, "HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert not (home / ".cache" / "Microsoft").exists()
    assert [p for p in home.rglob("*") if "onnxruntime" in p.name or p.name == "deviceid"] == []
