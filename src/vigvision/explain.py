"""Plain, strengths-based words for what a candidate moment shows.

Only what goes well is described, from the evidence of that window: "the adult is turned
towards the child", "the turn passes between them 6 times". Nothing here grades a person,
a relationship or a moment; where the evidence says little, the words say less.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
from numpy.typing import NDArray

from vigvision.model import Principle, strengths
from vigvision.turns import Turn
from vigvision.windows import feature_matrix

# A feature at or above this (0-1) is strong enough to be put into words.
_SAYS: Final = 0.4
# A principle whose features reach this on average (0-1) is evidenced by the window.
_EVIDENCED: Final = 0.35


def _level(value: float) -> str:
    return "throughout" if value >= 0.75 else "for much of it"


def principles_evidenced(features: dict[str, float], principles: list[Principle]) -> list[str]:
    """The principles the window evidences, strongest first."""
    row = feature_matrix([features])
    found = [(float(strengths(row, p, over_seen=True)[0]), p.name) for p in principles]
    return [name for _, name in sorted((f for f in found if f[0] >= _EVIDENCED), reverse=True)]


def main_principles(matrix: NDArray[np.float32], principles: list[Principle]) -> list[str]:
    """Per window (row of features): the principle it evidences most ("none" if none)."""
    if not principles:
        return ["none"] * len(matrix)
    table = np.column_stack([strengths(matrix, p, over_seen=True) for p in principles])
    table = np.where(np.isfinite(table), table, -1.0)
    best = np.argmax(table, axis=1)
    reached = table[np.arange(len(table)), best] >= _EVIDENCED
    return [principles[i].name if ok else "none" for i, ok in zip(best, reached, strict=True)]


def describe(
    features: dict[str, float], turns: list[Turn], adult: str, child: str, roles_known: bool
) -> str:
    """Sentences for one window: what the adult and child do, from the evidence seen."""
    a, c = ("the adult", "the child") if roles_known else ("one", "the other")
    both = "adult and child" if roles_known else "the two people"
    said: list[str] = []

    def get(name: str) -> float:
        value = features.get(name, math.nan)
        return value if math.isfinite(value) else 0.0

    if get("adult_turned_to_child") >= _SAYS:
        said.append(
            f"{a.capitalize()} is turned towards {c} {_level(get('adult_turned_to_child'))}"
        )
    if get("facing_each_other") >= _SAYS:
        said.append(f"{both.capitalize()} face each other {_level(get('facing_each_other'))}")
    if get("adult_looks_at_child") >= _SAYS:
        said.append(f"{a.capitalize()} looks at {c}")
    if get("adult_at_child_level") >= 0.7:
        said.append(f"{a.capitalize()} is at {c}'s level")
    if get("adult_still_while_child_acts") >= 0.7 and roles_known:
        said.append(f"{a} stays still while {c} speaks or moves")
    if get("closeness") >= 0.6:
        said.append("they are close to each other")
    passes = [t for t in turns if t.previous_speaker and t.previous_speaker != t.speaker]
    by_child = sum(1 for t in turns if t.speaker == child)
    by_adult = sum(1 for t in turns if t.speaker == adult)
    if len(passes) >= 2:
        face_to_face = " face to face" if get("taking_turns_face_to_face") >= _SAYS else ""
        said.append(f"the turn passes between them {len(passes)} times{face_to_face}")
        if by_adult and by_child and roles_known:
            said[-1] += f" ({a} {by_adult}, {c} {by_child} turns)"
    answers = [t.gap_before_s for t in passes if t.speaker == adult and t.previous_speaker == child]
    if answers and roles_known:
        wait = sorted(answers)[len(answers) // 2]
        if wait >= 0.8:
            said.append(f"{a} waits about {wait:.0f} s before answering {c}")
        else:
            said.append(f"{a} answers {c} promptly")
    if get("child_initiatives") > 0 and roles_known:
        said.append(
            f"{c} starts to speak and {a} takes it up" if answers else f"{c} starts to speak"
        )
    if get("movement_synchrony") >= 0.5:
        said.append("their movements go together")
    if get("shared_smile") >= 0.3:
        said.append("they smile together")
    elif get("adult_smile") >= _SAYS and roles_known:
        said.append(f"{a} smiles")
    if not said:
        said.append(f"{both.capitalize()} are both in view")
    sentence = "; ".join(said)
    return sentence[0].upper() + sentence[1:] + "."
