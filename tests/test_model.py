"""The window scorer: features from cues, the transparent prior, and ONNX agreeing with sklearn."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from pyannote.core import Segment, Timeline

from tests.helpers import SILENT_FILM, summary, two_people
from vigvision.cues.grid import Grid
from vigvision.cues.pairs import pairs_of
from vigvision.cues.table import pair_cues
from vigvision.errors import ConfigError
from vigvision.model import Scorer, load_principles, prior_pipeline, prior_weights, to_onnx
from vigvision.turns import Said, Speech, make_turns
from vigvision.windows import FEATURES, feature_matrix, feature_table, window_features


def test_onnx_and_sklearn_agree() -> None:
    rng = np.random.default_rng(7)
    features = rng.random((500, len(FEATURES))).astype(np.float32)
    features[rng.random(features.shape) < 0.25] = np.nan  # much is not observable
    expected = prior_pipeline(load_principles()).predict_proba(features)[:, 1]
    assert np.abs(Scorer().score(features) - expected).max() < 1e-5


def test_the_shipped_prior_is_built_from_the_principles(tmp_path: Path) -> None:
    rebuilt = tmp_path / "prior.onnx"
    rebuilt.write_bytes(to_onnx(prior_pipeline(load_principles()), "prior", "test"))
    features = np.random.default_rng(1).random((50, len(FEATURES))).astype(np.float32)
    assert np.allclose(Scorer(rebuilt).score(features), Scorer().score(features), atol=1e-6)


def test_more_evidence_scores_higher_and_unseen_is_no_evidence_against() -> None:
    scorer = Scorer()
    little = np.full((1, len(FEATURES)), 0.2, np.float32)
    much = np.full((1, len(FEATURES)), 0.9, np.float32)
    unseen = little.copy()
    unseen[0, FEATURES.index("adult_looks_at_child")] = np.nan  # e.g. a child avoiding eye contact
    assert scorer.score(much)[0] > scorer.score(little)[0]
    assert scorer.score(unseen)[0] == pytest.approx(scorer.score(little)[0], abs=0.05)


def test_every_principle_counts() -> None:
    weights = prior_weights(load_principles())
    assert (
        weights[
            [
                FEATURES.index(f)
                for f in ("adult_turned_to_child", "child_initiatives", "taking_turns")
            ]
        ]
        > 0
    ).all()
    assert weights.sum() == pytest.approx(8.0)


def test_a_principle_naming_an_unknown_feature_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "principles.yaml"
    bad.write_text("principles:\n  being attentive:\n    features:\n      eye_contactt: 1.0\n")
    with pytest.raises(ConfigError, match="unknown features: eye_contactt"):
        load_principles(bad)


def test_window_features_of_two_people_facing_each_other() -> None:
    grid = Grid.over(2.0, 0.2)
    (pair,) = pairs_of([summary(1, "adult"), summary(2, "child")])
    cues = pair_cues(pair, two_people(0.8, -0.9), SILENT_FILM, grid)
    features = window_features(cues, 0.0, 2.0)
    assert features["facing_each_other"] == pytest.approx(0.8)
    assert features["faces_seen"] == 1.0 and features["voices_heard"] == 0.0
    assert math.isnan(features["taking_turns"])  # no sound: not observable, not "none"
    assert feature_matrix([features]).shape == (1, len(FEATURES))


def conversation_from(start: float, end: float, unclear: Timeline) -> Speech:
    """Adult and child taking turns every second and a half from ``start`` to ``end``."""
    said = [
        Said(Segment(t, t + 1.2), *(("person1", 1, "adult") if i % 2 else ("person2", 2, "child")))
        for i, t in enumerate(np.arange(start, end - 1.2, 1.5))
    ]
    spoken = Timeline([s.span for s in said])
    turns = make_turns(said, 1.5, 20.0)
    return Speech(True, end, spoken, said, turns, [], unclear)


def test_a_window_half_in_conversation_shows_half_the_turn_taking() -> None:
    grid = Grid.over(40.0, 0.2)
    (pair,) = pairs_of([summary(1, "adult"), summary(2, "child")])
    people = two_people(0.8, -0.9, seconds=40.0)
    cues = pair_cues(pair, people, conversation_from(20.0, 40.0, unclear=Timeline()), grid)
    whole, half = window_features(cues, 22.0, 38.0), window_features(cues, 4.0, 36.0)
    assert whole["taking_turns"] == pytest.approx(1.0)
    assert half["taking_turns"] == pytest.approx(0.5, abs=0.1)
    assert whole["taking_turns_face_to_face"] == pytest.approx(1.0)


def test_under_music_turn_taking_is_not_observable() -> None:
    grid = Grid.over(20.0, 0.2)
    (pair,) = pairs_of([summary(1, "adult"), summary(2, "child")])
    speech = conversation_from(0.0, 20.0, unclear=Timeline([Segment(0.0, 20.0)]))
    cues = pair_cues(pair, two_people(0.8, -0.9, seconds=20.0), speech, grid)
    features = window_features(cues, 2.0, 18.0)
    assert math.isnan(features["taking_turns"]) and features["voices_heard"] == 0.0


def test_all_windows_at_once_match_one_by_one() -> None:
    grid = Grid.over(20.0, 0.2)
    (pair,) = pairs_of([summary(1, "adult"), summary(2, "child")])
    people = two_people(0.8, -0.9, seconds=20.0)
    cues = pair_cues(pair, people, conversation_from(5.0, 20.0, unclear=Timeline()), grid)
    starts = np.arange(0.0, 12.01, 1.0)
    table = feature_table(cues, starts, 8.0)
    for start, row in zip(starts, table, strict=True):
        one = window_features(cues, float(start), float(start) + 8.0)
        assert np.allclose(row, [one[name] for name in FEATURES], equal_nan=True)
