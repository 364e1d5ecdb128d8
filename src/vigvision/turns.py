"""Who speaks when, and how turns pass between adult and child.

sound ──voice activity──▶ speech ──voices──▶ segments per speaker ──▶ turns

Time is held as pyannote.core values (``vigvision.spans``): a ``Timeline`` for where there
is speech, an ``Annotation`` for who speaks when. ``Said`` is a stretch of speech by one
speaker (two may overlap: people speak at once); a *turn* is a speaker's speech until
someone else takes the floor (pauses shorter than ``turn_gap_s`` stay inside the turn).
For each turn: the silence before it (the response latency when the speaker changes) and
who spoke before. A film without sound has no observable speech: that is "not observed",
never "silence".

This module holds the values and the turn rules; listening (the stage) is in
``vigvision.voice.listen`` and the files (RTTM, turns.csv) in ``vigvision.voice.formats``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from pyannote.core import Annotation, Segment, Timeline

from vigvision.spans import Spanned
from vigvision.voice.features import VoiceFeatures
from vigvision.voice.speakers import VoiceLabels


@dataclass(frozen=True)
class Said(Spanned):
    """A stretch of speech by one speaker (two may overlap: people speak at once)."""

    span: Segment
    speaker: str
    person: int | None
    role: str
    pitch_hz: float = math.nan
    """Median pitch of its voiced part (NaN: too little of it voiced)."""
    pitch_range_st: float = math.nan
    """How far its pitch moves: semitones between its 10th and 90th percentile."""


@dataclass(frozen=True)
class Turn(Spanned):
    """One speaker's speech until someone else takes the floor."""

    span: Segment
    speaker: str
    person: int | None
    role: str
    gap_before_s: float
    """Silence since the previous turn ended (NaN for the first turn)."""
    previous_speaker: str
    """Who spoke the turn before ("" for the first): a change of speaker is an exchange."""
    long_monologue: bool

    @property
    def duration_s(self) -> float:
        return float(self.span.duration)


@dataclass(frozen=True)
class Speaker:
    """One voice of the film and what is known of it."""

    speaker: str
    person: int | None
    role: str
    role_reason: str
    median_pitch_hz: float
    speech_s: float


@dataclass(frozen=True)
class Speech:
    """Everything said of the sound track. ``observable`` is False without a sound track."""

    observable: bool
    duration_s: float
    speech: Timeline = field(default_factory=Timeline)
    segments: list[Said] = field(default_factory=list)
    turns: list[Turn] = field(default_factory=list)
    speakers: list[Speaker] = field(default_factory=list)
    unclear: Timeline = field(default_factory=Timeline)
    """Steady sound (music, a TV, a machine) where voices cannot be told: not observable."""

    def who_speaks_when(self, uri: str | None = None) -> Annotation:
        """The speakers' segments as a pyannote ``Annotation`` (e.g. to score with
        pyannote.metrics, or to write as RTTM)."""
        annotation = Annotation(uri=uri)
        for track, said in enumerate(self.segments):
            annotation[said.span, track] = said.speaker
        return annotation


@dataclass(frozen=True)
class Voices:
    """What the sound alone tells: where speech is and which voice says each 10 ms of it.

    Computed without the picture, so it can run while the film is being watched; faces
    then name the voices (``name_voices``).
    """

    duration_s: float
    speech: Timeline
    unclear: Timeline
    features: VoiceFeatures
    labels: VoiceLabels
    """Who speaks in each 10 ms frame of ``features``."""


def make_turns(segments: list[Said], turn_gap_s: float, monologue_s: float) -> list[Turn]:
    """Segments merged into turns: one speaker's speech until someone else takes the floor.

    Two people may speak at once: a turn that starts while another goes on overlaps it (its
    ``gap_before_s`` is negative). The floor is the turn that goes on longest so far: a
    speaker who still holds it after someone spoke over them goes on with the same turn.
    """
    turns: list[Turn] = []
    for segment in sorted(segments, key=lambda s: s.start):
        holder = max(range(len(turns)), key=lambda i: turns[i].end, default=None)
        floor = turns[holder] if holder is not None else None
        if (
            holder is not None
            and turns[holder].speaker == segment.speaker
            and segment.start - turns[holder].end < turn_gap_s
        ):
            floor = turns[holder]
            span = floor.span | segment.span
            turns[holder] = replace(
                floor, span=span, long_monologue=bool(span.duration >= monologue_s)
            )
            continue
        turns.append(
            Turn(
                span=segment.span,
                speaker=segment.speaker,
                person=segment.person,
                role=segment.role,
                gap_before_s=segment.start - floor.end if floor else math.nan,
                previous_speaker=floor.speaker if floor else "",
                long_monologue=bool(segment.span.duration >= monologue_s),
            )
        )
    return turns


def turn_taking(speech: Speech) -> dict[str, Any]:
    """How turns pass in the film, as plain numbers (None where nothing was heard).

    ``adult_waits_s``: the silences before the adult answers the child, the time the adult
    leaves the child after the child has spoken.
    """
    if not speech.observable:
        return {"observable": False}
    roles = {t.speaker: t.role for t in speech.turns}
    exchanges = [t for t in speech.turns if t.previous_speaker and t.previous_speaker != t.speaker]
    latency: dict[str, list[float]] = {}
    for turn in exchanges:
        key = f"{roles.get(turn.previous_speaker, 'unknown')}_to_{turn.role}"
        latency.setdefault(key, []).append(max(turn.gap_before_s, 0.0))
    waits = latency.get("child_to_adult", [])
    minutes = speech.duration_s / 60 if speech.duration_s > 0 else math.nan
    return {
        "observable": True,
        "turns": len(speech.turns),
        "exchanges": len(exchanges),
        "exchanges_per_minute": round(len(exchanges) / minutes, 2) if minutes == minutes else None,
        "median_response_s": {k: round(float(np.median(v)), 3) for k, v in sorted(latency.items())},
        "long_monologues": int(sum(t.long_monologue for t in speech.turns)),
        "adult_waits_s": {
            "count": len(waits),
            "median": round(float(np.median(waits)), 3) if waits else None,
            "total": round(float(np.sum(waits)), 3),
        },
    }
