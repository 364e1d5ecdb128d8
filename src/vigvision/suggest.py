"""The main job: a long film in, a short ranked list of candidate moments out.

observations + turns ──cues──▶ cue grid per adult-child pair ──windows──▶ features
──model──▶ scores ──ranking──▶ candidates ──explain──▶ plain words for each.

The guider chooses among the candidates; nothing here judges anyone.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pyannote.core import Segment

from vigvision.config import Settings
from vigvision.cues.grid import Grid
from vigvision.cues.group import GroupMoment, group_moments
from vigvision.cues.pairs import Pair, pairs_of, possible_pairs
from vigvision.cues.table import PairCues, pair_cues
from vigvision.errors import ConfigError
from vigvision.explain import describe, main_principles, principles_evidenced, sentence
from vigvision.film import FilmInfo
from vigvision.glance import Stretch, watched_through
from vigvision.model import (
    Principle,
    Profile,
    Scorer,
    goal_strength,
    load_principles,
    load_profiles,
    strengths,
)
from vigvision.observe import Observed
from vigvision.ranking import Window, rank, window_starts
from vigvision.turns import Speech
from vigvision.windows import FEATURES, feature_table, window_features


@dataclass(frozen=True)
class Candidate:
    """One moment for the guider to look at, with its evidence."""

    rank: int
    start_s: float
    end_s: float
    score: float
    pair: str
    cues: dict[str, Any]
    principles: list[str]
    explanation: str
    goals: list[str]
    """The chosen goals this moment evidences."""
    strength: str
    """How much evidence the moment shows, in words: "strong", "clear" or "some"."""
    seen_together: float
    """Share of the moment (0-1) in which both people of the pair were in view."""
    heard: float
    """Share of the moment (0-1) in which voices could be heard (not hidden by music)."""
    claims: list[dict[str, Any]]
    """Each sentence of ``explanation`` with the measure of cues.csv that makes it true."""

    @property
    def span(self) -> Segment:
        """The moment as a stretch of the film (``start_s``/``end_s`` are its written form)."""
        return Segment(self.start_s, self.end_s)


@dataclass(frozen=True)
class Suggestions:
    info: FilmInfo
    candidates: list[Candidate]
    cues: list[PairCues]
    model_kind: str
    pairs_possible: int
    """Pairs the people seen could form: more than ``len(cues)`` in a crowd or a class."""
    groups: list[GroupMoment]
    """With one adult and several children: moments when each child in view is reached."""
    watched: tuple[Stretch, ...] = ()
    """The film's stretches, each watched closely or only glanced at (and why)."""


def suggest(
    observed: Observed,
    speech: Speech,
    settings: Settings,
    *,
    top: int | None = None,
    model: Path | None = None,
    goals: tuple[str, ...] = (),
    profile: str | None = None,
    leave_out: tuple[str, ...] = (),
) -> Suggestions:
    """Candidate moments of a film from what was observed and heard in it.

    ``goals`` (goal names of configs/principles.yaml) move the ranking towards moments that
    evidence them; ``profile`` treats some features as not observed (e.g. no-eye-contact);
    ``leave_out`` does the same for any features (``evaluate``'s ablation).
    """
    reading = _profile(profile)
    windows = film_windows(
        observed, speech, settings, short_sounds_are_turns=reading.short_sounds_are_turns
    )
    return suggest_from_windows(
        windows,
        speech,
        settings,
        top=top,
        model=model,
        goals=goals,
        reading=reading,
        leave_out=leave_out,
    )


def suggest_from_windows(
    windows: FilmWindows,
    speech: Speech,
    settings: Settings,
    *,
    top: int | None = None,
    model: Path | None = None,
    goals: tuple[str, ...] = (),
    reading: Profile | None = None,
    leave_out: tuple[str, ...] = (),
    scorer: Scorer | None = None,
) -> Suggestions:
    """``suggest`` from the film's windows, made once (``film_windows`` with the reading's
    ``short_sounds_are_turns``) for several rankings of them; ``scorer``: ``model``'s,
    loaded once for them all."""
    options = settings.suggest
    duration = windows.info.duration_s
    reading = reading or Profile("default")
    principles = load_principles()
    chosen_goals = _chosen_goals(goals, reading, principles)
    ignored = set(reading.ignore) | set(leave_out)
    scorer = scorer or Scorer(model)
    scored, present = _scored(windows, settings, scorer, chosen_goals, ignored, principles)
    ranked = [window for window, here in zip(scored, present, strict=True) if here]
    chosen = rank(ranked, speech.speech, options, duration, top or options.top)

    def candidate_at(window: Window) -> Candidate | None:
        pair = window.pair
        return _candidate(
            window,
            windows.pairs[pair],
            windows.cues[pair],
            principles,
            chosen_goals,
            ignored,
            options.min_seen_together,
        )

    # A moment grown to a whole stretch and snapped to pauses may take in time when one
    # of the two was out of view: it must still show (or let hear) both for most of it,
    # else it is the window that was found, as it was found.
    described = [
        candidate_at(window) or candidate_at(replace(window, span=window.found_as or window.span))
        for window in chosen
    ]
    present_whole = [c for c in described if c is not None]
    candidates = [replace(c, rank=rank_) for rank_, c in enumerate(present_whole, start=1)]
    longest = max(
        (n for n in options.window_lengths_s if options.min_len_s <= n <= options.max_len_s),
        default=options.max_len_s,
    )
    groups = group_moments(windows.cues, longest, options.window_step_s)
    return Suggestions(
        windows.info,
        candidates,
        windows.cues,
        scorer.kind,
        windows.pairs_possible,
        groups,
        windows.watched,
    )


