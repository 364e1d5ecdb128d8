"""All cues of one adult-child pair on the grid: the ``cues.csv`` of a film."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vigvision.cues import attention, exchange
from vigvision.cues.grid import Grid, Series, sample, speaking, speaking_person, unheard
from vigvision.cues.pairs import Pair
from vigvision.observations import Observations
from vigvision.turns import Speech

# The observation of a person counts for an instant this far away at most (seconds).
_REACH_S = 0.3
# A child initiative: the child speaks first after this much silence (seconds).
_INITIATIVE_PAUSE_S = 1.0
# An adult's smile or nod within this long after a child initiative receives it (seconds).
_RECEIVE_WITHIN_S = 2.0
_SMILING = 0.4
_NODDING_DEG_S = 25.0
# A conversation goes on within this many seconds of the turn passing (either side).
_TURN_REACH_S = 2.0
# Facing each other at least this much (0-1) counts as face to face.
_FACING = 0.4
# Cues that come from hearing who speaks.
_HEARD = (
    "turn_exchange",
    "taking_turns",
    "taking_turns_face_to_face",
    "response_gap_s",
    "adult_speaks",
    "child_speaks",
    "child_initiative",
    "adult_waits_s",
    "adult_receives",
)


@dataclass(frozen=True)
class PairCues:
    """Named cue series of one pair on one grid."""

    pair: Pair
    grid: Grid
    cues: dict[str, Series]

    def coverage(self, name: str) -> float:
        """Share of the grid where the cue could be observed."""
        return float(np.isfinite(self.cues[name]).mean()) if len(self.grid) else 0.0


def pair_cues(pair: Pair, observations: Observations, speech: Speech, grid: Grid) -> PairCues:
    # Each person's rows are picked once: every cue samples a column of them.
    rows = {person: observations.of_person(person) for person in (pair.adult, pair.child)}

    def of(person: int, column: str) -> Series:
        return sample(grid, rows[person], person, column, _REACH_S)

    a, c = pair.adult, pair.child
    centre_x = {p: of(p, "x") + of(p, "w") / 2 for p in (a, c)}
    centre_y = {p: of(p, "y") + of(p, "h") / 2 for p in (a, c)}
    towards = {}
    for me, other in ((a, c), (c, a)):
        head = attention.turned_towards(of(me, "facing_dx"), centre_x[me], centre_x[other])
        torso = attention.turned_towards(of(me, "body_dx"), centre_x[me], centre_x[other])
        towards[me] = attention.towards_with_body(head, torso)
    face_w = _mean_of(of(a, "w"), of(c, "w"))
    face_h = _mean_of(of(a, "h"), of(c, "h"))
    distance = attention.distance_in_faces(
        centre_x[a], centre_y[a], centre_x[c], centre_y[c], face_w
    )
    cues: dict[str, Series] = {
        "facing_each_other": attention.facing_each_other(towards[a], towards[c]),
        "closeness": attention.closeness(distance),
        "distance_faces": distance,
        # Each one's motion energy: their movement synchrony is a window feature.
        "motion_first": of(a, "motion"),
        "motion_second": of(c, "motion"),
    }
    heard_as = {seg.person for seg in speech.segments}
    if a in heard_as or c in heard_as:
        adult_speaks, child_speaks = (
            speaking_person(grid, speech, a),
            speaking_person(grid, speech, c),
        )
        adult_voice, child_voice = f"person{a}", f"person{c}"
    else:
        # Nobody was seen speaking (faces small, turned, mouths hidden): the voices heard
        # are taken as the pair's, by the role their pitch suggests.
        adult_speaks, child_speaks = (
            speaking(grid, speech, "adult"),
            speaking(grid, speech, "child"),
        )
        roles = {s.role: s.speaker for s in sorted(speech.speakers, key=lambda s: -s.speech_s)}
        adult_voice, child_voice = roles.get("adult", ""), roles.get("child", "")
    # The turn passing counts whoever the voices were given to: who speaks is less certain
    # than that the speaker changed.
    passes = exchange.exchanges(speech, tuple(sorted({seg.speaker for seg in speech.segments})))
    cues["turn_exchange"] = exchange.events_on_grid(grid, [t for t, _ in passes], speech.observable)
    cues["response_gap_s"] = exchange.at_events(grid, passes)
    # Taking turns: the turn passes between them every few seconds; face to face, while
    # they face each other (talking *with* each other).
    cues["taking_turns"] = exchange.around_events(
        grid, [t for t, _ in passes], _TURN_REACH_S, speech.observable
    )
    with np.errstate(invalid="ignore"):
        face_to_face = np.where(
            np.isfinite(cues["facing_each_other"]), cues["facing_each_other"] >= _FACING, np.nan
        )
    cues["taking_turns_face_to_face"] = cues["taking_turns"] * face_to_face
    cues["adult_speaks"], cues["child_speaks"] = adult_speaks, child_speaks
    if pair.roles_known:
        cues["adult_turned_to_child"] = towards[a]
        gaze = attention.turned_towards(of(a, "gaze_dx"), centre_x[a], centre_x[c])
        cues["adult_looks_at_child"] = gaze
        cues["adult_at_child_level"] = attention.at_level(centre_y[a], centre_y[c], face_h)
        # The adult's stillness counts while the child acts (speaks or moves): room given.
        child_acts = attention.acting(child_speaks, of(c, "motion"))
        cues["adult_still_while_child_acts"] = np.where(
            child_acts == 1.0, attention.stillness(of(a, "nod_speed"), of(a, "shake_speed")), np.nan
        )
        adult_smile, child_smile = of(a, "smile"), of(c, "smile")
        cues["adult_smile"], cues["child_smile"] = adult_smile, child_smile
        with np.errstate(invalid="ignore"):
            cues["shared_smile"] = np.minimum(adult_smile, child_smile)
        initiatives = exchange.child_initiatives(
            speech.turns, child_voice, adult_voice, _INITIATIVE_PAUSE_S
        )
        cues["child_initiative"] = exchange.events_on_grid(
            grid, [i.t for i in initiatives], speech.observable
        )
        cues["adult_waits_s"] = exchange.at_events(
            grid, [(i.t, i.answered_after_s) for i in initiatives]
        )
        warmth = np.fmax(adult_smile / _SMILING, of(a, "nod_speed") / _NODDING_DEG_S)
        cues["adult_receives"] = exchange.responded_within(
            initiatives, grid, warmth, _RECEIVE_WITHIN_S, 1.0
        )
    # Under music or steady noise nobody can be heard speaking: not silence, not observed.
    unheard_here = unheard(grid, speech)
    for name in _HEARD:
        if name in cues:
            cues[name] = np.where(unheard_here, np.nan, cues[name])
    return PairCues(pair, grid, cues)


def _mean_of(first: Series, second: Series) -> Series:
    """The mean of two series where either is seen, NaN where neither is."""
    both = np.vstack([first, second])
    seen = np.isfinite(both)
    total = np.where(seen, both, 0.0).sum(axis=0)
    count = seen.sum(axis=0)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def write_cues_csv(all_cues: list[PairCues], path: Path) -> None:
    """One row per instant and pair: ``t``, ``pair``, then every cue (empty: not observable)."""
    names = sorted({name for pc in all_cues for name in pc.cues})
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["t", "pair", *names])
        for pc in all_cues:
            for i, t in enumerate(pc.grid.t):
                row = [f"{t:.2f}", pc.pair.name]
                for name in names:
                    value = pc.cues[name][i] if name in pc.cues else math.nan
                    row.append("" if not math.isfinite(value) else f"{value:.4g}")
                writer.writerow(row)
