"""Films in and out: probing, streaming frames and audio with real timestamps, writing films.

This is the only module that opens video or audio files. Everything downstream sees
``Frame`` values (RGB ``uint8``, upright, timed in seconds) and ``AudioChunk`` values
(16 kHz mono ``float32``), never a container or a codec.

Times are seconds on the film's own clock, as a player shows it: 0 is the start of the
file, and every time comes from the stream timestamps, never from counting frames (phones
film at variable frame rates). In an ordinary film 0 is also the first displayed frame.

The modules, one per step: ``info`` (probe, FilmInfo, the hash), ``frames`` (FrameReader),
``audio`` (AudioReader), ``writer`` (FilmWriter, loop_film).
"""

from vigvision.film.audio import AudioChunk, AudioReader, Samples
from vigvision.film.frames import Frame, FrameReader, Image, read_in_turn
from vigvision.film.info import FilmInfo, check_readable_file, file_sha256, probe
from vigvision.film.writer import FilmWriter, loop_film

__all__ = [
    "AudioChunk",
    "AudioReader",
    "FilmInfo",
    "FilmWriter",
    "Frame",
    "FrameReader",
    "Image",
    "Samples",
    "check_readable_file",
    "file_sha256",
    "loop_film",
    "probe",
    "read_in_turn",
]
