"""What a film file holds: probing it (streams, duration, frame rate, rotation, whether
it was cut short) and its hash, with errors a person can act on."""

from __future__ import annotations

import hashlib
import logging
import struct
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Final

import av
import av.container
import numpy as np
from av.audio.stream import AudioStream
from av.video.stream import VideoStream
from numpy.typing import NDArray

from vigvision.errors import FilmError

log = logging.getLogger(__name__)

# Containers whose index sits in a 'moov' box: a copy cut short loses it and cannot be opened.
_QUICKTIME_SUFFIXES: Final = {".mp4", ".mov", ".m4v", ".m4a", ".3gp"}
_QUICKTIME_FIRST_BOXES: Final = {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot"}
_HASH_BLOCK: Final = 1 << 20
# Frame durations that differ by more than this fraction mark a variable frame rate.
_VFR_SPREAD: Final = 0.05


@dataclass(frozen=True)
class FilmInfo:
    """What a film file holds, as a person watching it would see it."""

    path: Path
    size_bytes: int
    sha256: str
    container: str
    duration_s: float
    has_video: bool
    fps: float | None
    variable_frame_rate: bool
    frame_count: int | None
    width: int | None
    """Width as displayed: after the pixel aspect ratio and the rotation are applied."""
    height: int | None
    rotation: int
    """Degrees (0, 90, 180, 270) by which the stored picture is turned clockwise for display."""
    video_codec: str | None
    has_audio: bool
    audio_codec: str | None
    audio_sample_rate: int | None
    audio_channels: int | None
    cut_short_at_s: float | None = None
    """Where the file's data ends early (a copy cut short), or None when it is whole."""

    def to_json(self) -> dict[str, Any]:
        """The public ``vigvision probe --json`` object (schema ``vigvision.probe/1``)."""
        return {
            "schema": "vigvision.probe/1",
            "path": str(self.path),
            "size_bytes": self.size_bytes,
            "sha256": self.sha256,
            "container": self.container,
            "duration_s": round(self.duration_s, 6),
            "has_video": self.has_video,
            "fps": None if self.fps is None else round(self.fps, 6),
            "variable_frame_rate": self.variable_frame_rate,
            "frame_count": self.frame_count,
            "width": self.width,
            "height": self.height,
            "rotation": self.rotation,
            "video_codec": self.video_codec,
            "has_audio": self.has_audio,
            "audio_codec": self.audio_codec,
            "audio_sample_rate": self.audio_sample_rate,
            "audio_channels": self.audio_channels,
            "cut_short_at_s": self.cut_short_at_s,
        }

    @classmethod
    def from_json(cls, saved: dict[str, Any]) -> FilmInfo:
        """The film as ``to_json`` wrote it (read back from a results folder, film or not)."""
        known = {f.name for f in fields(cls)}
        kept = {k: v for k, v in saved.items() if k in known}
        return cls(**{**kept, "path": Path(saved["path"])})


def check_readable_file(path: Path) -> None:
    """Raise a ``FilmError`` unless ``path`` is a non-empty file."""
    if not path.exists():
        raise FilmError(f"no file at {path}", "check the path and the spelling of the name")
    if path.is_dir():
        raise FilmError(f"{path} is a folder, not a film", "give the path of a film inside it")
    if path.stat().st_size == 0:
        raise FilmError(
            f"{path} is empty (0 bytes)", "copy the film again from the camera or phone"
        )


def open_media(path: Path) -> av.container.InputContainer:
    check_readable_file(path)
    try:
        # genpts: some AVI files carry no presentation timestamps; FFmpeg can rebuild them.
        return av.open(str(path), options={"fflags": "+genpts"})
    except av.FFmpegError as error:
        if path.suffix.lower() in _QUICKTIME_SUFFIXES and _quicktime_is_cut_short(path):
            raise FilmError(
                f"{path} is incomplete: its end is missing, as when a copy or a recording is"
                " interrupted",
                "copy the film again from the camera or phone",
            ) from error
        raise FilmError(
            f"{path} is not a film or audio file that can be read, or it is damaged",
            "check that this is the film (mp4, mov, m4v, avi, mkv, webm, wav, m4a, mp3)",
        ) from error
    except (OSError, ValueError) as error:
        raise FilmError(
            f"cannot open {path}: {error}", "check that the file can be read"
        ) from error


def _quicktime_is_cut_short(path: Path) -> bool:
    """Whether an MP4/MOV's top-level boxes run past the end of the file or lack the index."""
    size = path.stat().st_size
    seen: set[bytes] = set()
    with path.open("rb") as f:
        offset = 0
        while offset + 8 <= size:
            f.seek(offset)
            header = f.read(16)
            box_size, box_type = struct.unpack(">I4s", header[:8])
            if box_size == 1 and len(header) == 16:
                box_size = struct.unpack(">Q", header[8:16])[0]
            elif box_size == 0:
                box_size = size - offset
            if box_size < 8 or (offset == 0 and box_type not in _QUICKTIME_FIRST_BOXES):
                return False  # not a QuickTime layout at all
            seen.add(box_type)
            offset += box_size
        return offset > size or (b"ftyp" in seen and b"moov" not in seen)


def video_stream(container: av.container.InputContainer) -> VideoStream | None:
    for stream in container.streams.video:
        # Cover art in audio files is a one-picture "video" stream: not a film.
        if not stream.disposition & av.stream.Disposition.attached_pic:
            return stream
    return None


def audio_stream(container: av.container.InputContainer) -> AudioStream | None:
    return container.streams.audio[0] if container.streams.audio else None


def origin_s(container: av.container.InputContainer) -> float:
    """The film clock's zero, in stream seconds: the start of the file as players show it."""
    start = container.start_time
    return 0.0 if start is None else start / av.time_base


def require_decoder(path: Path, stream: VideoStream | AudioStream, what: str) -> None:
    if stream.codec_context is None:
        raise FilmError(
            f"the {what} in {path} is in a format vigvision cannot decode",
            "convert the film to H.264 MP4 (e.g. with HandBrake) and try again",
        )


# --------------------------------------------------------------------------------------------
# Probe


def file_sha256(path: Path, progress: Callable[[int, int], None] | None = None) -> str:
    """SHA-256 of a file, read in blocks so that memory stays small for long films."""
    digest = hashlib.sha256()
    total = path.stat().st_size
    done = 0
    with path.open("rb") as f:
        while block := f.read(_HASH_BLOCK):
            digest.update(block)
            done += len(block)
            if progress is not None:
                progress(done, total)
    return digest.hexdigest()


def probe(path: Path, progress: Callable[[int, int], None] | None = None) -> FilmInfo:
    """Describe a film or audio file; ``progress(done, total)`` follows the hashing."""
    path = Path(path)
    with open_media(path) as container:
        video = video_stream(container)
        audio = audio_stream(container)
        if video is None and audio is None:
            raise FilmError(
                f"{path} holds neither picture nor sound", "check that this is the film"
            )
        origin = origin_s(container)
        duration = stream_duration_s(container, video, audio, origin)
        fps, vfr, frame_count, cut_short_at = None, False, None, None
        width = height = None
        rotation = 0
        if video is not None:
            require_decoder(path, video, "picture")
            fps, vfr = _frame_rate(video, duration)
            frame_count = video.frames or None
            rotation = rotation_cw(container, video, path)
            width, height = display_size(video, rotation)
            cut_short_at = _data_ends_at_s(video, path.stat().st_size, origin_s(container))
            if cut_short_at is not None:
                log.warning(
                    "%s is incomplete: only its first %.1f s can be read (copy it again from"
                    " the camera or phone)",
                    path.name,
                    cut_short_at,
                )
        if audio is not None:
            require_decoder(path, audio, "sound")
        info = FilmInfo(
            path=path.resolve(),
            size_bytes=path.stat().st_size,
            sha256="",
            container=container.format.name,
            duration_s=duration,
            has_video=video is not None,
            fps=fps,
            variable_frame_rate=vfr,
            frame_count=frame_count,
            width=width,
            height=height,
            rotation=rotation,
            video_codec=None if video is None else video.codec_context.name,
            has_audio=audio is not None,
            audio_codec=None if audio is None else audio.codec_context.name,
            audio_sample_rate=None if audio is None else audio.codec_context.sample_rate,
            audio_channels=None if audio is None else audio.codec_context.channels,
            cut_short_at_s=cut_short_at,
        )
    return replace(info, sha256=file_sha256(path, progress))


def _stream_end_s(stream: VideoStream | AudioStream) -> float | None:
    if stream.duration is None or stream.time_base is None:
        return None
    start = stream.start_time or 0
    return float((start + stream.duration) * stream.time_base)


def stream_duration_s(
    container: av.container.InputContainer,
    video: VideoStream | None,
    audio: AudioStream | None,
    origin: float,
) -> float:
    if container.duration is not None and container.duration > 0:
        return float(container.duration / av.time_base)
    ends = [end for s in (video, audio) if s is not None and (end := _stream_end_s(s)) is not None]
    return max(ends) - origin if ends else 0.0


def _frame_rate(video: VideoStream, duration: float) -> tuple[float | None, bool]:
    """Average frames per second, and whether frame durations vary (phones, screen records)."""
    average = video.average_rate or video.guessed_rate
    fps = float(average) if average else None
    if fps is None and video.frames and duration > 0:
        fps = video.frames / duration
    steps = _index_frame_steps(video)
    if steps is not None:
        median = float(np.median(steps))
        vfr = median > 0 and float(np.max(np.abs(steps - median))) > _VFR_SPREAD * median
    else:
        nominal = video.base_rate or video.guessed_rate
        vfr = bool(fps and nominal and abs(float(nominal) - fps) > _VFR_SPREAD * fps)
    return fps, vfr


def _index_frame_steps(video: VideoStream) -> NDArray[np.float64] | None:
    """Frame-to-frame timestamp steps from the container's index, where it lists every frame."""
    entries = video.index_entries
    if video.frames < 3 or len(entries) != video.frames:
        return None
    stamps = np.sort(
        np.fromiter((e.timestamp for e in entries), dtype=np.float64, count=len(entries))
    )
    return np.diff(stamps)[:-1] if len(stamps) > 3 else np.diff(stamps)


def _data_ends_at_s(video: VideoStream, file_size: int, origin: float) -> float | None:
    """Time of the first indexed frame whose bytes lie past the end of the file, if any."""
    entries = video.index_entries
    if not len(entries) or video.time_base is None:
        return None
    last = entries[len(entries) - 1]
    if last.pos + last.size <= file_size:
        return None
    cut = next(e for e in entries if e.pos + e.size > file_size)
    return max(0.0, float(cut.timestamp * video.time_base) - origin)


def rotation_cw(container: av.container.InputContainer, video: VideoStream, path: Path) -> int:
    """Display rotation from the first frame's display matrix (where phones store it)."""
    try:
        for frame in container.decode(video):
            return _cw_degrees(frame.rotation)
    except av.FFmpegError as error:
        raise FilmError(
            f"the picture in {path} cannot be decoded: it is damaged or in an unusual format",
            "play it in a video player to check it; convert it to H.264 MP4 if it plays",
        ) from error
    raise FilmError(f"{path} holds no readable picture", "check that this is the film")


def _cw_degrees(counter_clockwise: float) -> int:
    """FFmpeg's display rotation (counter-clockwise) as a clockwise quarter turn 0–270."""
    return round(-counter_clockwise / 90.0) % 4 * 90


def display_size(video: VideoStream, rotation: int) -> tuple[int, int]:
    width, height = video.codec_context.width, video.codec_context.height
    sar = video.sample_aspect_ratio
    if sar and sar > 0 and sar != 1:
        width = round(width * sar)
    return (height, width) if rotation in (90, 270) else (width, height)


# --------------------------------------------------------------------------------------------
# Streaming frames
