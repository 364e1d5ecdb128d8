"""Groups: one adult with several children, and the adult's attention going round them.

In a nurture group or a class, a moment that goes well is often one in which each child in
view gets a turn: the turn passes between the adult and that child, or the adult turns to
them for a while. The pairs' cues (one ``PairCues`` per adult-child pair) say it for each
child; here they are read together over a stretch of the film.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from vigvision.cues.table import PairCues

# A child is in view over a stretch when seen with the adult for this share of it.
_IN_VIEW: Final = 0.5
# The adult turned towards a child (0-1) for this long (seconds) gives the child a turn.
TURNED: Final = 0.5
_ATTENTION_S: Final = 1.0


@dataclass(frozen=True)
class ChildTurn:
    """What one child of the group got from the adult over a stretch."""

    child: int
    turn_passes: int
    """Times the turn to speak passed between the adult and this child."""
    adult_turned_to_s: float
    """Seconds the adult was turned towards this child."""

    @property
    def reached(self) -> bool:
        return self.turn_passes >= 1 or self.adult_turned_to_s >= _ATTENTION_S


@dataclass(frozen=True)
class GroupMoment:
    """A stretch in which the adult's attention goes round the children in view."""

    start_s: float
    end_s: float
    adult: int
    children: tuple[ChildTurn, ...]
    """Each child in view, in the order of their ids."""

    @property
    def score(self) -> float:
        """More children reached, then more turns: a plain order, not a grade."""
        turns = sum(c.turn_passes for c in self.children)
        return len(self.children) + turns / (turns + 10)

    def sentence(self) -> str:
        count = len(self.children)
        by_turns = all(c.turn_passes >= 1 for c in self.children)
        what = "gets a turn" if by_turns else "gets the adult's attention or a turn"
        return f"The adult's attention goes round the group: each of the {count} children {what}."


def group_moments(
    all_cues: list[PairCues], length_s: float, step_s: float, top: int = 3
) -> list[GroupMoment]:
    """Stretches of ``length_s`` in which each of two or more children in view is reached by
    the same adult; the ``top`` with most children, not overlapping, in film order."""
    by_adult: dict[int, list[PairCues]] = {}
    for cues in all_cues:
        if cues.pair.roles_known:
            by_adult.setdefault(cues.pair.adult, []).append(cues)
    found: list[GroupMoment] = []
    for adult, pairs in by_adult.items():
        if len(pairs) < 2:
            continue
        grid = pairs[0].grid
        last = max(0.0, float(grid.t[-1]) + grid.step - length_s) if len(grid) else 0.0
        for start in np.arange(0.0, last + 1e-9, step_s):
            moment = _moment(pairs, adult, float(start), float(start) + length_s)
            if moment is not None:
                found.append(moment)
    chosen: list[GroupMoment] = []
    for moment in sorted(found, key=lambda m: (-m.score, m.start_s)):
        if len(chosen) >= top:
            break
        if all(moment.end_s <= c.start_s or moment.start_s >= c.end_s for c in chosen):
            chosen.append(moment)
    return sorted(chosen, key=lambda m: m.start_s)


def _moment(pairs: list[PairCues], adult: int, start: float, end: float) -> GroupMoment | None:
    times = pairs[0].grid.t
    inside = slice(*np.searchsorted(times, [start - 1e-6, end - 1e-6]))
    in_view = [
        cues for cues in pairs if np.isfinite(cues.cues["closeness"][inside]).mean() >= _IN_VIEW
    ]
    if len(in_view) < 2:
        return None
    with np.errstate(invalid="ignore"):
        turned = np.array(
            [
                cues.cues.get("adult_turned_to_child", np.full(len(times), np.nan))[inside]
                >= TURNED
                for cues in in_view
            ]
        )
    # Turned to one child only: two children on the same side of the adult are not told apart.
    only = turned & (turned.sum(axis=0) == 1)
    children = tuple(
        ChildTurn(
            cues.pair.child,
            int(np.nansum(cues.cues["turn_exchange"][inside])),
            round(float(only[row].sum() * cues.grid.step), 1),
        )
        for row, cues in enumerate(in_view)
    )
    if not all(child.reached for child in children):
        return None
    return GroupMoment(round(start, 2), round(end, 2), adult, children)
