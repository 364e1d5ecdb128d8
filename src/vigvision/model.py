"""The window scorer: scikit-learn models, exported to ONNX and run with onnxruntime.

With no labelled VIG films to learn from, the default scorer is a transparent prior: a
logistic model whose weights are the principle → feature weights of
``configs/principles.yaml``, packaged through the same scikit-learn → ONNX path as a trained
model would be. ``python -m vigvision.model`` rebuilds ``models/vig_prior.onnx`` from the
configuration.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import yaml
from numpy.typing import NDArray

from vigvision.errors import ConfigError, MissingModelError
from vigvision.resources import shipped_path
from vigvision.windows import FEATURES, feature_matrix

PRINCIPLES_FILE: Final = "configs/principles.yaml"
PRIOR_MODEL: Final = "models/vig_prior.onnx"
# The prior's scores spread over 0-1 when its weights add up to this.
_PRIOR_STRENGTH: Final = 8.0
# Observed evidence counts a little in itself: a window where faces and voices are seen.
_COVERAGE_WEIGHT: Final = 0.1


@dataclass(frozen=True)
class Principle:
    name: str
    goal: str
    features: dict[str, float]


def load_principles(path: Path | None = None) -> list[Principle]:
    """The VIG principles and their feature weights; a wrong feature name is named."""
    source = path or shipped_path(PRINCIPLES_FILE)
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(f"cannot read the principles in {source}", "check the file") from error
    principles = []
    for name, entry in (data or {}).get("principles", {}).items():
        features = {str(k): float(v) for k, v in (entry.get("features") or {}).items()}
        unknown = sorted(set(features) - set(FEATURES))
        if unknown:
            raise ConfigError(
                f"principle '{name}' in {source} names unknown features: {', '.join(unknown)}",
                f"known features: {', '.join(FEATURES)}",
            )
        principles.append(Principle(str(name), str(entry.get("goal", name)), features))
    if not principles:
        raise ConfigError(f"{source} lists no principles", "see configs/principles.yaml")
    return principles


@dataclass(frozen=True)
class Profile:
    """A way of reading a film for children who show attunement differently."""

    name: str
    ignore: tuple[str, ...] = ()
    """Features treated as not observed: no evidence either way."""
    lean_on: tuple[str, ...] = ()
    """Goals whose evidence counts more, as if the guider had chosen them."""
    short_sounds_are_turns: bool = False
    """Every sound a person makes can take a turn, however short (babies: a coo, a babble)."""


def load_profiles(path: Path | None = None) -> dict[str, Profile]:
    """The profiles of configs/principles.yaml by name; a wrong feature or goal is named."""
    source = path or shipped_path(PRINCIPLES_FILE)
    data = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    goals = {p.goal for p in load_principles(path)}
    profiles = {}
    for name, entry in (data.get("profiles") or {}).items():
        entry = entry or {}
        ignored = tuple(str(f) for f in entry.get("ignore", []))
        lean_on = tuple(str(g) for g in entry.get("lean_on", []))
        unknown = sorted(set(ignored) - set(FEATURES))
        if unknown:
            raise ConfigError(
                f"profile '{name}' in {source} ignores unknown features: {', '.join(unknown)}"
            )
        if set(lean_on) - goals:
            raise ConfigError(
                f"profile '{name}' in {source} leans on unknown goals: "
                + ", ".join(sorted(set(lean_on) - goals)),
                f"goals are: {', '.join(sorted(goals))}",
            )
        short = bool(entry.get("short_sounds_are_turns", False))
        profiles[str(name)] = Profile(str(name), ignored, lean_on, short)
    return profiles


def strengths(
    matrix: NDArray[np.floating[Any]], principle: Principle, *, over_seen: bool
) -> NDArray[np.float64]:
    """0-1 per window (row of features): how strongly it evidences one principle.

    The weighted mean of the principle's features. ``over_seen``: over the features seen in
    the window only (NaN when none was); otherwise unseen features count 0.
    """
    columns = [FEATURES.index(name) for name in principle.features]
    weights = np.array(list(principle.features.values()), dtype=np.float64)
    values = np.asarray(matrix, dtype=np.float64).reshape(-1, len(FEATURES))[:, columns]
    seen = np.isfinite(values)
    evidence = (np.where(seen, values, 0.0) * weights).sum(axis=1)
    total = (seen * weights).sum(axis=1) if over_seen else np.full(len(values), weights.sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, evidence / total, np.nan if over_seen else 0.0)


def goal_strength(features: dict[str, float], principle: Principle) -> float:
    """0-1: how strongly a window's features evidence one principle (unseen counts 0)."""
    row = feature_matrix([features])
    return float(strengths(row, principle, over_seen=False)[0])


