"""Windows of a film and what the cues say in each: the scorer's features.

Every feature is 0-1, and NaN where nothing in the window could show it (a face not seen,
no sound): the scorer treats "not seen" as no evidence, never as evidence against. The
share of the window in which faces and voices could be observed is a feature too.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
from numpy.typing import NDArray

from vigvision.cues.grid import Series
from vigvision.cues.table import PairCues

FEATURES: Final = (
    "facing_each_other",
    "closeness",
    "adult_turned_to_child",
    "adult_looks_at_child",
    "adult_at_child_level",
    "adult_still",
    "adult_smile",
    "child_smile",
    "shared_smile",
    "turn_exchanges",
    "turn_balance",
    "quick_response",
    "child_initiatives",
    "adult_waits",
    "adult_receives",
    "movement_synchrony",
    "faces_seen",
    "voices_heard",
)
_LEVELS: Final = (
    "facing_each_other",
    "closeness",
    "adult_turned_to_child",
    "adult_looks_at_child",
    "adult_at_child_level",
    "adult_still",
    "adult_smile",
    "child_smile",
    "shared_smile",
    "adult_receives",
)
# Four turn exchanges a minute or more is a lively back-and-forth (1.0).
_LIVELY_EXCHANGES_PER_MIN: Final = 4.0
# Two child initiatives a minute or more (1.0).
_MANY_INITIATIVES_PER_MIN: Final = 2.0
# The adult waiting two seconds before answering the child leaves room (1.0).
_ROOMY_WAIT_S: Final = 2.0
# Answers within half a second are quick (1.0); after two seconds, not (0.0).
_QUICK_S: Final = (0.5, 2.0)


def _mean(values: Series) -> float:
    seen = values[np.isfinite(values)]
    return float(np.mean(seen)) if len(seen) else math.nan


# Movements answering each other within this lag (seconds) count as in step.
_MAX_LAG_S: Final = 1.5
# Correlation above chance (0-1) that counts as fully in step (1.0).
_FULL_SYNCHRONY: Final = 0.5


def _lagged_correlation(a: Series, b: Series, max_lag: int, lag_step: int) -> float:
    best = math.nan
    for lag in range(-max_lag, max_lag + 1, lag_step):
        x, y = (a[: len(a) - lag], b[lag:]) if lag >= 0 else (a[-lag:], b[: len(b) + lag])
        both = np.isfinite(x) & np.isfinite(y)
        if both.sum() < 8:
            continue
        xs, ys = x[both], y[both]
        if np.std(xs) == 0 or np.std(ys) == 0:
            continue
        value = float(np.corrcoef(xs, ys)[0, 1])
        best = value if not math.isfinite(best) else max(best, value)
    return best


def movement_synchrony(first: Series, second: Series, step: float) -> float:
    """0-1: how much two people's movements go together, above what chance gives.

    The best correlation of their motion energy within ±1.5 s of lag, minus the same for
    the second person's motion shifted in time by half the window (a chance level, as in
    Motion Energy Analysis). NaN when either was not seen for most of the window.
    """
    seen = np.isfinite(first) & np.isfinite(second)
    if len(first) == 0 or seen.mean() < 0.5:
        return math.nan
    max_lag = max(1, round(_MAX_LAG_S / step))
    lag_step = max(1, round(0.4 / step))
    together = _lagged_correlation(first, second, max_lag, lag_step)
    if not math.isfinite(together) or len(second) < 4 * max_lag:
        return math.nan
    chance = _lagged_correlation(first, np.roll(second, len(second) // 2), max_lag, lag_step)
    chance_level = chance if math.isfinite(chance) else 0.0
    return float(np.clip((together - chance_level) / _FULL_SYNCHRONY, 0.0, 1.0))


def window_features(cues: PairCues, start: float, end: float) -> dict[str, float]:
    """The features of [start, end) for one pair (NaN: not observable in the window)."""
    # The grid is regular: a window is a slice of it (no mask over the whole film).
    step = cues.grid.step
    inside = slice(max(0, math.ceil(start / step - 1e-9)), max(0, math.ceil(end / step - 1e-9)))
    count = len(cues.grid.t[inside])
    minutes = max(end - start, 1e-9) / 60

    def part(name: str) -> Series:
        return cues.cues[name][inside] if name in cues.cues else np.full(count, np.nan)

    features = {
        name: max(0.0, _mean(part(name))) if name in cues.cues else math.nan for name in _LEVELS
    }
    heard = np.isfinite(part("adult_speaks")).any()
    if heard:
        exchanges = float(np.nansum(part("turn_exchange")))
        features["turn_exchanges"] = min(1.0, exchanges / minutes / _LIVELY_EXCHANGES_PER_MIN)
        adult, child = (
            float(np.nansum(part("adult_speaks"))),
            float(np.nansum(part("child_speaks"))),
        )
        features["turn_balance"] = (
            1.0 - abs(adult - child) / (adult + child) if adult + child else math.nan
        )
        gaps = part("response_gap_s")
        quick_low, quick_high = _QUICK_S
        median_gap = float(np.nanmedian(gaps)) if np.isfinite(gaps).any() else math.nan
        features["quick_response"] = (
            float(np.clip((quick_high - median_gap) / (quick_high - quick_low), 0, 1))
            if math.isfinite(median_gap)
            else math.nan
        )
        if "child_initiative" in cues.cues:
            initiatives = float(np.nansum(part("child_initiative")))
            features["child_initiatives"] = min(
                1.0, initiatives / minutes / _MANY_INITIATIVES_PER_MIN
            )
            waits = _mean(part("adult_waits_s"))
            features["adult_waits"] = (
                min(1.0, waits / _ROOMY_WAIT_S) if math.isfinite(waits) else math.nan
            )
        else:
            features["child_initiatives"] = features["adult_waits"] = math.nan
    else:
        for name in (
            "turn_exchanges",
            "turn_balance",
            "quick_response",
            "child_initiatives",
            "adult_waits",
        ):
            features[name] = math.nan
    features["movement_synchrony"] = movement_synchrony(
        part("motion_first"), part("motion_second"), cues.grid.step
    )
    features["faces_seen"] = float(np.isfinite(part("facing_each_other")).mean()) if count else 0.0
    features["voices_heard"] = 1.0 if heard else 0.0
    return {name: features.get(name, math.nan) for name in FEATURES}


def feature_matrix(rows: list[dict[str, float]]) -> NDArray[np.float32]:
    """Rows of features as a float32 matrix in ``FEATURES`` order (the scorer's input)."""
    return np.array([[row[name] for name in FEATURES] for row in rows], dtype=np.float32).reshape(
        len(rows), len(FEATURES)
    )