def _scored(
    windows: FilmWindows,
    settings: Settings,
    scorer: Scorer,
    chosen_goals: list[Principle],
    ignored: set[str],
    principles: list[Principle],
) -> tuple[list[Window], NDArray[np.bool_]]:
    """Every window with its score, and whether both of its pair were seen enough in it."""
    matrix = windows.features.copy()
    for name in ignored:
        matrix[:, FEATURES.index(name)] = np.nan
    scores = scorer.score(matrix)
    for principle in chosen_goals:
        boost = settings.suggest.goal_boost
        scores = scores * (1 + boost * strengths(matrix, principle, over_seen=False))
    scored = [
        Window(span, index, float(score), principle)
        for (index, span), score, principle in zip(
            windows.spans, scores, main_principles(matrix, principles), strict=True
        )
    ]
    return scored, both_present(matrix, settings.suggest.min_seen_together)


def promising_order(
    observed: Observed,
    speech: Speech,
    settings: Settings,
    *,
    model: Path | None = None,
    goals: tuple[str, ...] = (),
    profile: str | None = None,
) -> list[Segment]:
    """Stretches of the film from the most promising on, as ``suggest`` would rank them:
    its candidates first, then every other window by score (those where both people of
    the pair were seen together before the others). ``glance`` watches closely from the
    top of this list down."""
    reading = _profile(profile)
    windows = film_windows(
        observed, speech, settings, short_sounds_are_turns=reading.short_sounds_are_turns
    )
    principles = load_principles()
    chosen_goals = _chosen_goals(goals, reading, principles)
    scored, present = _scored(
        windows, settings, Scorer(model), chosen_goals, set(reading.ignore), principles
    )
    ranked = [window for window, here in zip(scored, present, strict=True) if here]
    duration = windows.info.duration_s
    candidates = rank(ranked, speech.speech, settings.suggest, duration, len(ranked))
    rest = sorted(zip(scored, present, strict=True), key=lambda pair: (not pair[1], -pair[0].score))
    return [w.span for w in candidates] + [w.span for w, _ in rest]


@dataclass(frozen=True)
class FilmWindows:
    """Every window of every pair of a film, with its features."""

    info: FilmInfo
    pairs: list[Pair]
    cues: list[PairCues]
    """Each pair's cues, in the order of ``pairs``."""
    spans: list[tuple[int, Segment]]
    """Each window's pair (index) and stretch of the film."""
    features: NDArray[np.float32]
    """One row per window, columns in ``FEATURES`` order (NaN: not observable)."""
    pairs_possible: int
    """Pairs the people seen could form: more than ``len(pairs)`` in a crowd or a class."""
    watched: tuple[Stretch, ...] = ()
    """The film's stretches, each watched closely or only glanced at (and why)."""


def film_windows(
    observed: Observed, speech: Speech, settings: Settings, *, short_sounds_are_turns: bool = False
) -> FilmWindows:
    """Every window of every pair of a film with its features.

    ``short_sounds_are_turns``: a sound however short can take a turn (babies' coos).
    """
    options = settings.suggest
    duration = observed.info.duration_s
    grid = Grid.over(duration, options.grid_step_s)
    pairs = pairs_of(observed.people, observed.observations)
    all_cues = [
        pair_cues(
            pair, observed.observations, speech, grid, short_sounds_are_turns=short_sounds_are_turns
        )
        for pair in pairs
    ]
    lengths = [
        length
        for length in options.window_lengths_s
        if options.min_len_s <= length <= options.max_len_s
    ]
    if not lengths:
        lengths = [max(options.min_len_s, min(options.max_len_s, duration))]
    spans: list[tuple[int, Segment]] = []
    tables: list[NDArray[np.float64]] = []
    for index, cues in enumerate(all_cues):
        for length in lengths:
            starts = window_starts(duration, length, options.window_step_s)
            # Where people were in view but not watched closely nothing is known: a window
            # reaching into such a stretch would be judged on part of itself.
            starts = starts[watched_through(starts, length, observed.watched)]
            spans.extend((index, Segment(float(start), float(start + length))) for start in starts)
            tables.append(feature_table(cues, starts, length))
    matrix = (
        np.vstack(tables).astype(np.float32) if tables else np.zeros((0, len(FEATURES)), np.float32)
    )
    return FilmWindows(
        observed.info,
        pairs,
        all_cues,
        spans,
        matrix,
        possible_pairs(observed.people),
        observed.watched,
    )


