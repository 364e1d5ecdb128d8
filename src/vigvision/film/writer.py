"""Writing films: test films, the demo film, playable copies, clips, looped benchmark films."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from types import TracebackType

import av
import av.container
import numpy as np
from av.audio.stream import AudioStream
from av.video.stream import VideoStream

from vigvision.errors import FilmError
from vigvision.film.audio import Samples
from vigvision.film.frames import Image
from vigvision.film.info import (
    audio_stream,
    open_media,
    stream_duration_s,
    video_stream,
)


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
    with open_media(source) as first:
        span = stream_duration_s(first, video_stream(first), audio_stream(first), 0.0)
    if span <= 0:
        raise FilmError(f"{source} has no duration to repeat", "pick another clip")
    repeats = max(1, int(np.ceil(min_duration_s / span)))
    with av.open(str(target), "w") as out:
        with open_media(source) as template:
            streams = [s for s in (video_stream(template), audio_stream(template)) if s]
            outputs = {s.index: out.add_stream_from_template(s) for s in streams}
        # Each stream continues just after what it already wrote: streams of a clip need not
        # last equally long, and AAC starts before zero (its priming samples).
        written_until: dict[int, int] = {}
        for k in range(repeats):
            shifts: dict[int, int] = {}
            with open_media(source) as clip:
                chosen = [s for s in (video_stream(clip), audio_stream(clip)) if s]
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
