"""How well the candidates find the moments people coded: labels against a batch's films.

labels (ELAN tiers, CSV, review selections) ──matched to──▶ the films of a batch folder
──saved analysis──▶ candidates ranked as ``suggest`` ranks them, windows labelled coded or
not ──▶ per film: recall@k, precision@k, average precision, IoU of the moments found
──▶ pooled over films, with bootstrap 95 % intervals that resample whole films (or dyads)
──▶ per cue: AUC of coded against uncoded windows; ablation: recall@5 with each cue family
left out.

Nothing is analysed again: each film's observations and speech are read from its folder
(``pipeline.saved_analysis``), and the ranking is ``suggest``'s own, so the figures are
those of the candidates a guider would be shown.

A moment is *found* by a candidate whose middle lies in it or that overlaps it by IoU ≥ 0.3
(``training.is_found``, as in the benchmarks). Only films with at least one coded moment
are evaluated: a film without any is taken to be uncoded, not coded as having none.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from pyannote.core import Segment

from vigvision.batch import Outcome
from vigvision.config import Settings
from vigvision.labels import Moment, read_moments
from vigvision.training import is_found, label_windows, overlap
from vigvision.windows import CUE_FAMILIES, FEATURES

AT_K: Final = (3, 5, 10)
# Candidates ranked per film: the most any figure looks at.
TOP: Final = max(AT_K)
ABLATION_K: Final = 5
DRAWS: Final = 2000
# Values this close count as tied in an AUC (every feature and score is 0-1): it keeps the
# exact cluster bootstrap small on hundreds of films.
_AUC_RESOLUTION: Final = 4
_SCHEMA: Final = "vigvision.evaluation/1"


@dataclass(frozen=True)
class FilmEvaluation:
    """One coded film: its moments, the candidates ranked for it, and its windows."""

    film: str
    """As the batch names it (its sha256 in a de-identified batch)."""
    sha256: str
    dyad: str
    duration_s: float
    moments: tuple[Segment, ...]
    codes: tuple[str, ...]
    """Each moment's code ("" where the labels give none)."""
    candidates: tuple[Segment, ...]
    """Ranked, best first, at most ``TOP``."""
    without: dict[str, tuple[Segment, ...]]
    """The candidates ranked with each cue family left out (treated as not observed)."""
    window_labels: NDArray[np.int8]
    """Of the windows the ranking could choose (both people there): 1 mostly inside a
    coded moment, 0 touching none, -1 in between (left out)."""
    window_features: NDArray[np.float32]
    window_scores: NDArray[np.float32]


def evaluate_film(
    outcome: Outcome,
    folder: Path,
    moments: Sequence[Segment],
    codes: Sequence[str],
    settings: Settings,
    model: Path | None = None,
) -> FilmEvaluation:
    """Rank one film of a batch again from what its folder saved, and label its windows."""
    from vigvision.model import Scorer
    from vigvision.pipeline import saved_analysis
    from vigvision.suggest import both_present, film_windows, suggest_from_windows

    observed, speech = saved_analysis(folder, settings)
    windows = film_windows(observed, speech, settings)
    scorer = Scorer(model)  # one model for the film's eight rankings and its window scores

    def ranked(leave_out: tuple[str, ...] = ()) -> tuple[Segment, ...]:
        found = suggest_from_windows(
            windows, speech, settings, top=TOP, leave_out=leave_out, scorer=scorer
        )
        return tuple(c.span for c in found.candidates)

    present = both_present(windows.features, settings.suggest.min_seen_together)
    spans = [span for span, here in zip(windows.spans, present, strict=True) if here]
    features = windows.features[present]
    return FilmEvaluation(
        film=outcome.film,
        sha256=outcome.sha256,
        dyad=outcome.dyad,
        duration_s=observed.info.duration_s,
        moments=tuple(moments),
        codes=tuple(codes),
        candidates=ranked(),
        without={family: ranked(cues) for family, cues in CUE_FAMILIES.items()},
        window_labels=label_windows(spans, list(moments)),
        window_features=features,
        window_scores=scorer.score(features).astype(np.float32),
    )


# --- one film's figures (pure) ---


def found_by(candidates: Sequence[Segment], moments: Sequence[Segment], k: int) -> int:
    """How many of the moments the first ``k`` candidates find.

    >>> found_by([Segment(0, 10), Segment(50, 60)], [Segment(2, 8), Segment(30, 40)], k=2)
    1
    """
    return sum(any(is_found(c, m) for c in candidates[:k]) for m in moments)


