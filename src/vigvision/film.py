"""Films in and out: probing, streaming frames and audio with real timestamps, writing films.

This is the only module that opens video or audio files. Everything downstream sees
``Frame`` values (RGB ``uint8``, upright, timed in seconds) and ``AudioChunk`` values
(16 kHz mono ``float32``), never a container or a codec.

Times are seconds on the film's own clock, as a player shows it: 0 is the start of the
file, and every time comes from the stream timestamps, never from counting frames (phones
film at variable frame rates). In an ordinary film 0 is also the first displayed frame.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import queue
import struct
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Literal

import av
import av.container
import cv2
import numpy as np
from av.audio.stream import AudioStream
from av.video.stream import VideoStream
from numpy.typing import NDArray

from vigvision.config import AudioSettings, FilmSettings
from vigvision.errors import FilmError

log = logging.getLogger(__name__)

Image = NDArray[np.uint8]
Samples = NDArray[np.float32]

# Containers whose index sits in a 'moov' box: a copy cut short loses it and cannot be opened.
_QUICKTIME_SUFFIXES: Final = {".mp4", ".mov", ".m4v", ".m4a", ".3gp"}
_QUICKTIME_FIRST_BOXES: Final = {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot"}
_HASH_BLOCK: Final = 1 << 20
# How much a decoder may skip, and up to which analysis rate (a share of the film's rate).
# Skipping every B-frame ("BIDIR") was measured too: 1.25x plain decoding at 5 fps, but the
# frames left sit up to 80 ms off the analysis grid, and naming who speaks from their mouths
# fell from 89% to 83% of speech time; so only frames nothing refers to are skipped.
SkipLevel = Literal["BIDIR", "NONREF"]
_SKIP_LEVELS: Final[tuple[tuple[SkipLevel, float], ...]] = (("NONREF", 0.5),)
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


@dataclass(frozen=True)
class Frame:
    """One analysed frame: its time in seconds and its picture (RGB, upright)."""

    t: float
    image: Image


@dataclass(frozen=True)
class AudioChunk:
    """A stretch of mono audio starting at ``t`` seconds."""

    t: float
    samples: Samples
    sample_rate: int

    @property
    def end(self) -> float:
        return self.t + len(self.samples) / self.sample_rate


# --------------------------------------------------------------------------------------------
# Opening files, with errors a person can act on


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


def _open(path: Path) -> av.container.InputContainer:
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


def _video_stream(container: av.container.InputContainer) -> VideoStream | None:
    for stream in container.streams.video:
        # Cover art in audio files is a one-picture "video" stream: not a film.
        if not stream.disposition & av.stream.Disposition.attached_pic:
            return stream
    return None


def _audio_stream(container: av.container.InputContainer) -> AudioStream | None:
    return container.streams.audio[0] if container.streams.audio else None


def _origin_s(container: av.container.InputContainer) -> float:
    """The film clock's zero, in stream seconds: the start of the file as players show it."""
    start = container.start_time
    return 0.0 if start is None else start / av.time_base


def _require_decoder(path: Path, stream: VideoStream | AudioStream, what: str) -> None:
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
    with _open(path) as container:
        video = _video_stream(container)
        audio = _audio_stream(container)
        if video is None and audio is None:
            raise FilmError(
                f"{path} holds neither picture nor sound", "check that this is the film"
            )
        origin = _origin_s(container)
        duration = _duration_s(container, video, audio, origin)
        fps, vfr, frame_count, cut_short_at = None, False, None, None
        width = height = None
        rotation = 0
        if video is not None:
            _require_decoder(path, video, "picture")
            fps, vfr = _frame_rate(video, duration)
            frame_count = video.frames or None
            rotation = _rotation_cw(container, video, path)
            width, height = _display_size(video, rotation)
            cut_short_at = _data_ends_at_s(video, path.stat().st_size, _origin_s(container))
            if cut_short_at is not None:
                log.warning(
                    "%s is incomplete: only its first %.1f s can be read (copy it again from"
                    " the camera or phone)",
                    path.name,
                    cut_short_at,
                )
        if audio is not None:
            _require_decoder(path, audio, "sound")
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


