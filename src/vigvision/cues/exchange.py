"""Turns passing between adult and child: initiatives, waiting, answers, exchanges.

From the turns of ``vigvision turns`` (who speaks when). Without a sound track every cue
here is NaN: nothing was heard, which is not the same as silence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from vigvision.cues.grid import Grid, Series
from vigvision.turns import Speech, Turn


@dataclass(frozen=True)
class Initiative:
    """The child speaks first after a pause: a moment the adult can receive."""

    t: float
    answered_after_s: float
    """Silence before the adult's next turn (NaN if the adult did not answer)."""


def child_initiatives(
    turns: list[Turn], child_speaker: str, adult_speaker: str, pause_s: float
) -> list[Initiative]:
    """Child turns that start after at least ``pause_s`` of silence, with the adult's answer."""
    found = []
    for index, turn in enumerate(turns):
        if turn.speaker != child_speaker:
            continue
        quiet_before = index == 0 or turn.gap_before_s >= pause_s
        if not quiet_before:
            continue
        answer = next((t for t in turns[index + 1 :] if t.speaker == adult_speaker), None)
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


def exchanges(speech: Speech, speakers: tuple[str, ...]) -> list[tuple[float, float]]:
    """(time, silence before) where the turn passes from one of the speakers to another."""
    pair = set(speakers)
    return [
        (t.start, max(t.gap_before_s, 0.0))
        for t in speech.turns
        if t.speaker in pair and t.previous_speaker in pair and t.previous_speaker != t.speaker
    ]


def responded_within(
    initiatives: list[Initiative], grid: Grid, signal: Series, within_s: float, level: float
) -> Series:
    """1 at each child initiative the adult answered by ``signal`` ≥ ``level`` within ``within_s``.

    0 at initiatives without such an answer, NaN between initiatives and where the signal
    was not seen at all in the window.
    """
    out = np.full(len(grid), np.nan)
    for initiative in initiatives:
        window = (grid.t >= initiative.t) & (grid.t < initiative.t + within_s)
        seen = signal[window][np.isfinite(signal[window])]
        index = int(initiative.t // grid.step)
        if len(seen) and 0 <= index < len(out):
            out[index] = float(np.any(seen >= level))
    return out