def finding(candidates: Sequence[Segment], moments: Sequence[Segment], k: int) -> int:
    """How many of the first ``k`` candidates find some moment (precision's numerator).

    >>> finding([Segment(0, 10), Segment(3, 9), Segment(50, 60)], [Segment(2, 8)], k=3)
    2
    """
    return sum(any(is_found(c, m) for m in moments) for c in candidates[:k])


def average_precision(candidates: Sequence[Segment], moments: Sequence[Segment]) -> float:
    """The mean, over the moments, of the precision at the rank where each is first found
    (0 for a moment never found); a candidate finding only moments found before counts as
    a miss.

    >>> average_precision([Segment(0, 10), Segment(50, 60), Segment(30, 40)],
    ...                   [Segment(2, 8), Segment(31, 39)])
    0.8333333333333333
    """
    seen: set[int] = set()
    finding_so_far = 0
    total = 0.0
    for rank_, candidate in enumerate(candidates, start=1):
        new = {i for i, m in enumerate(moments) if i not in seen and is_found(candidate, m)}
        if new:
            seen |= new
            finding_so_far += 1
            total += len(new) * finding_so_far / rank_
    return total / len(moments) if moments else math.nan


def found_overlaps(candidates: Sequence[Segment], moments: Sequence[Segment]) -> list[float]:
    """For each moment found, the IoU of the candidate that fits it best among those that
    find it (the benchmarks' "mean IoU").

    >>> found_overlaps([Segment(0, 10), Segment(0, 20)], [Segment(0, 20), Segment(40, 50)])
    [1.0]
    """
    return [
        max(overlap(c, m) for c in candidates if is_found(c, m))
        for m in moments
        if any(is_found(c, m) for c in candidates)
    ]


# --- intervals over films (or dyads) ---


@dataclass(frozen=True)
class Figure:
    """A figure with its bootstrap 95 % interval (None when there is one film or dyad)."""

    value: float
    low: float | None = None
    high: float | None = None

    def to_json(self) -> dict[str, float | None]:
        def rounded(x: float | None) -> float | None:
            return None if x is None or not math.isfinite(x) else round(x, 4)

        return {"value": rounded(self.value), "low": rounded(self.low), "high": rounded(self.high)}

    def __str__(self) -> str:
        if not math.isfinite(self.value):
            return "n/a"
        if self.low is None or self.high is None:
            return f"{self.value:.2f}"
        return f"{self.value:.2f} [{self.low:.2f}, {self.high:.2f}]"


@dataclass(frozen=True)
class Resampling:
    """Bootstrap draws of whole clusters (films, or dyads with all their films)."""

    cluster_of: NDArray[np.intp]
    """Each film's cluster (or each window's, see ``for_each``)."""
    clusters: int
    weights: NDArray[np.float64] | None
    """(draws × clusters): how often each cluster is drawn; None with a single cluster."""

    @classmethod
    def over(cls, clusters: Sequence[str], draws: int = DRAWS, seed: int = 0) -> Resampling:
        names, cluster_of = np.unique(np.asarray(clusters, dtype=str), return_inverse=True)
        if len(names) < 2:
            return cls(cluster_of, len(names), None)
        rng = np.random.default_rng(seed)
        drawn = rng.integers(0, len(names), size=(draws, len(names)))
        weights = np.zeros((draws, len(names)))
        np.add.at(weights, (np.arange(draws)[:, None], drawn), 1.0)
        return cls(cluster_of, len(names), weights)

    def for_each(self, cluster_of: NDArray[np.intp]) -> Resampling:
        """The same draws, for items (windows) of the given clusters."""
        return Resampling(cluster_of, self.clusters, self.weights)

    def per_cluster(self, per_film: Sequence[float]) -> NDArray[np.float64]:
        sums = np.zeros(self.clusters)
        np.add.at(sums, self.cluster_of, np.asarray(per_film, dtype=float))
        return sums

    def ratio(self, numerators: Sequence[float], denominators: Sequence[float]) -> Figure:
        """Σ numerators / Σ denominators over the films, with its interval."""
        top, bottom = self.per_cluster(numerators), self.per_cluster(denominators)
        value = top.sum() / bottom.sum() if bottom.sum() > 0 else math.nan
        # Drawing again among one film (or dyad) that counts says nothing of others.
        if self.weights is None or np.count_nonzero(bottom) < 2:
            return Figure(float(value))
        with np.errstate(invalid="ignore", divide="ignore"):
            drawn = (self.weights @ top) / (self.weights @ bottom)
        return _interval(float(value), drawn)


