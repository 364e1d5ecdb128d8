"""A demonstration film that vigvision makes itself, on any machine, with nothing downloaded.

The picture: a public-domain photograph shipped inside scikit-image (NASA's portrait of the
astronaut Eileen Collins) as an adult, and the same face smaller and lower as a child, in
a simple room; their mouths open as they speak. The sound: two synthetic voices, a low
adult one and a high child one. The script has stretches of lively turn-taking, one where
the child starts and the adult waits before answering, one long monologue with the child
out of view, and quiet. It only demonstrates the pipeline: it is not a VIG film.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

import cv2
import numpy as np
from numpy.typing import NDArray

from vigvision.film import FilmWriter

RATE: Final = 16000
FPS: Final = 25
SIZE: Final = (1280, 720)
# Vowel formants (Hz): /a/, /i/, /u/, /e/; a child's are higher (a shorter vocal tract).
_VOWELS: Final = ((800, 1200), (300, 2300), (350, 800), (500, 1900))


@dataclass(frozen=True)
class Line:
    """Someone speaking from ``start`` for ``duration`` seconds."""

    who: str
    start: float
    duration: float


# (who is in view, lines spoken): a scripted minute.
SCRIPT: Final = (
    # 0-18 s: adult and child take short turns, answering each other quickly.
    Line("adult", 1.0, 1.6),
    Line("child", 3.0, 1.2),
    Line("adult", 4.6, 1.4),
    Line("child", 6.4, 1.5),
    Line("adult", 8.3, 1.2),
    Line("child", 9.9, 1.3),
    Line("adult", 11.6, 1.6),
    Line("child", 13.6, 1.2),
    Line("adult", 15.2, 1.5),
    # 18-34 s: the adult talks on alone; the child has left the picture.
    Line("adult", 19.0, 13.5),
    # 34-40 s: quiet, the child is back.
    # 40-58 s: the child starts, the adult waits a moment, then takes it up.
    Line("child", 40.5, 1.4),
    Line("adult", 43.3, 1.5),
    Line("child", 45.5, 1.6),
    Line("adult", 48.6, 1.4),
    Line("child", 50.8, 1.3),
    Line("adult", 53.5, 1.6),
)
DURATION_S: Final = 60.0
CHILD_AWAY: Final = (18.0, 34.0)


def voice(duration: float, pitch_hz: float, formant_scale: float, seed: int) -> NDArray[np.float32]:
    """Speech-like sound: a voiced source with a pitch contour, syllables and vowels."""
    rng = np.random.default_rng(seed)
    n = round(duration * RATE)
    t = np.arange(n) / RATE
    f0 = pitch_hz * (
        1 + 0.12 * np.sin(2 * np.pi * 0.8 * t + rng.uniform(0, 6)) - 0.08 * t / max(duration, 1e-9)
    )
    phase = 2 * np.pi * np.cumsum(f0) / RATE
    syllable = (t * 4.5).astype(int)
    vowel = rng.integers(0, len(_VOWELS), syllable.max() + 1)[syllable]
    sound = np.zeros(n)
    for k in range(1, int(4500 / pitch_hz) + 1):
        freq = k * f0
        weight = 0.04 + sum(
            np.exp(
                -(((freq - np.array([v[i] for v in _VOWELS])[vowel] * formant_scale) / 180.0) ** 2)
            )
            for i in range(2)
        )
        sound += weight * np.sin(k * phase) / k**0.3
    within = (t * 4.5) % 1.0
    envelope = np.sin(np.pi * np.clip(within / 0.8, 0, 1)) ** 0.7  # a syllable every 0.22 s
    edges = np.minimum(1.0, np.minimum(t, duration - t) / 0.05)
    sound *= envelope * edges
    return np.asarray(0.25 * sound / (np.abs(sound).max() + 1e-9), dtype=np.float32)


def _people() -> tuple[NDArray[np.uint8], NDArray[np.uint8]]:
    """The adult's and the child's pictures (head and shoulders) from the photograph."""
    from skimage import data

    portrait = np.asarray(data.astronaut(), dtype=np.uint8)[10:330, 90:410]  # type: ignore[no-untyped-call]
    adult = np.asarray(
        cv2.resize(portrait, (300, 300), interpolation=cv2.INTER_AREA), dtype=np.uint8
    )
    child = np.asarray(
        cv2.resize(portrait[:, ::-1], (200, 200), interpolation=cv2.INTER_AREA), dtype=np.uint8
    )
    return adult, child


def _room() -> NDArray[np.uint8]:
    width, height = SIZE
    wall = np.linspace([235, 225, 205], [215, 200, 180], height).astype(np.uint8)
    room = np.repeat(wall[:, None, :], width, axis=1)
    room[520:] = (170, 140, 110)  # the floor
    return room


def _speaking(who: str, t: float) -> float:
    """0-1: how open the speaker's mouth is at ``t`` (follows the syllables)."""
    for line in SCRIPT:
        if line.who == who and line.start <= t < line.start + line.duration:
            return float(np.sin(np.pi * ((t - line.start) * 4.5 % 1.0)) ** 2)
    return 0.0


def _with_mouth(picture: NDArray[np.uint8], opening: float) -> NDArray[np.uint8]:
    """The face with its jaw dropped by ``opening`` (stretching the chin region down)."""
    if opening <= 0.01:
        return picture
    size = picture.shape[0]
    top, bottom = int(0.36 * size), int(0.52 * size)  # from below the nose to below the chin
    region = picture[top:bottom]
    taller = cv2.resize(region, (size, int((bottom - top) * (1 + 0.18 * opening))))
    out = picture.copy()
    out[top : min(size, top + len(taller))] = taller[: size - top]
    return out


def make_demo_film(target: Path) -> None:
    """Write the demonstration film (one minute, 1280×720, with sound)."""
    adult, child = _people()
    room = _room()
    width, height = SIZE
    with FilmWriter(target, width=width, height=height, fps=FPS, audio_rate=RATE) as film:
        for index in range(round(DURATION_S * FPS)):
            t = index / FPS
            frame = room.copy()
            sway = int(6 * np.sin(2 * np.pi * t / 5))
            frame[230 + sway : 530 + sway, 230:530] = _with_mouth(adult, _speaking("adult", t))
            if not CHILD_AWAY[0] <= t < CHILD_AWAY[1]:
                frame[330:530, 760:960] = _with_mouth(child, _speaking("child", t))
            film.add_frame(frame)
        film.add_audio(soundtrack(), t=0.0)


def soundtrack() -> NDArray[np.float32]:
    """The voices of the script over a faint room hiss, as one continuous track."""
    rng = np.random.default_rng(0)
    sound = (0.002 * rng.standard_normal(round(DURATION_S * RATE))).astype(np.float32)
    for number, line in enumerate(SCRIPT):
        pitch, formants = (150.0, 1.0) if line.who == "adult" else (330.0, 1.25)
        spoken = voice(line.duration, pitch, formants, seed=number)
        start = round(line.start * RATE)
        sound[start : start + len(spoken)] += spoken[: len(sound) - start]
    return sound
