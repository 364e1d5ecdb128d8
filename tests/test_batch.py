"""A researcher's dataset: every film of a manifest analysed once, on this machine's cores or
on a Dask cluster, with one row per film and a damaged film failing alone."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from vigvision.batch import SOME_FAILED, read_manifest, run_batch
from vigvision.config import load_settings

FILMS = ("adult_talking_head.mp4", "two_kitchen_side_by_side.mp4", "two_seated_facing.mp4")


def dataset(media: Path, folder: Path, damaged: bool = True) -> Path:
    """A manifest of three real films (two dyads, two cycles) and, if asked, a cut-off copy."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["film,dyad,cycle"]
    for number, name in enumerate(FILMS):
        (folder / name).symlink_to(media / name)
        lines.append(f"{name},dyad{number % 2 + 1},{number // 2 + 1}")
    if damaged:
        whole = (media / "two_seated_facing.mp4").read_bytes()
        (folder / "damaged.mp4").write_bytes(whole[:5000])
        lines.append("damaged.mp4,dyad2,2")
    manifest = folder / "manifest.csv"
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return manifest


def rows(out: Path) -> list[dict[str, str]]:
    with (out / "batch.csv").open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def candidates(out: Path, folder: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads((out / folder / "candidates.json").read_text())[
        "candidates"
    ]
    return found


def written_at(out: Path) -> dict[Path, int]:
    return {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file() and p.parent != out}


def vigvision_batch(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "vigvision", "-q", "batch", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: killed with its workers
    )


def test_a_dask_cluster_gives_what_this_machine_gives(media: Path, tmp_path: Path) -> None:
    distributed = pytest.importorskip(
        "distributed", reason="Dask distributed: `uv sync --all-groups` adds it"
    )
    manifest = dataset(media, tmp_path / "films")
    entries = read_manifest(manifest)
    settings = load_settings()
    here = run_batch(entries, tmp_path / "here", settings, workers=2)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        there = run_batch(
            entries, tmp_path / "cluster", settings, workers=2, scheduler=cluster.scheduler_address
        )
    for run in (here, there):
        assert [o.status for o in run] == ["ok", "ok", "ok", "failed"]
        assert "incomplete" in run[-1].error and "\n" not in run[-1].error
    for mine, theirs in zip(here, there, strict=True):
        assert (mine.film, mine.sha256, mine.candidates) == (
            theirs.film,
            theirs.sha256,
            theirs.candidates,
        )
        if mine.ok:
            assert candidates(tmp_path / "here", mine.folder) == candidates(
                tmp_path / "cluster", theirs.folder
            )
    # Run again: the films done are not analysed again (none of their files is rewritten).
    before = written_at(tmp_path / "here")
    again = run_batch(entries, tmp_path / "here", settings, workers=2)
    assert [o.status for o in again] == ["ok", "ok", "ok", "failed"]
    assert written_at(tmp_path / "here") == before
    summary = (tmp_path / "here" / "summary.csv").read_text().splitlines()
    assert summary[0] == "film,sha256,dyad,cycle,pair,cue,mean,share_observed"
    assert any(line.startswith("two_kitchen_side_by_side.mp4,") for line in summary)


def test_a_batch_killed_on_the_way_finishes_without_redoing_a_film(
    media: Path, tmp_path: Path
) -> None:
    manifest = dataset(media, tmp_path / "films", damaged=False)
    out = tmp_path / "out"
    first = vigvision_batch(str(manifest), "--out", str(out), "--workers", "1")
    deadline = time.monotonic() + 240
    while not ((out / "batch.csv").is_file() and rows(out)) and time.monotonic() < deadline:
        time.sleep(0.2)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    done_before = [r for r in rows(out) if r["status"] == "ok"]
    assert 1 <= len(done_before) < len(FILMS)
    kept = {p: t for p, t in written_at(out).items() if p.parent.name == done_before[0]["folder"]}
    second = vigvision_batch(str(manifest), "--out", str(out), "--workers", "1")
    _, errors = second.communicate(timeout=300)
    assert second.returncode == 0, errors
    assert [r["status"] for r in rows(out)] == ["ok"] * len(FILMS)
    assert {p: t for p, t in written_at(out).items() if p in kept} == kept


def test_a_deidentified_batch_holds_no_name_path_or_picture(media: Path, tmp_path: Path) -> None:
    manifest = dataset(media, tmp_path / "films")
    out = tmp_path / "out"
    batch = vigvision_batch(str(manifest), "--out", str(out), "--deidentify")
    _, errors = batch.communicate(timeout=300)
    assert batch.returncode == SOME_FAILED, errors
    listed = rows(out)
    assert [r["film"] for r in listed[:3]] == [r["sha256"] for r in listed[:3]]
    names = [*FILMS, "two_kitchen", "adult_talking", str(tmp_path), "films/"]
    for path in out.rglob("*"):
        assert path.suffix not in {".html", ".jpg", ".png", ".mp4"}
        assert not any(name in str(path.relative_to(out)) for name in names)
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            assert not any(name in text for name in names), path