def prior_weights(principles: list[Principle]) -> NDArray[np.float64]:
    """One weight per feature: every principle counts equally, spread over its features."""
    weights = np.zeros(len(FEATURES))
    for principle in principles:
        total = sum(principle.features.values()) or 1.0
        for feature, weight in principle.features.items():
            weights[FEATURES.index(feature)] += weight / total
    for coverage in ("faces_seen", "voices_heard"):
        weights[FEATURES.index(coverage)] += _COVERAGE_WEIGHT
    return np.asarray(weights * _PRIOR_STRENGTH / weights.sum(), dtype=np.float64)


def prior_pipeline(principles: list[Principle]) -> Any:
    """The prior as a scikit-learn pipeline: unobserved → 0 (no evidence), then logistic.

    The intercept puts a window of middling evidence (every feature 0.5) at a score of 0.5.
    """
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    weights = prior_weights(principles)
    no_evidence = SimpleImputer(strategy="constant", fill_value=0.0, keep_empty_features=True)
    no_evidence.fit(np.zeros((2, len(FEATURES)), np.float32))
    logistic = LogisticRegression()
    logistic.classes_ = np.array([0, 1])
    logistic.coef_ = weights[None, :]
    logistic.intercept_ = np.array([-0.5 * weights.sum()])
    logistic.n_features_in_ = len(FEATURES)
    return Pipeline([("no_evidence_is_zero", no_evidence), ("weights", logistic)])


def to_onnx(pipeline: Any, kind: str, description: str, trained_on: Sequence[str] = ()) -> bytes:
    """The pipeline as ONNX bytes, with the feature names, its kind and the films it was
    trained on (sha256) in the metadata."""
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType

    model = convert_sklearn(
        pipeline,
        initial_types=[("features", FloatTensorType([None, len(FEATURES)]))],
        options={id(pipeline.steps[-1][1]): {"zipmap": False}},
        target_opset=17,
        doc_string=description,
    )
    metadata = {
        "vigvision.features": json.dumps(FEATURES),
        "vigvision.kind": kind,
        "vigvision.trained_on": json.dumps(list(trained_on)),
    }
    for key, value in metadata.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    return bytes(model.SerializeToString())


class Scorer:
    """Scores windows with an ONNX model (the shipped prior unless another is given)."""

    def __init__(self, path: Path | None = None) -> None:
        import onnxruntime

        self.path = path or shipped_path(PRIOR_MODEL)
        if not self.path.is_file():
            raise MissingModelError(
                f"the scoring model {self.path} is missing", "reinstall vigvision"
            )
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        try:
            self._session = onnxruntime.InferenceSession(
                str(self.path), options, providers=["CPUExecutionProvider"]
            )
        except Exception as error:  # onnxruntime's own errors (a damaged or foreign file)
            raise MissingModelError(
                f"{self.path} is not an ONNX model that can be read",
                "give a model made by `vigvision train`, or leave --model out",
            ) from error
        meta = self._session.get_modelmeta().custom_metadata_map
        if json.loads(meta.get("vigvision.features", "[]")) != list(FEATURES):
            raise MissingModelError(
                f"{self.path} was made for other window features than this vigvision's",
                "retrain it with `vigvision train`, or use the shipped model",
            )
        self.kind = meta.get("vigvision.kind", "unknown")
        self.trained_on: frozenset[str] = frozenset(
            json.loads(meta.get("vigvision.trained_on", "[]"))
        )
        """The films (sha256) a trained model learnt from: its figures on them flatter it."""

    def score(self, features: NDArray[np.float32]) -> NDArray[np.float64]:
        """The probability that each window is a moment to show (0-1)."""
        if len(features) == 0:
            return np.zeros(0)
        outputs = self._session.run(None, {"features": features.astype(np.float32)})
        probabilities = next(o for o in outputs if getattr(o, "ndim", 0) == 2)
        return np.asarray(probabilities[:, 1], dtype=np.float64)


def write_prior(target: Path) -> Path:
    principles = load_principles()
    names = ", ".join(p.name for p in principles)
    description = f"vigvision transparent prior: logistic weights from {PRINCIPLES_FILE} ({names})"
    target.write_bytes(to_onnx(prior_pipeline(principles), "prior", description))
    return target


if __name__ == "__main__":
    print(write_prior(shipped_path(PRIOR_MODEL)))