def _duration_s(
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


def _rotation_cw(container: av.container.InputContainer, video: VideoStream, path: Path) -> int:
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


def _display_size(video: VideoStream, rotation: int) -> tuple[int, int]:
    width, height = video.codec_context.width, video.codec_context.height
    sar = video.sample_aspect_ratio
    if sar and sar > 0 and sar != 1:
        width = round(width * sar)
    return (height, width) if rotation in (90, 270) else (width, height)


# --------------------------------------------------------------------------------------------
# Streaming frames


class FrameReader:
    """Frames of a film at an analysis rate, upright, downscaled, RGB, with stream times.

    Decoding runs in a background thread (and FFmpeg's own threads) and stays a few frames
    ahead of the consumer, so memory does not grow with the film's length::

        reader = FrameReader(Path("film.mp4"), fps=10, max_side=1280)
        for frame in reader:
            analyse(frame.t, frame.image)
        if reader.damaged_from_s is not None:
            ...  # the film could only be read up to there

    ``fps=0`` yields every frame; ``start_s``/``end_s`` read only a part (by seeking).
    """

    def __init__(
        self,
        path: Path,
        *,
        fps: float = 10.0,
        max_side: int = 1280,
        start_s: float = 0.0,
        end_s: float | None = None,
        threads: int = 0,
        prefetch: int = 8,
        truncation_tolerance_s: float = 0.5,
    ) -> None:
        if fps < 0 or max_side < 0 or prefetch < 1:
            raise ValueError("fps and max_side must be >= 0 and prefetch >= 1")
        if end_s is not None and end_s <= start_s:
            raise FilmError(
                f"the end time ({end_s:g} s) must come after the start time ({start_s:g} s)",
                "swap or correct the times",
            )
        self.path = Path(path)
        self.fps = fps
        self.max_side = max_side
        self.start_s = max(0.0, start_s)
        self.end_s = end_s
        self.threads = threads
        self.prefetch = prefetch
        self.truncation_tolerance_s = truncation_tolerance_s
        self.damaged_from_s: float | None = None
        self.skipped_packets = 0
        with _open(self.path) as container:
            video = _video_stream(container)
            if video is None:
                raise FilmError(
                    f"{self.path} has sound but no picture",
                    "use `vigvision turns` for audio-only files",
                )
            _require_decoder(self.path, video, "picture")
            self.duration_s = _duration_s(container, video, _audio_stream(container), 0.0)
            self.rotation = _rotation_cw(container, video, self.path)
            self.display_size = _display_size(video, self.rotation)
            average = video.average_rate or video.guessed_rate
            self.film_fps = float(average) if average else 25.0
        self.output_size = _fit(self.display_size, max_side)

    @classmethod
    def from_settings(
        cls, path: Path, settings: FilmSettings, start_s: float = 0.0, end_s: float | None = None
    ) -> FrameReader:
        return cls(
            path,
            fps=settings.analysis_fps,
            max_side=settings.max_side,
            start_s=start_s,
            end_s=end_s,
            threads=settings.decode_threads,
            prefetch=settings.prefetch_frames,
            truncation_tolerance_s=settings.truncation_tolerance_s,
        )

    def __iter__(self) -> Iterator[Frame]:
        frames: queue.Queue[Frame | BaseException | None] = queue.Queue(maxsize=self.prefetch)
        stop = threading.Event()
        worker = threading.Thread(
            target=self._decode_into, args=(frames, stop), name="vigvision-decode", daemon=True
        )
        worker.start()
        try:
            while True:
                item = frames.get()
                if item is None:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()
            while worker.is_alive():  # unblock a worker waiting to hand over a frame
                with contextlib.suppress(queue.Empty):
                    frames.get(timeout=0.05)
            worker.join()

    def _decode_into(
        self, out: queue.Queue[Frame | BaseException | None], stop: threading.Event
    ) -> None:
        def put(item: Frame | BaseException | None) -> bool:
            while not stop.is_set():
                try:
                    out.put(item, timeout=0.1)
                    return True
                except queue.Full:
                    continue
            return False

        try:
            for frame in self._decode():
                if not put(frame):
                    return
        except BaseException as error:  # handed to the consumer, which re-raises it
            put(error)
            return
        put(None)

    def _decode(self) -> Iterator[Frame]:
        step = 1.0 / self.fps if self.fps > 0 else 0.0
        sampler = _NearestToGrid(self.start_s, step)
        for t, frame in self._timed_frames(step):
            if self.end_s is not None and t >= self.end_s:
                break
            for chosen_t, chosen in sampler.offer(t, frame):
                yield Frame(t=chosen_t, image=self._picture(chosen))
        for chosen_t, chosen in sampler.finish():
            yield Frame(t=chosen_t, image=self._picture(chosen))

    def still(self, earliest_s: float) -> Frame | None:
        """One frame shown between ``earliest_s`` and about ``start_s``, found cheaply.

        Seeking lands on the key frame before ``start_s``: when it is shown after
        ``earliest_s`` it is taken as it is, without decoding the frames up to ``start_s``
        (a thumbnail of a moment needs a frame of the moment, not an exact instant).
        """
        for t, frame in self._timed_frames(0.0, accept_from_s=min(earliest_s, self.start_s)):
            return Frame(t=t, image=self._picture(frame))
        return None

    def _timed_frames(
        self, step: float, accept_from_s: float | None = None
    ) -> Iterator[tuple[float, av.VideoFrame]]:
        """Decoded frames in increasing time from ``start_s`` (or ``accept_from_s``) on."""
        accept_from = self.start_s if accept_from_s is None else accept_from_s
        last_t = -np.inf
        with _open(self.path) as container:
            video = _video_stream(container)
            assert video is not None
            context = video.codec_context
            context.thread_type = "AUTO"
            context.thread_count = self.threads
            # Frames no other frame refers to can go undecoded while those left are still
            # denser than the analysis grid; as soon as a gap would miss a sampling instant
            # (e.g. IBBP at 25 fps leaves 8 fps), the decoder steps back to every frame.
            levels = [
                level for level, share in _SKIP_LEVELS if step and self.fps <= self.film_fps * share
            ]
            skipping = bool(levels)
            if skipping:
                context.skip_frame = levels[0]
            origin = _origin_s(container)
            time_base = video.time_base or Fraction(1, 90000)
            if self.start_s > 0:
                container.seek(
                    int((self.start_s + origin) / time_base), stream=video, backward=True
                )
            packets = container.demux(video)
            while True:
                try:
                    packet = next(packets)
                except StopIteration:
                    break
                except av.FFmpegError:
                    self._note_damage(last_t)
                    return
                try:
                    decoded = packet.decode()
                except av.FFmpegError:
                    self.skipped_packets += 1
                    continue
                for frame in decoded:
                    if frame.pts is None:
                        continue
                    t = float(frame.pts * time_base) - origin
                    if t <= last_t:
                        continue  # out of order or repeated: keep times increasing
                    if skipping and np.isfinite(last_t) and t - last_t > step:
                        levels = levels[1:]
                        skipping = bool(levels)
                        context.skip_frame = levels[0] if levels else "DEFAULT"
                        log.debug("decoding more frames from %.2f s on", t)
                    last_t = t
                    if t >= accept_from:
                        yield t, frame
            self._check_complete(last_t)

    def _picture(self, frame: av.VideoFrame) -> Image:
        width, height = self.output_size
        stored_w, stored_h = (height, width) if self.rotation in (90, 270) else (width, height)
        # Scaling in YUV (FFmpeg) and converting to RGB afterwards (OpenCV) costs about a
        # third of converting to RGB inside FFmpeg; it also brings 10-bit and full-range
        # phone video to plain 8-bit.
        small = frame.reformat(
            width=stored_w, height=stored_h, format="yuv420p", interpolation="AREA"
        ).to_ndarray()
        image: Image = np.asarray(cv2.cvtColor(small, cv2.COLOR_YUV2RGB_I420), dtype=np.uint8)
        if self.rotation:
            image = np.ascontiguousarray(np.rot90(image, k=-self.rotation // 90), dtype=np.uint8)
        return image

    def _note_damage(self, last_t: float) -> None:
        at = max(0.0, float(last_t)) if np.isfinite(last_t) else self.start_s
        self.damaged_from_s = at
        log.warning(
            "%s is damaged from %.1f s on: the picture was read up to there", self.path.name, at
        )

    def _check_complete(self, last_t: float) -> None:
        if self.skipped_packets:
            log.warning(
                "%s: %d damaged piece(s) of the picture were skipped",
                self.path.name,
                self.skipped_packets,
            )
        expected_end = self.duration_s if self.end_s is None else min(self.end_s, self.duration_s)
        frame_gap = 2.0 / max(self.film_fps, 1.0) + (1.0 / self.fps if self.fps else 0.0)
        if last_t < expected_end - frame_gap - self.truncation_tolerance_s:
            self._note_damage(last_t)


class _NearestToGrid:
    """Picks, for each instant of the analysis grid, the decoded frame nearest to it.

    Holds back one frame so that the frames on either side of an instant can be compared;
    a frame is never picked twice, so a film slower than the grid yields each of its frames.
    ``step == 0`` passes every frame through.
    """

    def __init__(self, start_s: float, step: float) -> None:
        self.start_s = start_s
        self.step = step
        self.due = start_s
        self.held: tuple[float, av.VideoFrame] | None = None
        self.last_picked = -np.inf

    def offer(self, t: float, frame: av.VideoFrame) -> Iterator[tuple[float, av.VideoFrame]]:
        if not self.step:
            yield t, frame
            return
        if t >= self.due:
            held = self.held
            if (
                held is not None
                and held[0] > self.last_picked
                and self.due - held[0] < t - self.due
            ):
                yield self._pick(held)
            if t >= self.due:
                yield self._pick((t, frame))
                self.held = None
                return
        self.held = (t, frame)

    def finish(self) -> Iterator[tuple[float, av.VideoFrame]]:
        held = self.held
        if (
            self.step
            and held is not None
            and self.last_picked < held[0] >= self.due - self.step / 2
        ):
            yield self._pick(held)
        self.held = None

    def _pick(self, chosen: tuple[float, av.VideoFrame]) -> tuple[float, av.VideoFrame]:
        t = chosen[0]
        self.last_picked = t
        while self.due <= t + self.step / 2:
            self.due += self.step
        return chosen


def _fit(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """The largest even size within ``max_side`` keeping the aspect ratio (never upscaling).

    Even, because the pictures pass through 4:2:0 YUV on their way to RGB.
    """
    width, height = size
    scale = (
        1.0 if max_side <= 0 or max(width, height) <= max_side else max_side / max(width, height)
    )
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


# --------------------------------------------------------------------------------------------
# Streaming audio


class AudioReader:
    """The sound track as mono ``float32`` chunks at ``sample_rate`` Hz, with times.

    Holes in the timestamps are filled with silence so that sound stays in step with the
    picture. Works on films and on audio files (wav, m4a, mp3)::

        for chunk in AudioReader(Path("film.mp4"), start_s=60, end_s=120):
            detect_voices(chunk.t, chunk.samples)
    """

    def __init__(
        self,
        path: Path,
        *,
        sample_rate: int = 16000,
        start_s: float = 0.0,
        end_s: float | None = None,
        chunk_s: float = 30.0,
        max_gap_s: float = 0.02,
    ) -> None:
        if end_s is not None and end_s <= start_s:
            raise FilmError(
                f"the end time ({end_s:g} s) must come after the start time ({start_s:g} s)",
                "swap or correct the times",
            )
        self.path = Path(path)
        self.sample_rate = sample_rate
        self.start_s = max(0.0, start_s)
        self.end_s = end_s
        self.chunk_samples = max(1, round(chunk_s * sample_rate))
        self.max_gap_s = max_gap_s
        self.damaged_from_s: float | None = None
        with _open(self.path) as container:
            audio = _audio_stream(container)
            if audio is None:
                raise FilmError(
                    f"{self.path} has no sound track",
                    "who speaks when cannot be measured; the picture can still be analysed",
                )
            _require_decoder(self.path, audio, "sound")
            self.duration_s = _duration_s(container, _video_stream(container), audio, 0.0)

    @classmethod
    def from_settings(
        cls, path: Path, settings: AudioSettings, start_s: float = 0.0, end_s: float | None = None
    ) -> AudioReader:
        return cls(
            path,
            sample_rate=settings.sample_rate,
            start_s=start_s,
            end_s=end_s,
            chunk_s=settings.chunk_s,
            max_gap_s=settings.max_gap_s,
        )

    def __iter__(self) -> Iterator[AudioChunk]:
        pending: list[Samples] = []
        pending_len = 0
        chunk_t: float | None = None
        for t, samples in self._timed_samples():
            if chunk_t is None:
                chunk_t = t
            pending.append(samples)
            pending_len += len(samples)
            while pending_len >= self.chunk_samples:
                joined = np.concatenate(pending)
                yield AudioChunk(chunk_t, joined[: self.chunk_samples], self.sample_rate)
                rest = joined[self.chunk_samples :]
                chunk_t += self.chunk_samples / self.sample_rate
                pending, pending_len = [rest], len(rest)
        if pending_len and chunk_t is not None:
            yield AudioChunk(chunk_t, np.concatenate(pending), self.sample_rate)

    def read(self) -> AudioChunk:
        """The whole range as one chunk (for short ranges: memory grows with the length)."""
        chunks = list(self)
        if not chunks:
            return AudioChunk(self.start_s, np.zeros(0, np.float32), self.sample_rate)
        return AudioChunk(
            chunks[0].t, np.concatenate([c.samples for c in chunks]), self.sample_rate
        )

    def _timed_samples(self) -> Iterator[tuple[float, Samples]]:
        """Contiguous runs of resampled audio, each with the time of its first sample."""
        rate = self.sample_rate
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        written_until: float | None = None  # film time just after the last sample handed out
        last_t = self.start_s
        with _open(self.path) as container:
            audio = _audio_stream(container)
            assert audio is not None
            origin = _origin_s(container)
            time_base = audio.time_base or Fraction(1, rate)
            if self.start_s > 0:
                container.seek(
                    int((self.start_s + origin) / time_base), stream=audio, backward=True
                )
            frames = container.decode(audio)
            while True:
                try:
                    frame: av.AudioFrame | None = next(frames)
                except StopIteration:
                    frame = None
                except av.FFmpegError:
                    self.damaged_from_s = last_t
                    log.warning(
                        "%s: the sound is damaged from %.1f s on: read up to there",
                        self.path.name,
                        last_t,
                    )
                    frame = None
                if frame is not None and frame.pts is None:
                    continue
                frame_t = (
                    None
                    if frame is None or frame.pts is None
                    else float(frame.pts * time_base) - origin
                )
                for out in resampler.resample(frame):
                    samples = out.to_ndarray().reshape(-1).astype(np.float32, copy=False)
                    if written_until is None:
                        t = self.start_s if frame_t is None else frame_t
                    else:
                        t = written_until
                        drift = 0.0 if frame_t is None else frame_t - written_until
                        if drift > self.max_gap_s:
                            silence = np.zeros(round(drift * rate), np.float32)
                            yield from self._clip(t, silence)
                            t += len(silence) / rate
                        elif drift < -self.max_gap_s:
                            # Overlapping timestamps: drop what was already handed out.
                            samples = samples[min(len(samples), round(-drift * rate)) :]
                    yield from self._clip(t, samples)
                    written_until = t + len(samples) / rate
                    last_t = written_until
                    if self.end_s is not None and written_until >= self.end_s:
                        return
                if frame is None:
                    return

    def _clip(self, t: float, samples: Samples) -> Iterator[tuple[float, Samples]]:
        """The part of a run that falls inside [start_s, end_s)."""
        rate = self.sample_rate
        first = max(0, round((self.start_s - t) * rate))
        last = (
            len(samples)
            if self.end_s is None
            else min(len(samples), round((self.end_s - t) * rate))
        )
        if last > first:
            yield t + first / rate, samples[first:last]


# --------------------------------------------------------------------------------------------
# Writing films (test films, demo film, looped benchmark films)


class FilmWriter:
    """Writes RGB frames (and optionally mono audio) to a film file.

    ``times`` may be given per frame (seconds) to make variable-frame-rate films; otherwise
    frames follow each other at ``fps``::

        with FilmWriter(Path("out.mp4"), width=640, height=360, fps=25) as film:
            for image in images:
                film.add_frame(image)
    """

    def __init__(
        self,
        path: Path,
        *,
        width: int,
        height: int,
        fps: float = 25.0,
        codec: str = "libx264",
        rotation_cw: int = 0,
        audio_rate: int | None = None,
        audio_codec: str = "aac",
        options: dict[str, str] | None = None,
        container_options: dict[str, str] | None = None,
    ) -> None:
        self.path = Path(path)
        self._container = av.open(str(self.path), "w", options=container_options or {})
        rate = Fraction(fps).limit_denominator(1001)
        video = self._container.add_stream(codec, rate=rate, options=options or {})
        assert isinstance(video, VideoStream)
        self._video = video
        self._video.width, self._video.height = width, height
        self._video.pix_fmt = "yuv420p"
        # MPEG-4 part 2 caps the time base's denominator at 65535.
        self._video.codec_context.time_base = 1 / rate if codec == "mpeg4" else Fraction(1, 90000)
        if rotation_cw:
            self._video.set_display_rotation(-rotation_cw)
        self._frame_step = 1 / rate
        self._count = 0
        self._audio: AudioStream | None = None
        self._audio_samples = 0
        if audio_rate is not None:
            audio = self._container.add_stream(audio_codec, rate=audio_rate)
            assert isinstance(audio, AudioStream)
            audio.layout = "mono"
            self._audio = audio

    def add_frame(self, image: Image, t: float | None = None) -> None:
        when = self._count * self._frame_step if t is None else Fraction(t).limit_denominator(90000)
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
        time_base = self._video.codec_context.time_base
        assert time_base is not None
        frame.pts = round(when / time_base)
        frame.time_base = time_base
        self._container.mux(self._video.encode(frame))
        self._count += 1

    def add_audio(self, samples: Samples, t: float | None = None) -> None:
        """Add mono samples in [-1, 1], after those already written or at ``t`` seconds."""
        if self._audio is None:
            raise ValueError("this writer was made without audio_rate")
        rate = self._audio.rate
        data = np.clip(samples, -1, 1).astype(np.float32).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(data, format="flt", layout="mono")
        frame.sample_rate = rate
        frame.pts = self._audio_samples if t is None else round(t * rate)
        frame.time_base = Fraction(1, rate)
        self._audio_samples = frame.pts + data.shape[1]
        self._container.mux(self._audio.encode(frame))

    def close(self) -> None:
        self._container.mux(self._video.encode(None))
        if self._audio is not None:
            self._container.mux(self._audio.encode(None))
        self._container.close()

    def __enter__(self) -> FilmWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


def loop_film(source: Path, target: Path, min_duration_s: float) -> float:
    """Repeat a film without re-encoding until it lasts ``min_duration_s``; returns its length.

    Used to make long benchmark films from short real clips: each repeat starts on the
    clip's first key frame, so the result decodes like an ordinary long film.
    """
    with _open(source) as first:
        span = _duration_s(first, _video_stream(first), _audio_stream(first), 0.0)
    if span <= 0:
        raise FilmError(f"{source} has no duration to repeat", "pick another clip")
    repeats = max(1, int(np.ceil(min_duration_s / span)))
    with av.open(str(target), "w") as out:
        with _open(source) as template:
            streams = [s for s in (_video_stream(template), _audio_stream(template)) if s]
            outputs = {s.index: out.add_stream_from_template(s) for s in streams}
        # Each stream continues just after what it already wrote: streams of a clip need not
        # last equally long, and AAC starts before zero (its priming samples).
        written_until: dict[int, int] = {}
        for k in range(repeats):
            shifts: dict[int, int] = {}
            with _open(source) as clip:
                chosen = [s for s in (_video_stream(clip), _audio_stream(clip)) if s]
                for packet in clip.demux(chosen):
                    if packet.dts is None or packet.size == 0:
                        continue
                    index = packet.stream.index
                    time_base = packet.stream.time_base
                    assert time_base is not None
                    if index not in shifts:
                        wanted = round(k * span / time_base)
                        shifts[index] = max(
                            wanted, written_until.get(index, packet.dts) - packet.dts
                        )
                    packet.dts += shifts[index]
                    if packet.pts is not None:
                        packet.pts += shifts[index]
                    written_until[index] = packet.dts + max(packet.duration or 1, 1)
                    packet.stream = outputs[index]
                    out.mux(packet)
    return repeats * span
