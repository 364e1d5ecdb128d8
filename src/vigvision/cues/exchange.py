"""Turns passing between adult and child: initiatives, waiting, answers, exchanges.

From the turns of ``vigvision turns`` (who speaks when). Without a sound track every cue
here is NaN: nothing was heard, which is not the same as silence.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from vigvision.cues.grid import Grid, Series
from vigvision.turns import Turn


@dataclass(frozen=True)
class Initiative:
    """The child speaks first after a pause: a moment the adult can receive."""

    t: float
    answered_after_s: float
    """Silence before the adult's next turn (NaN if the adult did not answer)."""


def child_initiatives(
    turns: list[Turn], side_of: Callable[[Turn], str | None], pause_s: float
) -> list[Initiative]:
    """Child turns that start after at least ``pause_s`` of silence, with the adult's answer.

    ``side_of`` says whose a turn is: "adult", "child" or None (someone else).
    """
    found = []
    for index, turn in enumerate(turns):
        if side_of(turn) != "child":
            continue
        quiet_before = index == 0 or turn.gap_before_s >= pause_s
        if not quiet_before:
            continue
        answer = next((t for t in turns[index + 1 :] if side_of(t) == "adult"), None)
        after = answer.start - turn.end if answer is not None else math.nan
        found.append(Initiative(turn.start, max(after, 0.0) if math.isfinite(after) else math.nan))
    return found


def events_on_grid(grid: Grid, times: list[float], observable: bool) -> Series:
    """1 in the grid cell of each event, 0 elsewhere, NaN everywhere when not observable."""
    if not observable:
        return np.full(len(grid), np.nan)
    out = np.zeros(len(grid))
    for t in times:
        index = int(t // grid.step)
        if 0 <= index < len(out):
            out[index] = 1.0
    return out


def around_events(grid: Grid, times: list[float], reach_s: float, observable: bool) -> Series:
    """1 within ``reach_s`` of any event, 0 elsewhere, NaN everywhere when not observable."""
    if not observable:
        return np.full(len(grid), np.nan)
    out = np.zeros(len(grid))
    reach = round(reach_s / grid.step)
    for t in times:
        index = int(t // grid.step)
        out[max(0, index - reach) : max(0, index + reach + 1)] = 1.0
    return out


def at_events(grid: Grid, events: list[tuple[float, float]]) -> Series:
    """Each event's value in its grid cell, NaN between events."""
    out = np.full(len(grid), np.nan)
    for t, value in events:
        index = int(t // grid.step)
        if 0 <= index < len(out):
            out[index] = value
    return out


@dataclass(frozen=True)
class Pass:
    """The floor moving from one person of the pair to the other."""

    t: float
    """When the new speaker starts."""
    gap_s: float
    """Silence before it (negative: they started while the other still spoke)."""
    to: str
    """Who takes the floor: "adult" or "child" (or "first"/"second" with roles unknown)."""

    @property
    def overlapping(self) -> bool:
        return self.gap_s < 0


def floor_passes(
    turns: list[Turn], side_of: Callable[[Turn], str | None], backchannel_s: float
) -> list[Pass]:
    """Where the floor passes between the two people of a pair, from who speaks when.

    ``side_of`` says whose a turn is (None: someone else's, left out). A turn shorter than
    ``backchannel_s`` ("mm", "yes") does not take the floor; a new label on the same side
    (one person heard as two voices) is no pass either.
    """
    passes: list[Pass] = []
    holder: str | None = None
    last_end = math.nan
    for turn in sorted(turns, key=lambda t: t.start):
        side = side_of(turn)
        if side is None or turn.duration_s < backchannel_s:
            continue
        if holder is not None and side != holder:
            passes.append(Pass(turn.start, turn.start - last_end, side))
        if side != holder or not math.isfinite(last_end):
            last_end = turn.end
        else:
            last_end = max(last_end, turn.end)
        holder = side
    return passes


def responded_within(
    acts: list[float], grid: Grid, signal: Series, within_s: float, level: float
) -> Series:
    """1 at each act of the child the adult answered by ``signal`` ≥ ``level`` within ``within_s``.

    0 at acts without such an answer, NaN between acts and where the signal was not seen
    at all after the act. A smile already there when the child acts is not a reply to it.
    """
    out = np.full(len(grid), np.nan)
    for t in acts:
        window = (grid.t >= t) & (grid.t < t + within_s)
        seen = signal[window][np.isfinite(signal[window])]
        index = int(t // grid.step)
        if len(seen) and 0 <= index < len(out):
            already = index > 0 and signal[index - 1] >= level
            out[index] = float(np.any(seen >= level) and not already)
    return out
