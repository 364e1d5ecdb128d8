"""Training a window scorer from moments people marked, with honest evaluation.

Windows mostly inside a marked moment are positives; windows touching none are negatives
(from the rest of the same films); windows in between are left out. Evaluation holds out
whole films (``GroupKFold`` by film): windows of one film are alike, and a film seen in
training and testing makes a scorer look far better than it is on a new film.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from pyannote.core import Segment, Timeline

from vigvision.config import Settings
from vigvision.ranking import Window, rank
from vigvision.windows import FEATURES

# A window this much inside a marked moment (share of its length) is a positive.
_INSIDE: Final = 0.5
RECALL_AT: Final = (3, 5, 10)


@dataclass(frozen=True)
class FilmExamples:
    """One film's windows: features, label (1, 0, or -1 left out) and what ranking needs."""

    film: str
    """The film's sha256 (names of films of children stay out of model cards)."""
    duration_s: float
    spans: list[tuple[int, Segment]]
    """Each window's pair (index) and stretch of the film."""
    features: NDArray[np.float32]
    labels: NDArray[np.int8]
    moments: list[Segment]
    speech: Timeline


def label_windows(spans: list[tuple[int, Segment]], moments: list[Segment]) -> NDArray[np.int8]:
    """1: mostly inside a moment; 0: touching none; -1: in between (left out)."""
    labels = np.zeros(len(spans), np.int8)
    for i, (_, span) in enumerate(spans):
        overlaps = [(span & moment).duration for moment in moments]
        inside = max(overlaps, default=0.0) / max(span.duration, 1e-9)
        labels[i] = 1 if inside >= _INSIDE else (-1 if inside > 0 else 0)
    return labels


def scorer_pipeline() -> Any:
    """Unobserved → 0 (no evidence), then a logistic model weighting the classes equally."""
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    return Pipeline(
        [
            (
                "no_evidence_is_zero",
                SimpleImputer(strategy="constant", fill_value=0.0, keep_empty_features=True),
            ),
            ("weights", LogisticRegression(class_weight="balanced", max_iter=2000)),
        ]
    )


def fit(films: list[FilmExamples]) -> Any:
    features, labels = _training_rows(films)
    if not (labels == 1).any():
        raise ValueError(
            "no window lies mostly inside a marked moment (a window is 4 s or more: mark "
            "longer moments, or films longer than a window)"
        )
    if not (labels == 0).any():
        raise ValueError(
            "every window touches a marked moment: the films need unmarked stretches too"
        )
    return scorer_pipeline().fit(features, labels)


@dataclass(frozen=True)
class Fold:
    """Results on the films held out of one fold."""

    films: int
    auc: float
    recall: dict[int, float]
    """Share of the held-out marked moments found among the top k candidates."""


def cross_validate(films: list[FilmExamples], settings: Settings, folds: int = 5) -> list[Fold]:
    """``GroupKFold`` by film: every film is tested by a model that never saw it."""
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import GroupKFold

    splits = min(folds, len(films))
    if splits < 2:
        raise ValueError("evaluation needs at least two films")
    results = []
    indices = np.arange(len(films))
    for train, test in GroupKFold(n_splits=splits).split(indices, groups=indices):
        model = fit([films[i] for i in train])
        held_out = [films[i] for i in test]
        features, labels = _training_rows(held_out)
        scores = model.predict_proba(features)[:, 1] if len(features) else np.zeros(0)
        auc = float(roc_auc_score(labels, scores)) if len(set(labels.tolist())) == 2 else math.nan
        found = dict.fromkeys(RECALL_AT, 0)
        total = 0
        for film in held_out:
            windows = _scored_windows(film, model.predict_proba(film.features)[:, 1])
            chosen = rank(windows, film.speech, settings.suggest, film.duration_s, max(RECALL_AT))
            total += len(film.moments)
            for k in RECALL_AT:
                found[k] += sum(any(is_found(c.span, m) for c in chosen[:k]) for m in film.moments)
        recall = {k: found[k] / total if total else math.nan for k in RECALL_AT}
        results.append(Fold(len(held_out), auc, recall))
    return results


def is_found(candidate: Segment, moment: Segment) -> bool:
    """A candidate finds a moment when its middle lies in it, or they overlap by IoU ≥ 0.3.

    >>> is_found(Segment(10, 20), moment=Segment(12, 30))
    True
    >>> is_found(Segment(10, 20), moment=Segment(19, 40))
    False
    """
    return moment.overlaps(candidate.middle) or overlap(candidate, moment) >= 0.3


def overlap(a: Segment, b: Segment) -> float:
    """Intersection over union of two stretches (0 when apart).

    >>> overlap(Segment(0, 10), Segment(5, 15))
    0.3333333333333333
    """
    inter = (a & b).duration
    union = a.duration + b.duration - inter
    return float(inter / union) if union > 0 else 0.0


def _scored_windows(film: FilmExamples, scores: NDArray[np.float64]) -> list[Window]:
    return [
        Window(span, pair, float(score), "")
        for (pair, span), score in zip(film.spans, scores, strict=True)
    ]


def _training_rows(films: list[FilmExamples]) -> tuple[NDArray[np.float32], NDArray[np.int8]]:
    if not films:
        return np.zeros((0, len(FEATURES)), np.float32), np.zeros(0, np.int8)
    features = np.vstack([f.features for f in films])
    labels = np.concatenate([f.labels for f in films])
    kept = labels >= 0
    return features[kept], labels[kept]


def model_card(
    name: str, films: list[FilmExamples], folds: list[Fold], labels_from: list[str]
) -> str:
    """The model card written beside a trained model: what it was fitted on, how it did."""
    positives = sum(int((f.labels == 1).sum()) for f in films)
    negatives = sum(int((f.labels == 0).sum()) for f in films)
    moments = sum(len(f.moments) for f in films)
    rows = "\n".join(
        f"| {i} | {fold.films} | {_figure(fold.auc)} | "
        + " | ".join(_figure(fold.recall[k]) for k in RECALL_AT)
        + " |"
        for i, fold in enumerate(folds, start=1)
    )
    header = " | ".join(f"recall@{k}" for k in RECALL_AT)
    return f"""# Window scorer: `{name}` (model card)

- **What it is.** A logistic model over vigvision's window features ({len(FEATURES)}: facing
  each other, taking turns, the adult waiting, smiles, movement synchrony...), trained with
  `vigvision train`. A feature that could not be observed counts 0 (no evidence). Classes
  are weighted equally.
- **What it was fitted on.** {len(films)} films (identified by sha256 only:
  {", ".join(f.film[:12] for f in films)}), with {moments} marked moments (from
  {", ".join(sorted(set(labels_from)))} labels). Windows mostly inside a marked moment are positives
  ({positives}); windows touching no marked moment, from the same films, are negatives
  ({negatives}); windows partly inside one are left out.
- **How it did on films it never saw** (`GroupKFold` by film: no film is in both the
  training and the test part of a fold):

| fold | test films | AUC | {header} |
|---|---|---|{"---|" * len(RECALL_AT)}
{rows}

- **What its scores mean.** A ranking of windows for a guider to look at, learnt from the
  moments these people chose in these films. Not a probability of anything, and never a
  grade of a person or a relationship. Films unlike these (other settings, ages, cameras)
  may rank differently: evaluate on your own films before relying on it.
"""


def _figure(value: float) -> str:
    return "n/a" if not math.isfinite(value) else f"{value:.2f}"