def _interval(value: float, drawn: NDArray[np.float64]) -> Figure:
    drawn = drawn[np.isfinite(drawn)]
    if not len(drawn):
        return Figure(value)
    low, high = np.percentile(drawn, [2.5, 97.5])
    return Figure(value, float(low), float(high))


def auc(
    values: NDArray[np.floating[Any]], coded: NDArray[np.bool_], resampling: Resampling
) -> Figure:
    """How well ``values`` separate coded windows from uncoded ones: the chance that a coded
    window has the higher value (ties count half), pooled over the films, with an interval
    from drawing whole films (or dyads) again.

    ``values`` and ``coded`` hold one entry per window, and ``resampling.cluster_of`` is
    each window's cluster here. Exact: the Mann-Whitney counts between every two clusters
    are counted once, and each draw only weighs them.
    """
    levels, index = np.unique(np.round(values, _AUC_RESOLUTION), return_inverse=True)
    clusters = resampling.clusters
    positives = np.zeros((clusters, len(levels)))
    negatives = np.zeros((clusters, len(levels)))
    np.add.at(positives, (resampling.cluster_of[coded], index[coded]), 1.0)
    np.add.at(negatives, (resampling.cluster_of[~coded], index[~coded]), 1.0)
    # beats[h, m]: how far a coded value at level m outranks cluster h's uncoded ones.
    beats = np.cumsum(negatives, axis=1) - 0.5 * negatives
    wins = positives @ beats.T  # wins[g, h]: coded windows of g against uncoded ones of h
    pos, neg = positives.sum(axis=1), negatives.sum(axis=1)
    value = wins.sum() / (pos.sum() * neg.sum()) if pos.sum() and neg.sum() else math.nan
    if resampling.weights is None or not math.isfinite(value) or np.count_nonzero(pos + neg) < 2:
        return Figure(float(value))
    w = resampling.weights
    with np.errstate(invalid="ignore", divide="ignore"):
        drawn = ((w @ wins) * w).sum(axis=1) / ((w @ pos) * (w @ neg))
    return _interval(float(value), drawn)


# --- the whole evaluation ---


@dataclass(frozen=True)
class CueSeparation:
    cue: str
    family: str
    auc: Figure
    coded: int
    uncoded: int
    """Windows (coded, uncoded) in which the cue was observed."""
    share_observed: float
    observed_in: int
    """Films (or dyads) in which it was observed: an interval needs two."""


@dataclass(frozen=True)
class Ablation:
    family: str
    cues: tuple[str, ...]
    recall: Figure
    """recall@5 with the family's cues treated as not observed."""
    drop: Figure
    """recall@5 with every cue minus recall@5 without this family (paired by film)."""


@dataclass(frozen=True)
class Evaluation:
    films: list[FilmEvaluation]
    grouped_by: str
    """"film" or "dyad": what the intervals draw again."""
    pooled: dict[str, Figure]
    recall_curve: list[Figure]
    """Pooled recall@k for k = 1..TOP."""
    per_film: list[dict[str, Any]]
    cues: list[CueSeparation]
    ablation: list[Ablation]
    codes: list[CodeRecall]
    model: str
    seen_in_training: int = 0
    """Films the model was trained on: its figures on them flatter it."""

    def to_json(self, unmatched: Sequence[str] = (), notes: Sequence[str] = ()) -> dict[str, Any]:
        return {
            "schema": _SCHEMA,
            "model": self.model,
            "films_seen_in_training": self.seen_in_training,
            "films": len(self.films),
            "moments": sum(len(f.moments) for f in self.films),
            "grouped_by": self.grouped_by,
            "intervals": f"bootstrap 95 %, {DRAWS} draws of whole {self.grouped_by}s",
            "found_means": "a candidate's middle lies in the moment, or IoU >= 0.3",
            "pooled": {name: figure.to_json() for name, figure in self.pooled.items()},
            "recall_curve": [
                {"k": k, **figure.to_json()} for k, figure in enumerate(self.recall_curve, 1)
            ],
            "per_film": self.per_film,
            "cues": [
                {
                    "cue": c.cue,
                    "family": c.family,
                    "auc": c.auc.to_json(),
                    "coded_windows": c.coded,
                    "uncoded_windows": c.uncoded,
                    "share_observed": round(c.share_observed, 4),
                    f"{self.grouped_by}s_observed_in": c.observed_in,
                }
                for c in self.cues
            ],
            "ablation": [
                {
                    "family": a.family,
                    "cues": list(a.cues),
                    f"recall@{ABLATION_K}": a.recall.to_json(),
                    "drop": a.drop.to_json(),
                }
                for a in self.ablation
            ],
            "codes": [
                {"code": c.code, "moments": c.moments, f"recall@{ABLATION_K}": c.recall.to_json()}
                for c in self.codes
            ],
            "unmatched_labels": list(unmatched),
            "notes": list(notes),
        }


