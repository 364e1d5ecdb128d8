"""Which adult-child pairs a film's cues are computed for.

VIG films are often one adult with one child, and groups are real too (a nurture group, a
class): every adult is paired with every child. Where roles are unknown, every two people
seen together for a while form a pair whose adult is not known, and only cues that need no
roles (facing each other, closeness, turns passing) are computed for it. Each window then
takes the pair it evidences best. People whose roles are unknown are paired too when some
roles are known: the two people of the film's interaction may be filmed too small for their
roles to be told while a passing crowd's are.
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
    """Adult-child pairs, and people whose roles are unknown with whoever they are seen
    with; with observations, the pairs seen together the longest (see above)."""
    if not people:
        return []
    most = max(p.frames for p in people)
    present = [p for p in people if p.frames >= 0.1 * most]
    role = {p.person: p.role for p in present}
    if observations is None:
        adults = [p for p, r in role.items() if r == "adult"]
        children = [p for p, r in role.items() if r == "child"]
        if adults and children:
            return [Pair(a, c, True) for a in adults for c in children]
        ranked = sorted(present, key=lambda p: -p.frames)
        if len(ranked) < 2:
            return []
        first, second = sorted(p.person for p in ranked[:2])
        return [Pair(first, second, False)]
    together = _frames_together(observations)
    step = _frame_step(observations)
    filmed = float(observations["t"].max() - observations["t"].min()) + step
    enough = min(MIN_SECONDS_TOGETHER, MIN_SHARE_TOGETHER * filmed) / step
    # Every adult with every child (a class shows each child with the teacher for a while,
    # a panning camera one after the other); others only when seen together for long, and
    # two adults or two children (children side by side in a class) only where no adult
    # and child are seen.
    known = [
        (together.get((min(a, c), max(a, c)), 0), Pair(a, c, True))
        for a, adult in role.items()
        for c, child in role.items()
        if adult == "adult" and child == "child"
    ]
    others = [
        (count, Pair(a, b, False))
        for (a, b), count in together.items()
        if count >= enough
        and a in role
        and b in role
        and ("unknown" in (role[a], role[b]) or (not known and role[a] == role[b]))
    ]
    kept = sorted(known + others, key=lambda item: (-item[0], item[1].adult, item[1].child))
    return sorted((pair for _, pair in kept[:MAX_PAIRS]), key=lambda p: (p.adult, p.child))


# Two people count as a pair when seen together for at least the shortest moment (s), or
# in a clip shorter than a few moments, for a tenth of it...
MIN_SECONDS_TOGETHER = 4.0
MIN_SHARE_TOGETHER = 0.1
# ... and at most this many pairs are followed (the ones seen together the longest).
MAX_PAIRS = 6


def possible_pairs(people: list[PersonSummary]) -> int:
    """How many pairs the people seen could form (as ``pairs_of`` forms them): every two,
    but two adults or two children only where no adult and child are seen."""
    adults = sum(p.role == "adult" for p in people)
    children = sum(p.role == "child" for p in people)
    unknown = len(people) - adults - children
    if adults and children:
        return adults * children + unknown * (adults + children) + unknown * (unknown - 1) // 2
    return len(people) * (len(people) - 1) // 2


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
