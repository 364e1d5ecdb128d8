"""``vigvision evaluate``: a batch's candidates against moments people coded, with intervals
over films, each cue's AUC and an ablation; and ``train`` from the same batch folder."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from pyannote.core import Segment
from sklearn.metrics import roc_auc_score

from tests.compose import TAKING_TURNS, load_clip, side_by_side_conversation
from tests.helpers import vigvision
from vigvision.batch import Outcome, batch_film_of, read_manifest, run_batch
from vigvision.config import load_settings
from vigvision.evaluate import Resampling, auc, found_by
from vigvision.training import is_found
from vigvision.windows import COVERAGE, CUE_FAMILIES, FEATURES


def batch_row(film: str, sha256: str, folder: str) -> Outcome:
    return Outcome(film, sha256, "", "", "ok", "", 1.0, 5, folder, folder)


def test_every_cue_is_in_one_family() -> None:
    grouped = [cue for cues in CUE_FAMILIES.values() for cue in cues] + list(COVERAGE)
    assert sorted(grouped) == sorted(FEATURES)


def test_labels_name_a_batch_film_by_its_path_in_the_manifest_or_its_hash(tmp_path: Path) -> None:
    rows = [
        batch_row("dyad1/cycle1.mp4", "ab" * 32, "dyad1_cycle1"),
        batch_row("dyad2/cycle1.mp4", "cd" * 32, "dyad2_cycle1"),
    ]
    coded_here = tmp_path / "coding" / "films" / "dyad2" / "cycle1.mp4"
    assert batch_film_of(coded_here, rows) == rows[1]
    assert batch_film_of(Path("/elsewhere") / ("ab" * 8 + ".mp4"), rows) == rows[0]
    assert batch_film_of(tmp_path / "cycle1.mp4", rows) is None  # two films of that name


def test_the_auc_is_that_of_scikit_learn_for_all_films_and_for_each_draw() -> None:
    rng = np.random.default_rng(1)
    films = rng.integers(0, 6, size=400)
    coded = rng.random(400) < 0.3
    # Rounded: ties between coded and uncoded windows count half, as in scikit-learn.
    values = np.round(rng.random(400) * 0.5 + 0.3 * coded, 2)
    resampling = Resampling.over([f"film{f}" for f in range(6)], draws=50)
    windows = resampling.for_each(films)
    figure = auc(values, coded, windows)
    assert figure.value == pytest.approx(roc_auc_score(coded, values))
    assert figure.low is not None and figure.high is not None
    assert figure.low <= figure.value <= figure.high
    # A draw that takes film 0 twice and leaves out film 5 is that AUC on those windows.
    assert resampling.weights is not None
    draw = np.array([2.0, 1, 1, 1, 1, 0])
    taken = np.concatenate([np.flatnonzero(films == f) for f in (0, 0, 1, 2, 3, 4)])
    one = Resampling(films, 6, draw[None, :])
    expected = roc_auc_score(coded[taken], values[taken])
    drawn = auc(values, coded, one)
    assert drawn.low == pytest.approx(expected) and drawn.high == pytest.approx(expected)


def test_intervals_draw_whole_dyads_and_need_two_of_them() -> None:
    two_dyads = Resampling.over(["dyad1", "dyad1", "dyad2"], draws=200)
    assert two_dyads.clusters == 2
    recall = two_dyads.ratio([2, 1, 0], [2, 2, 2])
    assert recall.value == pytest.approx(0.5)
    # Drawing dyad 1 twice gives 3/4, dyad 2 twice gives 0: the interval spans those.
    assert recall.low == pytest.approx(0.0) and recall.high == pytest.approx(0.75)
    one_dyad = Resampling.over(["dyad1", "dyad1"])
    assert one_dyad.ratio([1, 1], [2, 2]).low is None


def conversation_films(media: Path, folder: Path) -> Path:
    """Two real faces taking turns, in two films, and a manifest naming them."""
    adult = load_clip(media / "adult_talking_head_2.mp4")
    child = load_clip(media / "child_face_closeup.mp4")
    folder.mkdir(parents=True)
    side_by_side_conversation(adult, child, TAKING_TURNS, folder / "one.mp4")
    side_by_side_conversation(child, adult, TAKING_TURNS, folder / "two.mp4")
    manifest = folder / "manifest.csv"
    manifest.write_text("film,dyad\none.mp4,a\ntwo.mp4,b\n", encoding="utf-8")
    return manifest


def test_evaluate_and_train_from_a_batch_without_its_films(media: Path, tmp_path: Path) -> None:
    manifest = conversation_films(media, tmp_path / "films")
    runs = tmp_path / "runs"
    outcomes = run_batch(read_manifest(manifest), runs, load_settings(), workers=1)
    assert [o.status for o in outcomes] == ["ok", "ok"]
    labels = tmp_path / "coded.csv"
    labels.write_text(
        "film,start_s,end_s,code\n"
        "films/one.mp4,0.5,7.5,turns\n"
        "films/two.mp4,6,13,turns\n"
        "films/elsewhere.mp4,1,2,turns\n",
        encoding="utf-8",
    )
    # The films are gone: everything below reads what the batch saved.
    (tmp_path / "films" / "one.mp4").unlink()
    (tmp_path / "films" / "two.mp4").unlink()

    done = vigvision("evaluate", str(labels), "--runs", str(runs))
    assert done.returncode == 0, done.stderr
    assert "not in the batch, left out: elsewhere.mp4" in done.stderr
    assert "recall@5" in done.stderr and "Each cue" in done.stderr
    evaluation = json.loads((runs / "evaluation.json").read_text())
    assert evaluation["films"] == 2 and evaluation["grouped_by"] == "dyad"
    coded = {"one.mp4": Segment(0.5, 7.5), "two.mp4": Segment(6, 13)}
    for film in evaluation["per_film"]:
        saved = json.loads((runs / Path(film["film"]).stem / "candidates.json").read_text())
        found = [Segment(c["start_s"], c["end_s"]) for c in saved["candidates"]]
        # As the batch's own candidates find the coded moment (ranked again, the same).
        assert film["recall@5"] == found_by(found, [coded[film["film"]]], k=5)
        assert film["precision@3"] == pytest.approx(
            sum(is_found(c, coded[film["film"]]) for c in found[:3]) / min(3, len(found))
        )
    cues = {c["cue"]: c for c in evaluation["cues"]}
    assert set(cues) == {*FEATURES, "scorer"}
    assert {a["family"] for a in evaluation["ablation"]} == set(CUE_FAMILIES)
    assert [c["code"] for c in evaluation["codes"]] == ["turns"]
    assert evaluation["unmatched_labels"] == ["elsewhere.mp4"]
    page = (runs / "evaluation.html").read_text()
    assert page.count("<svg") == 2 and "one.mp4" in page and "http" not in page.split("<svg")[0]

    model = tmp_path / "models" / "ours.onnx"  # a folder made as it is written
    done = vigvision("train", str(labels), "--runs", str(runs), "--out", str(model), "--folds", "2")
    # elsewhere.mp4 is in no batch: left out, as evaluate leaves it out.
    assert done.returncode == 0, done.stderr
    assert "not in the batch, left out: elsewhere.mp4" in done.stderr
    done = vigvision(
        "evaluate",
        str(labels),
        "--runs",
        str(runs),
        "--model",
        str(model),
        "--out",
        str(tmp_path / "trained.json"),
    )
    assert done.returncode == 0, done.stderr
    trained = json.loads((tmp_path / "trained.json").read_text())
    assert trained["model"].startswith("trained") and trained["films_seen_in_training"] == 2
    assert "2 films of these in the model's training" in done.stderr


def test_evaluate_says_what_is_missing(tmp_path: Path) -> None:
    labels = tmp_path / "coded.csv"
    labels.write_text("film,start_s,end_s\none.mp4,1,2\n", encoding="utf-8")
    done = vigvision("evaluate", str(labels), "--runs", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "no batch" in done.stderr
