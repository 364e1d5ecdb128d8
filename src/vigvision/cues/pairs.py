"""Which adult-child pairs a film's cues are computed for.

VIG films are often one adult with one child, and groups are real too (a nurture group, a
class): every adult is paired with every child. Where roles are unknown, the two people
seen most form a pair whose adult is not known, and only cues that need no roles (facing
each other, closeness, turns passing) are computed for it.
"""

from __future__ import annotations

from dataclasses import dataclass

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


def pairs_of(people: list[PersonSummary]) -> list[Pair]:
    """Adult-child pairs; or the two people seen most when roles are unknown."""
    if not people:
        return []
    most = max(p.frames for p in people)
    present = [p for p in people if p.frames >= 0.1 * most]
    adults = [p.person for p in present if p.role == "adult"]
    children = [p.person for p in present if p.role == "child"]
    if adults and children:
        return [Pair(a, c, True) for a in adults for c in children]
    ranked = sorted(present, key=lambda p: -p.frames)
    if len(ranked) < 2:
        return []
    first, second = sorted(p.person for p in ranked[:2])
    return [Pair(first, second, False)]