def both_present(matrix: NDArray[np.float32], min_seen: float) -> NDArray[np.bool_]:
    """Windows in which both people were in view for ``min_seen`` of it, or both heard."""
    seen = matrix[:, FEATURES.index("faces_seen")]
    heard = matrix[:, FEATURES.index("voices_heard")]
    # turn_balance > 0: each of the two spoke in the window.
    both_spoke = np.nan_to_num(matrix[:, FEATURES.index("turn_balance")]) > 0
    return np.asarray((seen >= min_seen) | (both_spoke & (heard >= min_seen)), dtype=bool)


def _chosen_goals(
    goals: tuple[str, ...], reading: Profile, principles: list[Principle]
) -> list[Principle]:
    """The guider's goals, and those the profile leans on: a profile's count as chosen
    (each goal once)."""
    return _goal_principles(tuple(dict.fromkeys(goals + reading.lean_on)), principles)


def _goal_principles(goals: tuple[str, ...], principles: list[Principle]) -> list[Principle]:
    by_goal = {p.goal: p for p in principles}
    unknown = [g for g in goals if g not in by_goal]
    if unknown:
        raise ConfigError(f"unknown goal '{unknown[0]}'", f"goals are: {', '.join(by_goal)}")
    return [by_goal[g] for g in goals]


def _profile(name: str | None) -> Profile:
    if name is None:
        return Profile("default")
    profiles = load_profiles()
    if name not in profiles:
        raise ConfigError(
            f"unknown profile '{name}'", f"profiles are: {', '.join(profiles) or 'none'}"
        )
    return profiles[name]


def _candidate(
    window: Window,
    pair: Pair,
    cues: PairCues,
    principles: list[Principle],
    goals: list[Principle],
    ignored: set[str],
    min_seen: float,
) -> Candidate | None:
    """The candidate of a chosen window (ranked later), or None where, in its final bounds,
    the two are neither in view nor heard for most of it."""
    # The bounds as written: every claim is measured between exactly these.
    start, end = round(window.start, 2), round(window.end, 2)
    features = {
        k: (math.nan if k in ignored else v) for k, v in window_features(cues, start, end).items()
    }
    claims = describe(cues, start, end, frozenset(ignored))
    seen_together = features["faces_seen"]
    heard_not_seen = seen_together < min_seen
    if not both_present(np.array([[features[n] for n in FEATURES]]), min_seen)[0]:
        return None
    evidence: dict[str, Any] = {
        name: round(value, 3) for name, value in features.items() if math.isfinite(value)
    }
    inside = (cues.grid.t >= start - 1e-6) & (cues.grid.t < end - 1e-6)
    passes = cues.cues["turn_exchange"][inside]
    if np.isfinite(passes).any():
        evidence["turn_exchanges"] = int(np.nansum(passes))
    evidenced = principles_evidenced(features, principles)
    return Candidate(
        rank=0,
        start_s=start,
        end_s=end,
        score=round(window.score, 4),
        pair=pair.name,
        cues=evidence,
        principles=evidenced,
        explanation=sentence(claims, heard_not_seen, pair.roles_known),
        goals=[g.goal for g in goals if goal_strength(features, g) >= 0.35],
        strength=evidence_strength(len(evidenced), len(claims), seen_together),
        seen_together=round(seen_together, 2),
        heard=round(features["voices_heard"], 2),
        claims=[asdict(claim) for claim in claims],
    )


def evidence_strength(principles: int, claims: int, seen_together: float) -> str:
    """How much evidence a moment shows, in words: "strong", "clear" or "some".

    Strong: two principles or more evidenced, three things said, both seen most of it;
    clear: a principle evidenced and two things said; some: less.
    """
    if principles >= 2 and claims >= 3 and seen_together >= 0.8:
        return "strong"
    if principles >= 1 and claims >= 2:
        return "clear"
    return "some"
