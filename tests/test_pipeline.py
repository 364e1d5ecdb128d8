"""The one place that runs the stages: each film read for its hash once, stages timed,
work reused, and a run that can be stopped."""

from __future__ import annotations

import json
import pickle
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.compose import TAKING_TURNS, load_clip, side_by_side_conversation
from vigvision.cli import _run
from vigvision.config import load_settings
from vigvision.film import info as film_info
from vigvision.film import probe
from vigvision.pipeline import HEARD_SO_FAR, WATCHING_SO_FAR, CancelledError, suggest_film


@pytest.fixture
def hash_reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The files read for their sha256 from now on."""
    reads: list[Path] = []
    real = film_info.file_sha256

    def counted(path: Path, progress: object = None) -> str:
        reads.append(path)
        return real(path, progress)  # type: ignore[arg-type]

    monkeypatch.setattr(film_info, "file_sha256", counted)
    return reads


def test_suggest_reads_the_film_for_its_hash_once(
    media: Path, tmp_path: Path, hash_reads: list[Path]
) -> None:
    # A film with picture and sound: watching, listening and naming the voices all run.
    clip = media / "adult_talking_head.mp4"
    _run(["suggest", str(clip), "--no-case", "--out", str(tmp_path), "--timings"], debug=False)
    assert (tmp_path / "observations.csv").is_file() and (tmp_path / "speech.json").is_file()
    assert hash_reads == [clip]
    # Again in the same folder: everything is reused, and still one read.
    _run(["suggest", str(clip), "--no-case", "--out", str(tmp_path)], debug=False)
    assert hash_reads == [clip, clip]


def test_each_stage_is_timed_and_work_is_reused(media: Path, tmp_path: Path) -> None:
    info = probe(media / "adult_talking_head.mp4")
    settings = load_settings()
    first = suggest_film(info, settings, tmp_path)
    stages = [stage.stage for stage in first.timings.stages]
    assert {"watch", "listen", "name voices", "cues, scores, candidates", "save"} <= set(stages)
    assert first.wall_s >= max(stage.seconds for stage in first.timings.stages)
    again = suggest_film(info, settings, tmp_path)
    reused = {stage.stage for stage in again.timings.stages if stage.reused}
    assert reused == {"watch", "listen"}


def test_a_run_stops_when_asked_and_saves_nothing_half_done(media: Path, tmp_path: Path) -> None:
    info = probe(media / "adult_talking_head.mp4")
    stop = threading.Event()
    reached: list[float] = []

    def progress(stage: str, t: float) -> None:
        reached.append(t)
        if t > 2.0:
            stop.set()

    with pytest.raises(CancelledError):
        suggest_film(info, load_settings(), tmp_path, progress=progress, cancel=stop)
    assert 2.0 < max(reached) < info.duration_s
    assert not (tmp_path / "observations.csv").exists()
    assert not (tmp_path / "candidates.json").exists()


def test_a_full_disk_is_one_line_and_what_was_saved_stays(media: Path, tmp_path: Path) -> None:
    film = media / "two_armwrestle_lowres.mp4"
    suggest_film(probe(film), load_settings(), tmp_path)
    before = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
    assert (tmp_path / "report.html").stat().st_size > 24 * 1024

    def little_room() -> None:  # files of 24 KB at most, as on a nearly full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (24 * 1024, 24 * 1024))

    command = [sys.executable, "-c", "from vigvision.cli import main; main()", "suggest"]
    done = subprocess.run(
        [*command, str(film), "--no-case", "--out", str(tmp_path), "--adult", "left"],
        capture_output=True,
        text=True,
        preexec_fn=little_room,
        timeout=300,
        check=False,
    )
    assert done.returncode == 2
    (line,) = [text for text in done.stderr.splitlines() if text.startswith("error:")]
    assert "no room left to write" in line and "Traceback" not in done.stderr
    # The new candidates (another adult) did not replace the old ones in part: none landed.
    assert {path.name: path.read_bytes() for path in tmp_path.iterdir()} == before


def test_a_run_killed_half_way_continues_where_it_stopped(media: Path, tmp_path: Path) -> None:
    adult = load_clip(media / "adult_talking_head_2.mp4")
    child = load_clip(media / "child_face_closeup.mp4")
    film = tmp_path / "talk.mp4"
    side_by_side_conversation(adult, child, TAKING_TURNS * 3, film)
    duration = probe(film).duration_s
    saving = ["--set", "perception.save_every_s=4"]  # often, for a film this short

    def suggest(out: Path) -> subprocess.Popen[str]:
        command = [sys.executable, "-c", "from vigvision.cli import main; main()", *saving]
        return subprocess.Popen(
            [*command, "suggest", str(film), "--no-case", "--out", str(out), "--adult", "left"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    whole = suggest(tmp_path / "whole")
    assert whole.wait(timeout=300) == 0

    stopped = suggest(tmp_path / "stopped")
    so_far = tmp_path / "stopped" / WATCHING_SO_FAR
    while stopped.poll() is None and not _saved_past(so_far, duration / 2):
        time.sleep(0.2)
    stopped.kill()  # as kill -9: no chance to clean up
    stopped.wait()
    assert so_far.is_file()

    again = suggest(tmp_path / "stopped")
    _, said = again.communicate(timeout=300)
    assert again.returncode == 0, said
    assert "continuing from 0:" in said  # and how much sooner it is done: benchmarks
    assert not so_far.exists() and not (tmp_path / "stopped" / HEARD_SO_FAR).exists()

    def candidates(out: Path) -> list[dict[str, object]]:
        data = json.loads((out / "candidates.json").read_text())
        return [{k: c[k] for k in ("start_s", "end_s", "explanation")} for c in data["candidates"]]

    assert candidates(tmp_path / "stopped") == candidates(tmp_path / "whole")


def _saved_past(path: Path, t: float) -> bool:
    """Whether the watching saved so far reaches ``t`` seconds of film."""
    try:
        return float(pickle.loads(path.read_bytes())["work"]["t"]) >= t
    except (OSError, EOFError, pickle.UnpicklingError, KeyError):
        return False
