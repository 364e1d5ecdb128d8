"""Films that the tests make themselves, with known timestamps, sizes and rotations."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from vigvision.film import FilmWriter, FrameReader

TONE_HZ = 440.0


def tone(seconds: float, rate: int = 16000, hz: float = TONE_HZ) -> np.ndarray:
    n = round(seconds * rate)
    return (0.3 * np.sin(2 * np.pi * hz * np.arange(n) / rate)).astype(np.float32)


def marked_frame(index: int, width: int, height: int) -> np.ndarray:
    """A frame with a white band on its left and a grey level that counts frames."""
    image = np.full((height, width, 3), (index * 5) % 200 + 30, np.uint8)
    image[:, : max(2, width // 8)] = 255
    return image


def make_film(
    path: Path,
    *,
    seconds: float = 2.0,
    fps: float = 25.0,
    size: tuple[int, int] = (320, 240),
    codec: str = "libx264",
    audio: bool = False,
    rotation_cw: int = 0,
    times: list[float] | None = None,
    container_options: dict[str, str] | None = None,
) -> Path:
    """A film of ``seconds`` at ``fps`` (or at the given frame ``times``: variable rate)."""
    width, height = size
    stamps = times if times is not None else [i / fps for i in range(round(seconds * fps))]
    with FilmWriter(
        path,
        width=width,
        height=height,
        fps=fps,
        codec=codec,
        rotation_cw=rotation_cw,
        audio_rate=16000 if audio else None,
        container_options=container_options,
    ) as film:
        for index, t in enumerate(stamps):
            film.add_frame(marked_frame(index, width, height), t=t if times is not None else None)
        if audio:
            film.add_audio(tone(seconds))
    return path


def make_audio_file(path: Path, codec: str, seconds: float = 2.0, rate: int = 16000) -> Path:
    """A sound-only file (wav, m4a, mp3) holding a tone."""
    return write_sound(path, tone(seconds, rate), codec, rate)


def write_sound(
    path: Path, samples: np.ndarray, codec: str = "pcm_s16le", rate: int = 16000
) -> Path:
    """Mono samples (-1..1) as a sound-only file."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=rate)
        stream.layout = "mono"
        fmt = "s16" if codec.startswith("pcm") else "flt"
        data = (samples * 32767).astype(np.int16) if fmt == "s16" else samples.astype(np.float32)
        frame = av.AudioFrame.from_ndarray(data.reshape(1, -1), format=fmt, layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = rate, 0, Fraction(1, rate)
        out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def cut_in_half(source: Path, target: Path) -> Path:
    data = source.read_bytes()
    target.write_bytes(data[: len(data) // 2])
    return target


def with_unknown_codec(target: Path) -> Path:
    """An AVI whose video codec tag names no codec FFmpeg knows."""
    source = target.with_name("mpeg4_source.avi")
    make_film(source, codec="mpeg4", seconds=1.0)
    target.write_bytes(source.read_bytes().replace(b"FMP4", b"ZQZQ"))
    return target


def each_half_mirrored(image: np.ndarray) -> np.ndarray:
    """A picture with each half mirrored in place: two people side by side now face away."""
    half = image.shape[1] // 2
    out = image.copy()
    out[:, :half] = image[:, :half][:, ::-1]
    out[:, half:] = image[:, half:][:, ::-1]
    return out


def mirrored_halves(source: Path, target: Path) -> Path:
    """The same film with each half mirrored in place: both people now face away."""
    frames = list(FrameReader(source, fps=0, max_side=1280))
    height, width = frames[0].image.shape[:2]
    with FilmWriter(target, width=width, height=height, fps=25) as film:
        for frame in frames:
            film.add_frame(each_half_mirrored(frame.image))
    return target


def one_shot_then_another(first: Path, second: Path, target: Path, seconds: float = 2.0) -> Path:
    """``seconds`` of each film in turn at 1280x720 (a cut between them), looped as needed."""
    width, height = 1280, 720
    with FilmWriter(target, width=width, height=height, fps=25) as film:
        for source in (first, second):
            frames = [frame.image for frame in FrameReader(source, fps=0, max_side=width)]
            for index in range(round(seconds * 25)):
                image = frames[index % len(frames)]
                film.add_frame(cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA))
    return target
