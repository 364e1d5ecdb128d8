"""Plain, strengths-based words for what a candidate moment shows.

Only what goes well is described, from the evidence of that window: "the adult is turned
towards the child", "the turn passes between them 6 times". Nothing here grades a person,
a relationship or a moment; where the evidence says little, the words say less.

Every sentence is a ``Claim``: a cue of ``cues.csv``, what is measured of it inside the
moment and the bound it reaches, so that anyone can check it against the table
(``vigvision.claims``). A sentence is said only of what was observed for most of the moment.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from vigvision.cues.table import PairCues
from vigvision.model import Principle, strengths
from vigvision.windows import feature_matrix, movement_synchrony

# A level at or above this (0-1) is strong enough to be put into words.
_SAYS: Final = 0.4
# A level is put into words only if it was observed for this share of the moment or more.
OBSERVED: Final = 0.6
# Hands are on the same thing from this mean level of hands_in_shared_space on.
_HANDS_TOGETHER: Final = 0.6
# "throughout" from this mean level on.
_THROUGHOUT: Final = 0.75
# A principle whose features reach this on average (0-1) is evidenced by the window.
_EVIDENCED: Final = 0.35


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


@dataclass(frozen=True)
class Claim:
    """One sentence about a moment and the measurement of ``cues.csv`` that makes it true.

    ``measure`` of the cue's values inside the moment (``t`` from start, before end):
    "mean" of what was observed, "count" (sum of 0/1 events), "median" of the events'
    values, or "synchrony" (of ``motion_first`` and ``motion_second``: ``cue`` is
    ``movement_synchrony``, not a column). It lies in [``at_least``, ``at_most``], and
    ``seen_cue`` was observed in ``seen_share`` of the moment or more.
    """

    text: str
    cue: str
    measure: str
    at_least: float
    at_most: float | None
    """None: no upper bound."""
    seen_share: float
    seen_cue: str
    """The cue whose observed share is ``seen_share`` (events are observed where sound is)."""


def describe(
    cues: PairCues, start: float, end: float, ignored: frozenset[str] = frozenset()
) -> list[Claim]:
    """What the two people do in [start, end), each sentence with the measure that makes it true."""
    roles_known = cues.pair.roles_known
    a, c = ("the adult", "the child") if roles_known else ("one", "the other")
    both = "adult and child" if roles_known else "the two people"
    inside = (cues.grid.t >= start - 1e-6) & (cues.grid.t < end - 1e-6)
    said: list[Claim] = []

    def values(name: str) -> NDArray[np.float64]:
        if name in ignored or name not in cues.cues:
            return np.zeros(0)
        return np.asarray(cues.cues[name][inside], dtype=np.float64)

    def seen(name: str) -> float:
        part = values(name)
        return float(np.isfinite(part).mean()) if len(part) and inside.any() else 0.0

    def level(name: str, at_least: float, text: str, seen_share: float = OBSERVED) -> None:
        part = values(name)
        share = seen(name)
        if share < seen_share or share == 0:
            return
        mean = float(np.nanmean(part))
        if mean >= at_least:
            if text.endswith("{how}"):
                how = "throughout" if mean >= _THROUGHOUT else "for much of it"
                text = text.replace("{how}", how)
                at_least = _THROUGHOUT if how == "throughout" else at_least
                at_most: float | None = 1.0 if how == "throughout" else _THROUGHOUT
            else:
                at_most = None
            said.append(Claim(text, name, "mean", at_least, at_most, share, name))

    level("adult_turned_to_child", _SAYS, f"{a} is turned towards {c} {{how}}")
    level("facing_each_other", _SAYS, f"{both} face each other {{how}}")
    level("adult_looks_at_child", _SAYS, f"{a} looks at {c}")
    level("adult_at_child_level", 0.7, f"{a} is at {c}'s level")
    # Only while the child speaks or moves is the adult's stillness room given: a second of it.
    still = "adult_still_while_child_acts"
    if roles_known and np.isfinite(values(still)).sum() * cues.grid.step >= 1.0:
        level(still, 0.7, f"{a} stays still while {c} speaks or moves", seen_share=0.0)
    level("closeness", 0.6, "they are close to each other")
    level("looking_at_same_place", _SAYS, f"{both} look at the same place {{how}}")

    def count(name: str, text: str, seen_cue: str, at_least: int = 1) -> None:
        """Say how often an event happened (``text`` with "{n}"), if often enough and
        ``seen_cue`` was observed for most of the moment."""
        times = int(np.nansum(values(name)))
        observed = seen(seen_cue)
        if times >= at_least and observed >= OBSERVED:
            how_often = "" if times == 1 else f" {times} times"
            said.append(
                Claim(
                    text.replace(" {n}", how_often), name, "count", times, times, observed, seen_cue
                )
            )

    if roles_known:
        count(
            "adult_follows_child_look",
            f"{a} follows where {c} looks {{n}}",
            "looking_at_same_place",
        )
        count("adult_receives", f"{a} smiles or nods in reply to {c} {{n}}", "adult_smile")
    lively = values("voice_warmth")
    lively = lively[np.isfinite(lively)]
    heard_adult = seen("adult_speaks")
    if roles_known and len(lively) >= 2 and heard_adult >= OBSERVED and np.median(lively) >= 0.5:
        said.append(
            Claim(
                f"{a} speaks in a lively, sing-song voice",
                "voice_warmth",
                "median",
                0.5,
                None,
                heard_adult,
                "adult_speaks",
            )
        )
    # Said only where their hands are mostly within about a face size of each other.
    level("hands_in_shared_space", _HANDS_TOGETHER, "their hands are on the same thing {how}")
    count("hand_turn", "they take turns with their hands {n}", "turns_in_activity", at_least=2)
    count("turn_exchange", "the turn passes between them {n}", "turn_exchange", at_least=2)
    heard = seen("turn_exchange")
    if heard >= OBSERVED:
        answers = values("adult_answers_after_s")
        answers = answers[np.isfinite(answers)]
        if roles_known and len(answers):
            wait = float(np.median(answers))
            text, low, high = (
                (f"{a} waits about {wait:.0f} s before answering {c}", 0.8, None)
                if wait >= 0.8
                else (f"{a} answers {c} promptly", 0.0, 0.8)
            )
            said.append(
                Claim(text, "adult_answers_after_s", "median", low, high, heard, "turn_exchange")
            )
        initiatives = int(np.nansum(values("child_initiative")))
        if roles_known and initiatives:
            times = "once" if initiatives == 1 else f"{initiatives} times"
            said.append(
                Claim(
                    f"{c} starts to speak {times}",
                    "child_initiative",
                    "count",
                    initiatives,
                    initiatives,
                    heard,
                    "turn_exchange",
                )
            )
    if "movement_synchrony" not in ignored and inside.sum() >= 4:
        first, second = cues.cues["motion_first"][inside], cues.cues["motion_second"][inside]
        together = movement_synchrony(first, second, cues.grid.step)
        both_seen = float((np.isfinite(first) & np.isfinite(second)).mean())
        if math.isfinite(together) and together >= 0.5 and both_seen >= OBSERVED:
            said.append(
                Claim(
                    "their movements go together",
                    "movement_synchrony",
                    "synchrony",
                    0.5,
                    None,
                    both_seen,
                    "motion_first",
                )
            )
    if roles_known:
        before = len(said)
        level("shared_smile", 0.3, "they smile together")
        if len(said) == before:
            level("adult_smile", _SAYS, f"{a} smiles")
    return said


def sentence(claims: list[Claim], heard_not_seen: bool, roles_known: bool) -> str:
    """The claims as one plain sentence (or what little can be said)."""
    both = "adult and child" if roles_known else "the two people"
    parts = [claim.text for claim in claims]
    if heard_not_seen:
        # Such a moment is kept only if each of the two speaks in it (suggest.both_present).
        parts.append(f"{both} both speak here, but are seen together for only part of it")
    if not parts:
        parts.append(f"{both} are both in view")
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."
