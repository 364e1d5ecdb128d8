"""Streaming a film's sound track as mono float32 chunks, with the stream's own times."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import av.container
import numpy as np
from numpy.typing import NDArray

from vigvision.config import AudioSettings
from vigvision.errors import FilmError
from vigvision.film.info import (
    audio_stream,
    open_media,
    origin_s,
    require_decoder,
    stream_duration_s,
    video_stream,
)

log = logging.getLogger(__name__)

Samples = NDArray[np.float32]


@dataclass(frozen=True)
class AudioChunk:
    """A stretch of mono audio starting at ``t`` seconds."""

    t: float
    samples: Samples
    sample_rate: int

    @property
    def end(self) -> float:
        return self.t + len(self.samples) / self.sample_rate


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
        with open_media(self.path) as container:
            audio = audio_stream(container)
            if audio is None:
                raise FilmError(
                    f"{self.path} has no sound track",
                    "who speaks when cannot be measured; the picture can still be analysed",
                )
            require_decoder(self.path, audio, "sound")
            self.duration_s = stream_duration_s(container, video_stream(container), audio, 0.0)

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
        with open_media(self.path) as container:
            audio = audio_stream(container)
            assert audio is not None
            origin = origin_s(container)
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
