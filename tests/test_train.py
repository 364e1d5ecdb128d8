"""``vigvision train``: labels in, a scorer evaluated on films it never saw out."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pympi
import pytest
from pyannote.core import Segment, Timeline

from tests.compose import TAKING_TURNS, load_clip, side_by_side_conversation
from tests.helpers import vigvision
from vigvision.config import load_settings
from vigvision.errors import ConfigError
from vigvision.labels import Moment, read_moments
from vigvision.model import Scorer, to_onnx
from vigvision.training import FilmExamples, cross_validate, fit, label_windows
from vigvision.windows import FEATURES


def test_windows_inside_a_moment_are_positives_and_those_touching_it_left_out() -> None:
    spans = [(0, Segment(10.0, 18.0)), (0, Segment(17.0, 25.0)), (0, Segment(30.0, 38.0))]
    assert label_windows(spans, moments=[Segment(8.0, 20.0)]).tolist() == [1, -1, 0]


def synthetic_film(seed: int, moments: list[Segment]) -> FilmExamples:
    """A 5-minute film's 8 s windows; inside the moments the two take turns."""
    rng = np.random.default_rng(seed)
    spans = [(0, Segment(s, s + 8.0)) for s in range(0, 292, 2)]
    features = rng.random((len(spans), len(FEATURES))).astype(np.float32) * 0.5
    labels = label_windows(spans, moments)
    turns = FEATURES.index("taking_turns")
    features[labels == 1, turns] += 0.5
    return FilmExamples(f"{seed:064x}", 300.0, spans, features, labels, moments, Timeline())


def test_evaluation_holds_out_whole_films() -> None:
    films = [synthetic_film(seed, [Segment(40 + 20 * seed, 60 + 20 * seed)]) for seed in range(4)]
    folds = cross_validate(films, load_settings(), folds=4)
    assert len(folds) == 4 and all(fold.films == 1 for fold in folds)
    assert all(fold.auc > 0.9 for fold in folds)
    assert all(fold.recall[3] == 1.0 for fold in folds)


def test_a_trained_scorer_runs_in_onnx_as_in_scikit_learn(tmp_path: Path) -> None:
    films = [synthetic_film(seed, [Segment(100.0, 130.0)]) for seed in range(3)]
    model = fit(films)
    path = tmp_path / "trained.onnx"
    path.write_bytes(to_onnx(model, "trained", "test"))
    features = films[0].features.copy()
    features[::3, 0] = np.nan  # not observable
    expected = model.predict_proba(features)[:, 1]
    assert np.abs(Scorer(path).score(features) - expected).max() < 1e-5
    assert Scorer(path).kind == "trained"


def test_labels_from_csv_elan_and_selections(tmp_path: Path) -> None:
    (tmp_path / "films").mkdir()
    film = tmp_path / "films" / "home.mp4"
    film.write_bytes(b"")
    csv = tmp_path / "labels.csv"
    csv.write_text("film,start_s,end_s\nfilms/home.mp4,12.5,20\n")
    assert read_moments(csv) == [Moment(film, Segment(12.5, 20.0))]

    eaf = pympi.Elan.Eaf()
    eaf.add_linked_file(film.as_uri(), relpath="films/home.mp4", mimetype="video/mp4")
    eaf.add_tier("chosen")
    eaf.add_annotation("chosen", 12500, 20000, "they take turns")
    eaf.to_file(str(tmp_path / "coded.eaf"))
    assert read_moments(tmp_path / "coded.eaf") == [
        Moment(film, Segment(12.5, 20.0), code="they take turns")
    ]
    with pytest.raises(ConfigError, match=r"no tier 'selected'.*chosen"):
        read_moments(tmp_path / "coded.eaf", tier="selected")

    selections = tmp_path / "selections.json"
    selections.write_text(
        json.dumps(
            {
                "film": {"path": "films/home.mp4"},
                "moments": [
                    {"start_s": 12.5, "end_s": 20.0, "status": "chosen"},
                    {"start_s": 40.0, "end_s": 44.0, "status": "set aside"},
                ],
            }
        )
    )
    assert read_moments(selections) == [Moment(film, Segment(12.5, 20.0))]


def test_bad_labels_are_named(tmp_path: Path) -> None:
    backwards = tmp_path / "labels.csv"
    backwards.write_text("film,start_s,end_s\nhome.mp4,20,12\n")
    with pytest.raises(ConfigError, match="ends before it starts"):
        read_moments(backwards)
    no_columns = tmp_path / "times.csv"
    no_columns.write_text("a,b\n1,2\n")
    with pytest.raises(ConfigError, match="no column end_s, film, start_s"):
        read_moments(no_columns)


def test_train_command_on_two_films_then_suggest_with_the_model(
    media: Path, tmp_path: Path
) -> None:
    adult = load_clip(media / "adult_talking_head_2.mp4")
    child = load_clip(media / "child_face_closeup.mp4")
    side_by_side_conversation(adult, child, TAKING_TURNS, tmp_path / "one.mp4")
    side_by_side_conversation(child, adult, TAKING_TURNS, tmp_path / "two.mp4")
    labels = tmp_path / "labels.csv"
    labels.write_text("film,start_s,end_s\none.mp4,0.5,7.5\ntwo.mp4,6,13\n")
    model = tmp_path / "models" / "ours.onnx"
    done = vigvision("train", str(labels), "--out", str(model), "--folds", "2")
    assert done.returncode == 0, done.stderr
    assert "recall@5" in done.stdout and model.is_file()
    card = model.with_suffix(".md").read_text()
    assert "2 films" in card and "GroupKFold" in card and "one.mp4" not in card
    assert (tmp_path / "models" / "ours-films").is_dir()  # what was learnt of each film

    done = vigvision(
        "suggest",
        str(tmp_path / "one.mp4"),
        "--no-case",
        "--out",
        str(tmp_path / "out"),
        "--model",
        str(model),
    )
    assert done.returncode == 0, done.stderr


def test_train_needs_two_films(tmp_path: Path) -> None:
    labels = tmp_path / "labels.csv"
    labels.write_text("film,start_s,end_s\none.mp4,0.5,7.5\n")
    done = vigvision("train", str(labels), "--out", str(tmp_path / "m.onnx"))
    assert done.returncode == 2 and "two films or more" in done.stderr
