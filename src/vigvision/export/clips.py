"""Pictures and clips of chosen moments, and a copy of the film a browser can play.

Clips are cut at the exact in and out times by decoding and encoding again (H.264 + AAC,
playable anywhere), with every frame at its own time from the film, so a phone film's
variable frame rate is kept. Each file is written under a temporary name and moved into
place when complete.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Final

import cv2

from vigvision.files import atomic_write
from vigvision.film import AudioReader, FilmInfo, FilmWriter, FrameReader, Image

# Codecs and containers Chromium, Firefox and Safari all play in a <video> element.
_PLAYABLE_VIDEO: Final = {"h264", "vp8", "vp9", "av1"}
_PLAYABLE_AUDIO: Final = {"aac", "mp3", "opus", "vorbis", "flac"}
_PLAYABLE_CONTAINERS: Final = {".mp4", ".m4v", ".webm"}
_AUDIO_RATE: Final = 48000
_CLIP_OPTIONS: Final = {"preset": "veryfast", "crf": "20"}


def still(film: Path, start_s: float, end_s: float, max_side: int = 0) -> Image | None:
    """A frame from the first half of a moment (the key frame there when one is: cheap)."""
    return _still_of(FrameReader(film, fps=0, max_side=max_side), (start_s, end_s))


def _still_of(reader: FrameReader, moment: tuple[float, float]) -> Image | None:
    start_s, end_s = moment
    frame = reader.starting_at((start_s + end_s) / 2).still(start_s)
    return None if frame is None else frame.image


def stills(film: Path, moments: Sequence[tuple[float, float]], max_side: int) -> list[Image | None]:
    """A still of each moment (start, end), two at a time: the film is looked into once for
    them all (opening it to learn its size and turn took half of a still's time)."""
    if not moments:
        return []
    reader = FrameReader(film, fps=0, max_side=max_side)
    with ThreadPoolExecutor(2, thread_name_prefix="vigvision-still") as pool:
        return list(pool.map(lambda moment: _still_of(reader, moment), moments))


def jpeg(image: Image, quality: int = 80) -> bytes:
    ok, data = cv2.imencode(
        ".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality]
    )
    if not ok:
        raise ValueError("the picture could not be encoded")
    return bytes(data.tobytes())


def still_data_uri(film: Path, start_s: float, end_s: float, max_side: int) -> str | None:
    """A still of a moment as a JPEG data URI, for pages that stand alone (None: unreadable)."""
    return data_uri(still(film, start_s, end_s, max_side))


def data_uri(image: Image | None) -> str | None:
    """A picture as a JPEG data URI, for pages that stand alone (None: no picture)."""
    if image is None:
        return None
    return "data:image/jpeg;base64," + base64.b64encode(jpeg(image)).decode("ascii")


def write_still(film: Path, start_s: float, end_s: float, target: Path) -> Path:
    """A PNG of the moment at the film's full size."""
    image = still(film, start_s, end_s)
    if image is None:
        raise ValueError(f"no picture between {start_s:.2f} and {end_s:.2f} s")
    return atomic_write(
        target, lambda path: cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    )


def write_clip(info: FilmInfo, start_s: float, end_s: float, target: Path) -> Path:
    """The film from ``start_s`` to ``end_s`` as an MP4 (H.264 + AAC) starting at 0."""
    return atomic_write(target, lambda path: _transcode(info, path, start_s, end_s, 0))


def needs_proxy(info: FilmInfo) -> bool:
    """Whether browsers may fail to play the film as it is (e.g. HEVC from an iPhone)."""
    return (
        info.video_codec not in _PLAYABLE_VIDEO
        or (info.has_audio and info.audio_codec not in _PLAYABLE_AUDIO)
        or info.path.suffix.lower() not in _PLAYABLE_CONTAINERS
    )


def write_proxy(
    info: FilmInfo, target: Path, max_side: int, progress: Callable[[float], None] | None = None
) -> Path:
    """A smaller H.264 copy of the whole film with the same times, for the review page."""
    return atomic_write(target, lambda path: _transcode(info, path, 0.0, None, max_side, progress))


def _transcode(
    info: FilmInfo,
    target: Path,
    start_s: float,
    end_s: float | None,
    max_side: int,
    progress: Callable[[float], None] | None = None,
) -> None:
    frames = FrameReader(info.path, fps=0, max_side=max_side, start_s=start_s, end_s=end_s)
    width, height = frames.output_size
    with FilmWriter(
        target,
        width=width,
        height=height,
        fps=info.fps or 25.0,
        audio_rate=_AUDIO_RATE if info.has_audio else None,
        options=_CLIP_OPTIONS,
        container_options={"movflags": "+faststart"},
    ) as out:
        # Sound goes in as the pictures reach it, so the two stay interleaved in the file.
        sound = iter(
            AudioReader(
                info.path, sample_rate=_AUDIO_RATE, start_s=start_s, end_s=end_s, chunk_s=2.0
            )
            if info.has_audio
            else ()
        )
        pending = next(sound, None)
        last = -1.0
        for frame in frames:
            t = frame.t - start_s
            if t <= last:
                continue
            out.add_frame(frame.image, t=max(0.0, t))
            last = t
            while pending is not None and pending.t - start_s <= t:
                out.add_audio(pending.samples, t=max(0.0, pending.t - start_s))
                pending = next(sound, None)
            if progress is not None:
                progress(frame.t)
        while pending is not None:
            out.add_audio(pending.samples, t=max(0.0, pending.t - start_s))
            pending = next(sound, None)
