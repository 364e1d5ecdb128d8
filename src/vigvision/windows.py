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

from vigvision.cues.grid import Series, shifted
from vigvision.cues.table import PairCues

FEATURES: Final = (
    "facing_each_other",
    "closeness",
    "adult_turned_to_child",
    "adult_looks_at_child",
    "adult_at_child_level",
    "adult_still_while_child_acts",
    "adult_smile",
    "child_smile",
    "shared_smile",
    "taking_turns",
    "taking_turns_face_to_face",
    "turn_balance",
    "quick_response",
    "child_initiatives",
    "adult_waits",
    "adult_receives",
    "voice_warmth",
    "looking_at_same_place",
    "adult_follows_child_look",
    "hands_in_shared_space",
    "turns_in_activity",
    "movement_synchrony",
    "imitation",
    "faces_seen",
    "voices_heard",
)
# The cues as researchers group them (what ``evaluate`` leaves out one family at a time).
# Every feature but the two shares of the window observed belongs to one family.
CUE_FAMILIES: Final = {
    "attention": (
        "facing_each_other",
        "closeness",
        "adult_turned_to_child",
        "adult_looks_at_child",
        "adult_at_child_level",
        "adult_still_while_child_acts",
    ),
    "warmth": ("adult_smile", "child_smile", "shared_smile", "voice_warmth"),
    "turn_taking": (
        "taking_turns",
        "taking_turns_face_to_face",
        "turn_balance",
        "quick_response",
        "child_initiatives",
        "adult_waits",
        "adult_receives",
    ),
    "shared_attention": ("looking_at_same_place", "adult_follows_child_look"),
    "shared_activity": ("hands_in_shared_space", "turns_in_activity"),
    "imitation_and_synchrony": ("movement_synchrony", "imitation"),
}
COVERAGE: Final = ("faces_seen", "voices_heard")
_LEVELS: Final = (
    "facing_each_other",
    "closeness",
    "adult_turned_to_child",
    "adult_looks_at_child",
    "adult_at_child_level",
    "adult_still_while_child_acts",
    "adult_smile",
    "child_smile",
    "shared_smile",
    "adult_receives",
    "voice_warmth",
    "looking_at_same_place",
    "adult_follows_child_look",
    "hands_in_shared_space",
    "imitation",
)
# Two child initiatives a minute or more (1.0).
_MANY_INITIATIVES_PER_MIN: Final = 2.0
# The adult waiting two seconds before answering the child leaves room (1.0).
_ROOMY_WAIT_S: Final = 2.0
# Answers within half a second are quick (1.0); after two seconds, not (0.0).
_QUICK_S: Final = (0.5, 2.0)


# Movements answering each other within this lag (seconds) count as in step.
_MAX_LAG_S: Final = 1.5
_LAG_STEP_S: Final = 0.4
# Correlation above chance (0-1) that counts as fully in step (1.0).
_FULL_SYNCHRONY: Final = 0.5
# Fewer instants than this seen together give no correlation.
_MIN_PAIRS: Final = 8


class _Sums:
    """Sums over any stretch of a series in constant time (cumulative sums of its seen part)."""

    def __init__(self, values: Series) -> None:
        seen = np.isfinite(values)
        self.count = np.concatenate([[0], np.cumsum(seen)])
        self.total = np.concatenate([[0.0], np.cumsum(np.where(seen, values, 0.0))])

    def seen(self, first: NDArray[np.int64], last: NDArray[np.int64]) -> NDArray[np.float64]:
        return np.asarray(self.count[last] - self.count[first], dtype=np.float64)

    def sum(self, first: NDArray[np.int64], last: NDArray[np.int64]) -> NDArray[np.float64]:
        return np.asarray(self.total[last] - self.total[first], dtype=np.float64)

    def mean(self, first: NDArray[np.int64], last: NDArray[np.int64]) -> NDArray[np.float64]:
        count = self.seen(first, last)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(count > 0, self.sum(first, last) / count, np.nan)


def _best_lagged_correlation(
    a: Series, b: Series, first: NDArray[np.int64], last: NDArray[np.int64], lags: range
) -> NDArray[np.float64]:
    """Per window [first, last): the highest correlation of a(t) with b(t + lag), any lag."""
    best = np.full(len(first), -np.inf)
    for lag in lags:
        partner = shifted(b, lag)
        both = np.isfinite(a) & np.isfinite(partner)
        x, y = np.where(both, a, 0.0), np.where(both, partner, 0.0)
        sums = [
            np.concatenate([[0.0], np.cumsum(v)])
            for v in (both.astype(float), x, y, x * x, y * y, x * y)
        ]
        # Both ends of a pair stay inside the window, as when slicing it.
        lo = np.minimum(first + max(0, -lag), last)
        hi = np.maximum(last - max(0, lag), lo)
        n, sx, sy, sxx, syy, sxy = (c[hi] - c[lo] for c in sums)
        var_x, var_y = n * sxx - sx * sx, n * syy - sy * sy
        usable = (n >= _MIN_PAIRS) & (var_x > 1e-12 * n * n) & (var_y > 1e-12 * n * n)
        with np.errstate(invalid="ignore", divide="ignore"):
            r = np.where(usable, (n * sxy - sx * sy) / np.sqrt(var_x * var_y), -np.inf)
        best = np.maximum(best, r)
    return np.where(np.isfinite(best), best, np.nan)


