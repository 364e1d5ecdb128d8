"""Which adult-child pairs a film's cues are computed for.

VIG films are often one adult with one child, and groups are real too (a nurture group, a
class): every adult is paired with every child. Where roles are unknown, every two people
seen together for a while form a pair whose adult is not known, and only cues that need no
roles (facing each other, closeness, turns passing) are computed for it. Each window then
takes the pair it evidences best.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vigvision.observations import Observations
from vigvision.roles import PersonSummary


@dataclass(frozen=True)
class Pair:
    adult: int
    child: int
    roles_known: bool
    """False for two people whose roles are unknown: ``adult``/``child`` are just an order."""

    @property
    def name(self) -> str:
        if self.roles_known:
            return f"adult {self.adult} with child {self.child}"
        return f"person {self.adult} with person {self.child}"


def pairs_of(people: list[PersonSummary], observations: Observations | None = None) -> list[Pair]:
    """Adult-child pairs; or, with roles unknown, the people seen together the longest."""
    if not people:
        return []
    most = max(p.frames for p in people)
    present = [p for p in people if p.frames >= 0.1 * most]
    adults = [p.person for p in present if p.role == "adult"]
    children = [p.person for p in present if p.role == "child"]
    if adults and children:
        known = [Pair(a, c, True) for a in adults for c in children]
        if observations is None or len(known) <= MAX_PAIRS:
            return known
        # A class: the adult-child pairs seen together longest (a crowd must not stall).
        seen_with = _frames_together(observations)

        def frames(pair: Pair) -> int:
            return seen_with.get((min(pair.adult, pair.child), max(pair.adult, pair.child)), 0)

        longest = sorted(known, key=lambda pair: -frames(pair))
        return sorted(longest[:MAX_PAIRS], key=lambda pair: (pair.adult, pair.child))
    if observations is None:
        ranked = sorted(present, key=lambda p: -p.frames)
        if len(ranked) < 2:
            return []
        first, second = sorted(p.person for p in ranked[:2])
        return [Pair(first, second, False)]
    together = _frames_together(observations)
    step = _frame_step(observations)
    filmed = float(observations["t"].max() - observations["t"].min()) + step
    enough = min(MIN_SECONDS_TOGETHER, MIN_SHARE_TOGETHER * filmed) / step
    pairs = [(count, a, b) for (a, b), count in together.items() if count >= enough]
    pairs.sort(reverse=True)
    return [Pair(a, b, False) for _, a, b in pairs[:MAX_PAIRS]]


# Two people count as a pair when seen together for at least the shortest moment (s), or
# in a clip shorter than a few moments, for a tenth of it...
MIN_SECONDS_TOGETHER = 4.0
MIN_SHARE_TOGETHER = 0.1
# ... and at most this many pairs are followed (the ones seen together the longest).
MAX_PAIRS = 6


def possible_pairs(people: list[PersonSummary]) -> int:
    """How many pairs the people seen could form (adult with child where roles are known)."""
    adults = sum(p.role == "adult" for p in people)
    children = sum(p.role == "child" for p in people)
    return adults * children if adults and children else len(people) * (len(people) - 1) // 2


def _frame_step(observations: Observations) -> float:
    """Seconds between analysed frames (the most common step between frames with people)."""
    steps = np.diff(np.unique(observations["t"]))
    return float(np.median(steps)) if len(steps) else 1.0


def _frames_together(observations: Observations) -> dict[tuple[int, int], int]:
    """For every two people, the number of analysed frames that show both."""
    by_frame: dict[int, list[int]] = {}
    for frame, person in zip(observations["frame"], observations["person"], strict=True):
        by_frame.setdefault(int(frame), []).append(int(person))
    together: dict[tuple[int, int], int] = {}
    for people in by_frame.values():
        people.sort()
        for i, a in enumerate(people):
            for b in people[i + 1 :]:
                together[(a, b)] = together.get((a, b), 0) + 1
    return together
