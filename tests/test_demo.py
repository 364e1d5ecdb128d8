"""``vigvision demo``: the README's main command works on a fresh machine, offline."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import vigvision
from vigvision.claims import false_claims
from vigvision.demo import SCRIPT


def test_demo_makes_its_film_and_finds_the_turn_taking(tmp_path: Path) -> None:
    done = vigvision("demo", "--out", str(tmp_path), "--no-open")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "demo-film.mp4").stat().st_size > 0
    candidates = json.loads((tmp_path / "candidates.json").read_text())["candidates"]
    # The two stretches the script makes go well: quick turns (0-17 s), the child starting
    # and the adult waiting (40-56 s). The best two candidates lie in them.
    lively = [(0.0, 17.0), (40.0, 56.0)]
    for c in candidates[:2]:
        middle = (c["start_s"] + c["end_s"]) / 2
        assert any(a <= middle <= b for a, b in lively), c
    # Every sentence of every explanation is true of its own tables.
    assert false_claims(tmp_path) == []
    assert all(c["claims"] for c in candidates[:2])
    assert "report.html" in done.stdout and (tmp_path / "report.html").is_file()
    assert len(SCRIPT) > 10
