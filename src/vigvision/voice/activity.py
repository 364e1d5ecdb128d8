"""Voice activity: the stretches of the sound track where someone speaks.

WebRTC's voice detector decides frame by frame (30 ms); a frame counts as speech only when
it also stands clearly above the room's noise floor (its quietest moments), so that a
fridge, a fan or a TV left low do not read as voices. Short pauses inside speech are
bridged and short blips dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

import numpy as np
import webrtcvad
from numpy.typing import NDArray

from vigvision.config import VoiceSettings
from vigvision.film import AudioChunk

FRAME_S: Final = 0.03
# Steady sound is judged over windows this long (seconds), taken this often.
_STEADY_WINDOW_S: Final = 4.0
_STEADY_HOP_S: Final = 1.0
# A steady part is kept out only if it lasts this share of ``steady_min_s`` or more.
_STEADY_SHARE_OF_MIN: Final = 0.75
Intervals = list[tuple[float, float]]


@dataclass(frozen=True)
class VoiceFrames:
    """Per 30 ms frame of the sound track: its start time, loudness and WebRTC's verdict."""

    t: NDArray[np.float64]
    level_db: NDArray[np.float64]
    voiced: NDArray[np.bool_]

    @property
    def end(self) -> float:
        return float(self.t[-1] + FRAME_S) if len(self.t) else 0.0


def voice_frames(chunks: Iterable[AudioChunk], aggressiveness: int) -> VoiceFrames:
    """Run WebRTC's detector over 16 kHz audio chunks (any length; frames cross chunks)."""
    detector = webrtcvad.Vad(aggressiveness)
    times: list[float] = []
    levels: list[float] = []
    verdicts: list[bool] = []
    carry = np.zeros(0, np.float32)
    carry_t = 0.0
    rate = 16000
    for chunk in chunks:
        if chunk.sample_rate != rate:
            raise ValueError("voice activity needs 16 kHz audio")
        if len(carry) == 0:
            carry_t = chunk.t
        samples = np.concatenate([carry, chunk.samples])
        size = round(FRAME_S * rate)
        count = len(samples) // size
        frames = samples[: count * size].reshape(count, size)
        pcm = (np.clip(frames, -1, 1) * 32767).astype("<i2")
        power = np.mean(frames.astype(np.float64) ** 2, axis=1)
        levels.extend(10 * np.log10(power + 1e-10))
        for index in range(count):
            times.append(carry_t + index * FRAME_S)
            verdicts.append(detector.is_speech(pcm[index].tobytes(), rate))
        carry = samples[count * size :]
        carry_t += count * FRAME_S
    return VoiceFrames(np.array(times), np.array(levels), np.array(verdicts, dtype=bool))


def speech_intervals(frames: VoiceFrames, settings: VoiceSettings) -> Intervals:
    """Stretches of speech, in seconds: voiced, above the noise floor, smoothed."""
    if len(frames.t) == 0:
        return []
    floor = float(np.percentile(frames.level_db, settings.noise_floor_percentile))
    loud = frames.level_db >= floor + settings.energy_margin_db
    speech = frames.voiced & loud
    return smooth(frames.t, speech, settings.bridge_gap_s, settings.min_speech_s)


def steady_sound(frames: VoiceFrames, speech: Intervals, settings: VoiceSettings) -> Intervals:
    """Long stretches of "speech" that never dip between syllables: music, a TV, a machine.

    Speech rises and falls with its syllables: in any few seconds of it, a good share of the
    30 ms frames lie well below the loudness around them, even when two people talk without
    a pause. Music and steady noise barely dip. Only stretches of sound longer than
    ``steady_min_s`` are looked at, so that short loud speech is never taken for music.
    """
    span = round(_STEADY_WINDOW_S / FRAME_S)
    hop = round(_STEADY_HOP_S / FRAME_S)
    steady: Intervals = []
    for start, end in speech:
        if end - start < settings.steady_min_s:
            continue
        inside = np.flatnonzero((frames.t >= start) & (frames.t < end))
        levels = frames.level_db[inside]
        flat = np.zeros(len(levels), dtype=bool)
        for first in range(0, max(1, len(levels) - span + 1), hop):
            window = levels[first : first + span]
            dips = np.mean(window < np.median(window) - settings.steady_dip_db)
            if dips < settings.steady_dip_share:
                flat[first : first + span] = True
        steady.extend(
            (a, b)
            for a, b in smooth(frames.t[inside], flat, 0.0, 0.0)
            if b - a >= settings.steady_min_s * _STEADY_SHARE_OF_MIN
        )
    return steady


def without(speech: Intervals, removed: Intervals) -> Intervals:
    """``speech`` with the ``removed`` stretches cut out (both sorted, non-overlapping)."""
    kept: Intervals = []
    for start, end in speech:
        for cut_start, cut_end in removed:
            if cut_end <= start or cut_start >= end:
                continue
            if cut_start > start:
                kept.append((start, cut_start))
            start = max(start, cut_end)
        if end > start:
            kept.append((start, end))
    return kept


def smooth(
    t: NDArray[np.float64], speech: NDArray[np.bool_], bridge_s: float, min_s: float
) -> Intervals:
    """Runs of speech frames as intervals; gaps < ``bridge_s`` bridged, runs < ``min_s`` dropped."""
    intervals: Intervals = []
    padded = np.concatenate([[False], speech, [False]])
    starts = np.flatnonzero(~padded[:-1] & padded[1:])
    ends = np.flatnonzero(padded[:-1] & ~padded[1:])
    for first, last in zip(starts, ends, strict=True):
        start, end = float(t[first]), float(t[last - 1] + FRAME_S)
        if intervals and start - intervals[-1][1] < bridge_s:
            intervals[-1] = (intervals[-1][0], end)
        else:
            intervals.append((start, end))
    return [(a, b) for a, b in intervals if b - a >= min_s]
