"""Films composed from real clips, with a ground truth the composition defines.

Used by tests and benchmarks where no real VIG film may be used (so it lives beside the
tests, not in the package): e.g. two people side by side taking turns to talk, each talker's
own picture and sound playing while the other's face is held still.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from vigvision.film import AudioReader, FilmWriter, FrameReader

Image = NDArray[np.uint8]


@dataclass(frozen=True)
class Talk:
    """One stretch of the composed film: who talks, from where in their own clip."""

    who: int
    """0 = the clip on the left, 1 = the clip on the right."""
    clip_start_s: float
    duration_s: float


@dataclass(frozen=True)
class Clip:
    """A clip's frames (at a fixed rate, square ``side``) and its sound (16 kHz mono)."""

    frames: list[Image]
    fps: float
    sound: NDArray[np.float32]

    def frame_at(self, t: float) -> Image:
        return self.frames[min(int(t * self.fps), len(self.frames) - 1)]

    def sound_between(self, start: float, end: float) -> NDArray[np.float32]:
        return self.sound[round(start * 16000) : round(end * 16000)]


# The standard test conversation: left and right take turns of about 2.5 s, each from a
# different part of their own clip.
TAKING_TURNS: tuple[Talk, ...] = (
    Talk(0, 0.0, 2.5),
    Talk(1, 0.5, 2.5),
    Talk(0, 2.5, 2.5),
    Talk(1, 3.0, 2.5),
    Talk(0, 5.0, 2.0),
    Talk(1, 5.5, 2.5),
)


def load_clip(path: Path, side: int = 256, fps: float = 25.0) -> Clip:
    frames = [
        np.asarray(cv2.resize(f.image, (side, side), interpolation=cv2.INTER_AREA), dtype=np.uint8)
        for f in FrameReader(path, fps=fps, max_side=max(side, 2))
    ]
    return Clip(frames, fps, AudioReader(path).read().samples)


def side_by_side_conversation(
    left: Clip,
    right: Clip,
    talks: list[Talk],
    target: Path,
    hold_at_s: tuple[float, float] = (0.0, 0.0),
) -> list[tuple[float, float, int]]:
    """Write the conversation film; returns who talked when: (start, end, who)."""
    return conversation_in_a_row([left, right], talks, target, hold_at_s)


def conversation_in_a_row(
    clips: list[Clip],
    talks: list[Talk],
    target: Path,
    hold_at_s: tuple[float, ...] | None = None,
    key_frame_every: int | None = None,
) -> list[tuple[float, float, int]]:
    """Clips side by side (``Talk.who`` counts from the left), each moving and heard while
    it talks and held still otherwise; returns who talked when: (start, end, who).
    ``key_frame_every``: frames between key frames (the encoder's own choice when None)."""
    hold = hold_at_s or (0.0,) * len(clips)
    first = clips[0]
    side = first.frames[0].shape[0]
    truth = []
    options = {"g": str(key_frame_every)} if key_frame_every else None
    with FilmWriter(
        target,
        width=len(clips) * side,
        height=side,
        fps=first.fps,
        audio_rate=16000,
        options=options,
    ) as film:
        t = 0.0
        for talk in talks:
            steps = round(talk.duration_s * first.fps)
            for step in range(steps):
                local = talk.clip_start_s + step / first.fps
                tiles = [
                    clip.frame_at(local) if who == talk.who else clip.frame_at(hold[who])
                    for who, clip in enumerate(clips)
                ]
                film.add_frame(np.concatenate(tiles, axis=1))
            sound = clips[talk.who].sound_between(
                talk.clip_start_s, talk.clip_start_s + talk.duration_s
            )
            film.add_audio(sound, t=t)
            truth.append((t, t + steps / first.fps, talk.who))
            t += steps / first.fps
    return truth