def _movement_synchrony(
    first_person: Series,
    second_person: Series,
    step: float,
    first: NDArray[np.int64],
    last: NDArray[np.int64],
) -> NDArray[np.float64]:
    max_lag = max(1, round(_MAX_LAG_S / step))
    lags = range(-max_lag, max_lag + 1, max(1, round(_LAG_STEP_S / step)))
    count = last - first
    seen = _Sums(np.where(np.isfinite(first_person), second_person, np.nan)).seen(first, last)
    together = _best_lagged_correlation(first_person, second_person, first, last, lags)
    # Chance: the second person's movements from half a window earlier (wrapping round).
    length = int(np.max(count)) if len(count) else 0
    chance = _best_lagged_correlation(
        first_person, np.roll(second_person, length // 2), first, last, lags
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.clip((together - chance) / _FULL_SYNCHRONY, 0.0, 1.0)
    # Without a chance level (e.g. the people were not seen before) there is no evidence.
    unusable = (count == 0) | (seen < 0.5 * count) | (count < 4 * max_lag) | ~np.isfinite(value)
    return np.where(unusable, np.nan, value)


def movement_synchrony(first: Series, second: Series, step: float) -> float:
    """0-1: how much two people's movements go together, above what chance gives.

    The best correlation of their motion energy within ±1.5 s of lag, minus the same for
    the second person's motion shifted in time by half the window (a chance level, as in
    Motion Energy Analysis). NaN when either was not seen for most of the window.
    """
    whole = (np.array([0]), np.array([len(first)]))
    return float(_movement_synchrony(first, second, step, *whole)[0])


def feature_table(
    cues: PairCues, starts: NDArray[np.float64], length: float
) -> NDArray[np.float64]:
    """The features (columns in ``FEATURES`` order) of windows [start, start + length).

    Every window at once, from cumulative sums over the grid: a 45-minute film's tens of
    thousands of windows take well under a second.
    """
    step, size = cues.grid.step, len(cues.grid)
    first = np.clip(np.ceil(np.asarray(starts) / step - 1e-9), 0, size).astype(np.int64)
    last = np.clip(np.ceil((np.asarray(starts) + length) / step - 1e-9), 0, size).astype(np.int64)
    count = (last - first).astype(np.float64)
    minutes = max(length, 1e-9) / 60
    nothing = np.full(len(first), np.nan)

    def cue(name: str) -> Series:
        return cues.cues.get(name, np.full(size, np.nan))

    def sums(name: str) -> _Sums:
        return _Sums(cue(name))

    levels = {name: sums(name) for name in _LEVELS if name in cues.cues}
    columns: dict[str, NDArray[np.float64]] = {
        name: np.maximum(levels[name].mean(first, last), 0.0) if name in levels else nothing
        for name in _LEVELS
    }
    spoken = sums("adult_speaks")
    heard = spoken.seen(first, last)
    hearing = np.where(heard > 0, 1.0, np.nan)  # sound cues are NaN where nothing was heard
    # Taking turns: the share of the window in which the turn passes between them (the
    # unheard part counts as not: a moment shown should be mostly conversation).
    with np.errstate(invalid="ignore", divide="ignore"):
        for name in ("taking_turns", "taking_turns_face_to_face"):
            columns[name] = hearing * sums(name).sum(first, last) / np.maximum(count, 1)
    # Turns with the hands: the same share, where the hands of both were seen at all.
    handled = sums("turns_in_activity")
    with np.errstate(invalid="ignore", divide="ignore"):
        columns["turns_in_activity"] = np.where(
            handled.seen(first, last) > 0, handled.sum(first, last) / np.maximum(count, 1), np.nan
        )
    adult, child = spoken.sum(first, last), sums("child_speaks").sum(first, last)
    with np.errstate(invalid="ignore", divide="ignore"):
        columns["turn_balance"] = hearing * np.where(
            adult + child > 0, 1.0 - np.abs(adult - child) / (adult + child), np.nan
        )
    quick_low, quick_high = _QUICK_S
    quickness = np.clip((quick_high - cue("response_gap_s")) / (quick_high - quick_low), 0, 1)
    columns["quick_response"] = hearing * _Sums(quickness).mean(first, last)
    if "child_initiative" in cues.cues:
        initiatives = sums("child_initiative").sum(first, last)
        columns["child_initiatives"] = hearing * np.minimum(
            1.0, initiatives / minutes / _MANY_INITIATIVES_PER_MIN
        )
        columns["adult_waits"] = hearing * np.minimum(
            1.0, sums("adult_waits_s").mean(first, last) / _ROOMY_WAIT_S
        )
    else:
        columns["child_initiatives"] = columns["adult_waits"] = nothing
    columns["movement_synchrony"] = _movement_synchrony(
        cue("motion_first"), cue("motion_second"), step, first, last
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        columns["faces_seen"] = np.where(
            count > 0, levels["facing_each_other"].seen(first, last) / count, 0.0
        )
        columns["voices_heard"] = np.where(count > 0, heard / count, 0.0)
    return np.column_stack([columns[name] for name in FEATURES])


def window_features(cues: PairCues, start: float, end: float) -> dict[str, float]:
    """The features of [start, end) for one pair (NaN: not observable in the window)."""
    row = feature_table(cues, np.array([start]), end - start)[0]
    return {name: float(value) for name, value in zip(FEATURES, row, strict=True)}


def feature_matrix(rows: list[dict[str, float]]) -> NDArray[np.float32]:
    """Rows of features as a float32 matrix in ``FEATURES`` order (the scorer's input)."""
    return np.array(
        [[row.get(name, math.nan) for name in FEATURES] for row in rows], dtype=np.float32
    ).reshape(len(rows), len(FEATURES))
