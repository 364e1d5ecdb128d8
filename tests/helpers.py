"""What many tests share: running the command, real clips observed once, people placed."""

from __future__ import annotations

import functools
import math
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from tests.conftest import MEDIA
from vigvision.config import load_settings
from vigvision.observations import Observations
from vigvision.observe import Observed, observe_film
from vigvision.roles import PersonSummary
from vigvision.turns import Speech


def serve(*args: str, banner: str) -> tuple[subprocess.Popen[str], str]:
    """Start a page's server (``review``, ``app``) and return it with the address it printed
    after ``banner``; a server that does not start fails the test with what it said."""
    import pytest

    command = [sys.executable, "-c", "from vigvision.cli import main; main()", *args]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert server.stdout is not None
    line = server.stdout.readline()
    if f"{banner} http://127.0.0.1:" not in line:  # loopback only
        server.kill()
        pytest.fail(f"the page did not start: {line}{server.communicate()[1]}")
    return server, line.split(banner)[1].strip()


def fetch(url: str, **headers: str) -> tuple[int, bytes, dict[str, str]]:
    """GET (or POST, with ``data=``) as a browser would, whatever the status."""
    data = headers.pop("data", None)
    request = urllib.request.Request(url, data=data.encode() if data else None, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def vigvision(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed command as a person would, in its own process."""
    command = [sys.executable, "-c", "from vigvision.cli import main; main()", *args]
    return subprocess.run(
        command, capture_output=True, text=True, cwd=cwd, timeout=300, check=False
    )


@functools.cache
def observed(name: str) -> Observed:
    """Each clip is observed once for all the tests that ask about it."""
    return observe_film(MEDIA / name, load_settings())


def two_people(left_facing: float, right_facing: float, seconds: float = 2.0) -> Observations:
    """A person on the left and one on the right, for ``seconds``, facing as given."""
    rows = []
    for i in range(round(seconds / 0.2)):
        for person, x, facing in ((1, 0.2, left_facing), (2, 0.7, right_facing)):
            rows.append(
                {
                    "t": i * 0.2,
                    "frame": i,
                    "person": person,
                    "x": x,
                    "y": 0.3,
                    "w": 0.1,
                    "h": 0.15,
                    "facing_dx": facing,
                }
            )
    return Observations.from_rows(rows)


def summary(person: int, role: str) -> PersonSummary:
    return PersonSummary(person, role, 1.0, "", 10, 0.0, 2.0, 0.1, 0.5, math.nan)


SILENT_FILM = Speech(observable=False, duration_s=2.0)