def evaluation_of(films: list[FilmEvaluation], model: str) -> Evaluation:
    """Every figure of the films, pooled, with intervals over films (or over dyads when
    every film has one)."""
    by_dyad = all(f.dyad for f in films)
    resampling = Resampling.over([f.dyad if by_dyad else f.sha256 for f in films])
    moments = [len(f.moments) for f in films]

    def recall(k: int, ranked: Callable[[FilmEvaluation], Sequence[Segment]]) -> Figure:
        return resampling.ratio([found_by(ranked(f), f.moments, k) for f in films], moments)

    def candidates(f: FilmEvaluation) -> Sequence[Segment]:
        return f.candidates

    pooled: dict[str, Figure] = {}
    for k in AT_K:
        pooled[f"recall@{k}"] = recall(k, candidates)
    for k in AT_K:
        pooled[f"precision@{k}"] = resampling.ratio(
            [finding(f.candidates, f.moments, k) for f in films],
            [min(k, len(f.candidates)) for f in films],
        )
    pooled["mAP"] = resampling.ratio(
        [average_precision(f.candidates, f.moments) for f in films], [1.0] * len(films)
    )
    overlaps = [found_overlaps(f.candidates, f.moments) for f in films]
    pooled["mean IoU"] = resampling.ratio([sum(o) for o in overlaps], [len(o) for o in overlaps])
    full = [found_by(f.candidates, f.moments, ABLATION_K) for f in films]
    ablation = []
    for family, cues in CUE_FAMILIES.items():
        left = [found_by(f.without[family], f.moments, ABLATION_K) for f in films]
        ablation.append(
            Ablation(
                family,
                cues,
                resampling.ratio(left, moments),
                resampling.ratio([a - b for a, b in zip(full, left, strict=True)], moments),
            )
        )
    return Evaluation(
        films=films,
        grouped_by="dyad" if by_dyad else "film",
        pooled=pooled,
        recall_curve=[recall(k, candidates) for k in range(1, TOP + 1)],
        per_film=[
            _film_figures(f, overlaps_) for f, overlaps_ in zip(films, overlaps, strict=True)
        ],
        cues=_cue_separations(films, resampling),
        ablation=ablation,
        codes=_by_code(films, resampling),
        model=model,
    )


def _film_figures(film: FilmEvaluation, overlaps: list[float]) -> dict[str, Any]:
    def share(n: int, of: int) -> float | None:
        return round(n / of, 4) if of else None

    figures: dict[str, Any] = {
        "film": film.film,
        "sha256": film.sha256,
        "dyad": film.dyad,
        "moments": len(film.moments),
        "candidates": len(film.candidates),
    }
    for k in AT_K:
        figures[f"recall@{k}"] = share(
            found_by(film.candidates, film.moments, k), len(film.moments)
        )
    for k in AT_K:
        figures[f"precision@{k}"] = share(
            finding(film.candidates, film.moments, k), min(k, len(film.candidates))
        )
    figures["AP"] = round(average_precision(film.candidates, film.moments), 4)
    figures["mean IoU"] = round(float(np.mean(overlaps)), 4) if overlaps else None
    return figures


def _cue_separations(films: list[FilmEvaluation], resampling: Resampling) -> list[CueSeparation]:
    """Each cue's AUC (and the scorer's), over the windows it was observed in."""
    labels = np.concatenate([f.window_labels for f in films]) if films else np.zeros(0, np.int8)
    kept = labels >= 0
    cluster = np.concatenate(
        [
            np.full(len(f.window_labels), c)
            for f, c in zip(films, resampling.cluster_of, strict=True)
        ]
    )
    features = np.vstack([f.window_features for f in films])
    scores = np.concatenate([f.window_scores for f in films])
    family_of = {cue: family for family, cues in CUE_FAMILIES.items() for cue in cues}
    columns = [
        (cue, features[:, FEATURES.index(cue)], family_of.get(cue, "coverage")) for cue in FEATURES
    ]
    columns.append(("scorer", scores, "the scorer's score"))
    separations = []
    for cue, values, family in columns:
        seen = kept & np.isfinite(values)
        coded = labels[seen] == 1
        here = resampling.for_each(cluster[seen])
        separations.append(
            CueSeparation(
                cue,
                family,
                auc(values[seen], coded, here) if len(coded) else Figure(math.nan),
                int(coded.sum()),
                int((~coded).sum()),
                float(seen.sum() / max(kept.sum(), 1)),
                len(np.unique(cluster[seen])),
            )
        )
    return separations


