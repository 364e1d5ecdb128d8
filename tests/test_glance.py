"""A glance at the key frames first: stretches where nobody is in view are not watched
closely, and the rest is watched as if there had been no glance; ``suggest`` watches
closely only around what the first look ranks best."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tests.compose import TAKING_TURNS, Talk, conversation_in_a_row, load_clip
from vigvision.config import load_settings
from vigvision.film import FilmWriter, probe
from vigvision.glance import MORE_ELSEWHERE, closely_share, watching_in_words
from vigvision.observations import Observations
from vigvision.observe import observe_film
from vigvision.pipeline import suggest_film

EMPTY_FROM_S, EMPTY_TO_S = 6.0, 22.0


def an_empty_room_between_two_shared_moments(media: Path, target: Path) -> Path:
    """Adult and child side by side, then nobody for 16 s, then both again; a key frame
    every 2 s, as a phone writes them."""
    adult = load_clip(media / "adult_talking_head.mp4")
    child = load_clip(media / "child_face_closeup.mp4")
    side = adult.frames[0].shape[0]
    grey = np.full_like(adult.frames[0], 128)
    with FilmWriter(target, width=2 * side, height=side, fps=25, options={"g": "50"}) as film:
        for index in range(28 * 25):
            t = index / 25
            empty = EMPTY_FROM_S <= t < EMPTY_TO_S
            pictures = [grey, grey] if empty else [adult.frame_at(t % 6), child.frame_at(t % 6)]
            film.add_frame(np.hstack(pictures))
    return target


def test_only_the_stretch_with_nobody_in_view_is_glanced_at(media: Path, tmp_path: Path) -> None:
    film = an_empty_room_between_two_shared_moments(media, tmp_path / "empty_between.mp4")
    settings = load_settings()
    glanced_first = observe_film(film, settings, glance_first=True)
    glanced = [s for s in glanced_first.watched if not s.closely]
    assert len(glanced) == 1
    # Between two glances that both saw nobody: inside the empty stretch.
    assert glanced[0].start_s >= EMPTY_FROM_S and glanced[0].end_s <= EMPTY_TO_S
    assert glanced[0].seconds >= 8
    rows_t = glanced_first.observations["t"]
    assert not np.any((rows_t > glanced[0].start_s + 0.1) & (rows_t < glanced[0].end_s - 0.1))
    # Both are seen in the shared moments before and after it, as by a close watch of all.
    everything = observe_film(film, settings)
    assert [s.closely for s in everything.watched] == [True]
    assert closely_share(glanced_first.watched) < 0.75
    for table in (glanced_first.observations, everything.observations):
        for start, end in ((0.0, EMPTY_FROM_S), (EMPTY_TO_S, 28.0)):
            during = table["t"][(table["t"] >= start) & (table["t"] < end)]
            frames_with_two = np.unique(during, return_counts=True)[1] >= 2
            assert frames_with_two.mean() >= 0.8


def test_suggest_watches_closely_around_what_a_first_look_ranks_best(
    media: Path, tmp_path: Path
) -> None:
    # Both are in view throughout: first they take turns, then the adult talks on alone.
    adult = load_clip(media / "adult_talking_head_2.mp4")
    child = load_clip(media / "child_face_closeup.mp4")
    monologue = [Talk(who=0, clip_start_s=0.0, duration_s=6.0)] * 5
    film = tmp_path / "turns_then_monologue.mp4"
    truth = conversation_in_a_row(
        [adult, child], [*TAKING_TURNS, *monologue], film, key_frame_every=50
    )
    turns_end_s = truth[len(TAKING_TURNS) - 1][1]
    settings = load_settings().with_overrides(
        {"perception.closely_moments": 1, "perception.closely_all_below_s": 0}
    )
    out = tmp_path / "out"
    out.mkdir()
    run = suggest_film(probe(film), settings, out)

    # One moment, at most suggest.max_len_s (20 s) with a pad on each side, of 45 s.
    assert 0.2 <= closely_share(run.watched) <= 0.65
    glanced = [s for s in run.watched if not s.closely]
    assert glanced and all(s.because == MORE_ELSEWHERE for s in glanced)
    # The turns are watched closely, and the best candidate is among them.
    closely = [s for s in run.watched if s.closely]
    assert sum(
        min(s.end_s, turns_end_s) - s.start_s for s in closely if s.start_s < turns_end_s
    ) >= (0.8 * turns_end_s)
    best = run.suggestions.candidates[0]
    assert (best.start_s + best.end_s) / 2 < turns_end_s
    # What suggest says of it, and people.json of each stretch.
    words = watching_in_words(run.watched, min_people=1)
    assert words.startswith("Watched closely: ") and "less promising" in words
    assert "perception.closely_moments=0" in words
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "of the film was watched closely" in report and "closely_moments=0" in report
    # The timeline greys what was only glanced at: empty tracks there mean nobody looked.
    assert report.count("<title>only glanced at: ") == len(glanced)
    assert "grey: only glanced at" in report
    saved = json.loads((out / "people.json").read_text())["watched"]
    assert {w["because"] for w in saved if w["watched"] == "glanced at"} == {MORE_ELSEWHERE}
    # No row of observations.csv comes from where the film was only glanced at.
    rows_t = Observations.from_csv(out / "observations.csv")["t"]
    inside = [any(s.start_s - 0.2 <= t <= s.end_s + 0.2 for s in closely) for t in rows_t]
    assert len(rows_t) and all(inside)

    # A dataset's tables cover the whole film: batch (and train) watch it all again.
    whole = suggest_film(probe(film), settings, out, everywhere=True)
    assert [s.closely for s in whole.watched] == [True]