@dataclass(frozen=True)
class CodeRecall:
    code: str
    moments: int
    recall: Figure
    """recall@5 of the moments of this code."""


def _by_code(films: list[FilmEvaluation], resampling: Resampling) -> list[CodeRecall]:
    """recall@5 of the moments of each code, when the labels give codes."""
    codes = sorted({c for f in films for c in f.codes if c})
    rows = []
    for code in codes:
        moments = [[m for m, c in zip(f.moments, f.codes, strict=True) if c == code] for f in films]
        found = [
            found_by(f.candidates, ms, ABLATION_K) for f, ms in zip(films, moments, strict=True)
        ]
        counts = [len(ms) for ms in moments]
        rows.append(CodeRecall(code, sum(counts), resampling.ratio(found, counts)))
    return sorted(rows, key=lambda row: -row.moments)


@dataclass(frozen=True)
class Coded:
    """What the labels and a batch have in common: each coded film of the batch with its
    moments; the labelled films left out, and why."""

    films: list[tuple[Outcome, list[Moment]]]
    unmatched: list[str]
    """Labelled films the batch does not hold."""
    failed: list[str] = field(default_factory=list)
    """Labelled films the batch could not analyse."""


def coded_films(labels: Sequence[Path], runs: Path, tier: str) -> Coded:
    """The batch's films that the labels code (``batch.batch_film_of``), in batch order."""
    from vigvision.batch import batch_film_of, films_done

    every = films_done(runs, failed_too=True)
    by_film: dict[Path, list[Moment]] = {}
    for path in labels:
        for moment in read_moments(path, tier):
            by_film.setdefault(moment.film, []).append(moment)
    matched: dict[str, list[Moment]] = {}
    unmatched, failed = [], []
    for film, moments in by_film.items():
        outcome = batch_film_of(film, every)
        if outcome is None:
            unmatched.append(film.name)
        elif not outcome.ok:
            failed.append(film.name)
        else:
            matched.setdefault(outcome.folder, []).extend(moments)
    done = [(o, matched[o.folder]) for o in every if o.ok and o.folder in matched]
    return Coded(done, unmatched, failed)


def notes_of(coded: Coded, evaluation: Evaluation) -> list[str]:
    """What a reader of the figures should know: films left out, films without candidates,
    moments beyond a film's end, a model judged on films it learnt from."""
    notes = []
    if coded.unmatched:
        notes.append(
            f"{_films(len(coded.unmatched))} of the labels not in the batch, left out: "
            + ", ".join(coded.unmatched)
        )
    if coded.failed:
        notes.append(
            f"{_films(len(coded.failed))} of the labels failed in the batch (see "
            "batch.csv), left out: " + ", ".join(coded.failed)
        )
    empty = [f.film for f in evaluation.films if not f.candidates]
    if empty:
        notes.append(
            f"{_films(len(empty))} without a candidate (no adult and child seen "
            "together): their moments count as not found: " + ", ".join(empty)
        )
    beyond = [f.film for f in evaluation.films if any(m.end > f.duration_s + 1 for m in f.moments)]
    if beyond:
        notes.append(
            "moments that end after the film does (check the labels' times): " + ", ".join(beyond)
        )
    if evaluation.seen_in_training:
        notes.append(
            f"{_films(evaluation.seen_in_training)} of these in the model's training: "
            "its figures on them say little of new films"
        )
    return notes


def _films(n: int) -> str:
    return "1 film" if n == 1 else f"{n} films"


def evaluate_batch(
    coded: Coded,
    runs: Path,
    settings: Settings,
    *,
    model: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Evaluation:
    """Every coded film of the batch in ``runs``, ranked again and evaluated."""
    from vigvision.model import Scorer

    films = []
    for done, (outcome, moments) in enumerate(coded.films, start=1):
        films.append(
            evaluate_film(
                outcome,
                runs / outcome.folder,
                [m.span for m in moments],
                [m.code for m in moments],
                settings,
                model,
            )
        )
        if progress is not None:
            progress(done, len(coded.films))
    scorer = Scorer(model)
    evaluation = evaluation_of(films, f"{scorer.kind} ({model.name})" if model else scorer.kind)
    seen = sum(f.sha256 in scorer.trained_on for f in films)
    return replace(evaluation, seen_in_training=seen)
