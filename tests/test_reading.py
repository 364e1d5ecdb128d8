"""Streaming frames and sound: times from the stream, upright pictures, parts of a film."""

from __future__ import annotations

import itertools
import logging
import threading
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from tests.films import TONE_HZ, cut_in_half, make_audio_file, make_film
from vigvision.errors import FilmError
from vigvision.export.clips import still, stills
from vigvision.film import AudioReader, FilmWriter, FrameReader, probe, read_in_turn
from vigvision.film.frames import key_frames_before


@pytest.fixture(scope="session")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("reading")


def stream_times(path: Path) -> list[float]:
    """Every frame's time straight from the stream, on the film's clock (0 = start of file)."""
    with av.open(str(path)) as container:
        origin = (container.start_time or 0) / av.time_base
        return [float(f.time) - origin for f in container.decode(container.streams.video[0])]


def test_frames_at_the_analysis_rate_carry_stream_times(made: Path) -> None:
    film = make_film(made / "steady.mp4", seconds=3.0, fps=25)
    frames = list(FrameReader(film, fps=10))
    times = [f.t for f in frames]
    assert len(frames) == pytest.approx(30, abs=1)
    assert set(times) <= set(stream_times(film))
    assert np.all(np.diff(times) > 0)
    # Each lies near its instant of the 10 fps grid: within half the spacing of the frames
    # decoded (frames that nothing refers to may be skipped to save time).
    grid = np.arange(len(times)) / 10
    assert np.abs(np.array(times) - grid).max() <= 0.04 + 1e-9


def test_every_frame_of_a_variable_rate_film_keeps_its_own_time(made: Path) -> None:
    times = [i / 30 for i in range(30)] + [1 + i / 10 for i in range(10)]
    film = make_film(made / "vfr.mp4", times=times)
    read = [f.t for f in FrameReader(film, fps=0)]
    assert read == pytest.approx(times, abs=1e-4)


def test_sampling_a_variable_rate_film_follows_real_time(made: Path) -> None:
    times = [i / 30 for i in range(60)] + [2 + i / 5 for i in range(10)]
    film = make_film(made / "vfr_slow.mp4", times=times)
    read = [f.t for f in FrameReader(film, fps=10)]
    assert read[:20] == pytest.approx([i / 10 for i in range(20)], abs=0.02)
    assert read[20:] == pytest.approx(times[60:], abs=1e-4)  # slower than 10 fps: each frame


def test_rotated_phone_film_is_turned_upright(made: Path) -> None:
    # Stored landscape with a white band on its left; displayed turned 90° clockwise,
    # so the band ends up along the top.
    film = make_film(made / "portrait.mp4", size=(320, 240), rotation_cw=90)
    image = next(iter(FrameReader(film))).image
    assert image.shape == (320, 240, 3)
    rows = image.mean(axis=(1, 2))
    assert rows[:30].mean() > 240 and rows[-30:].mean() < 200


def test_frames_are_downscaled_to_the_longest_side(made: Path) -> None:
    film = make_film(made / "wide.mp4", size=(640, 360), seconds=0.5)
    image = next(iter(FrameReader(film, max_side=320))).image
    assert image.shape == (180, 320, 3) and image.dtype == np.uint8
    assert next(iter(FrameReader(film, max_side=0))).image.shape == (360, 640, 3)


def test_a_part_of_the_film_is_read_by_seeking(made: Path) -> None:
    film = make_film(made / "long.mp4", seconds=6.0, fps=25)
    whole = [f.t for f in FrameReader(film, fps=5)]
    part = [f.t for f in FrameReader(film, fps=5, start_s=2.0, end_s=4.0)]
    assert 2.0 <= part[0] <= 2.05 and 3.9 < part[-1] < 4.0
    # Inside the part, the same frames as when reading the whole film; at its edges the
    # frame nearest to an instant may lie just outside [2, 4) and is replaced by one inside.
    assert part[1:-1] == pytest.approx([t for t in whole if part[0] < t < part[-1]], abs=1e-6)


def test_a_stretch_read_in_parts_gives_the_frames_it_gives_whole(made: Path) -> None:
    film = make_film(made / "parts.mp4", seconds=6.0, fps=25)
    whole = FrameReader(film, fps=5, start_s=0.5, end_s=5.5)
    parts = whole.parts(every_s=2.0)
    assert len(parts) >= 2
    # Read two at a time, each part after the one before it, as a stretch is watched.
    in_parts = [frame.t for _, frames in read_in_turn(parts, side_by_side=2) for frame in frames]
    assert in_parts == [frame.t for frame in whole]
    # Stopping in the first part stops the decoders of the others too.
    for _, frames in read_in_turn(parts, side_by_side=2):
        next(frames)
        break
    assert not [t for t in threading.enumerate() if t.name == "vigvision-decode"]


def test_frames_scaled_on_two_decoders_at_once_are_those_ffmpeg_gives_each(made: Path) -> None:
    # Each decoder keeps its scaler from frame to frame (one per thread): the pictures are
    # still those FFmpeg scales from each frame alone.
    film = make_film(made / "scaled.mp4", seconds=6.0, fps=25, size=(640, 360))
    parts = FrameReader(film, fps=5, max_side=320).parts(every_s=2.0)
    assert len(parts) >= 2
    read = {f.t: f.image for _, frames in read_in_turn(parts, side_by_side=2) for f in frames}
    with av.open(str(film)) as container:
        origin = (container.start_time or 0) / av.time_base
        alone = {
            float(frame.time) - origin: cv2.cvtColor(
                frame.reformat(
                    width=320, height=180, format="yuv420p", interpolation="AREA"
                ).to_ndarray(),
                cv2.COLOR_YUV2RGB_I420,
            )
            for frame in container.decode(container.streams.video[0])
        }
    assert len(read) >= 25
    for t, image in read.items():
        assert np.array_equal(image, alone[min(alone, key=lambda u: abs(u - t))])


def test_stills_of_several_moments_are_each_moments_still(made: Path) -> None:
    film = make_film(made / "stills.mp4", seconds=6.0, fps=25)
    moments = [(4.0, 5.0), (0.5, 1.5), (2.0, 4.0)]
    together = stills(film, moments, max_side=320)
    one_by_one = [still(film, start, end, max_side=320) for start, end in moments]
    assert len(together) == 3
    for a, b in zip(together, one_by_one, strict=True):
        assert a is not None and b is not None
        assert np.array_equal(a, b)
    assert stills(film, [], max_side=320) == []


def test_a_film_with_its_deblocking_skipped_reads_nearly_the_same_pictures(media: Path) -> None:
    film = media / "two_kitchen_side_by_side.mp4"
    filtered = [f.image for f in FrameReader(film, fps=5, end_s=2.0)]
    unfiltered = [f.image for f in FrameReader(film, fps=5, end_s=2.0, deblock=False)]
    assert len(filtered) == len(unfiltered) > 5
    pairs = zip(filtered, unfiltered, strict=True)
    differences = [np.abs(a.astype(int) - b).mean() for a, b in pairs]
    assert 0 < max(differences) < 2.0  # grey levels of 255: block edges, not other pictures


def test_stopping_early_releases_the_decoder(made: Path) -> None:
    film = make_film(made / "early.mp4", seconds=4.0)
    reader = FrameReader(film, fps=0, prefetch=2)
    for count, _ in enumerate(reader, start=1):
        if count == 3:
            break
    assert count == 3


@pytest.mark.parametrize(
    ("name", "codec"),
    [("f.mkv", "libx264"), ("f.webm", "libvpx-vp9"), ("f.avi", "mpeg4"), ("f.mov", "libx265")],
)
def test_frames_from_each_container(made: Path, name: str, codec: str) -> None:
    film = make_film(made / name, codec=codec, seconds=1.0, fps=25)
    frames = list(FrameReader(film, fps=0))
    assert len(frames) == 25
    assert [f.t for f in frames] == pytest.approx([i / 25 for i in range(25)], abs=1e-3)


def test_film_cut_short_is_read_up_to_the_cut_with_a_warning(
    made: Path, caplog: pytest.LogCaptureFixture
) -> None:
    whole = make_film(
        made / "whole.mp4", seconds=8.0, fps=25, container_options={"movflags": "faststart"}
    )
    cut = cut_in_half(whole, made / "cut.mp4")
    assert probe(cut).cut_short_at_s == pytest.approx(4.0, abs=1.5)
    reader = FrameReader(cut, fps=10)
    with caplog.at_level(logging.WARNING, logger="vigvision"):
        frames = list(reader)
    assert 1.0 < frames[-1].t < 7.0
    assert reader.damaged_from_s == pytest.approx(frames[-1].t)
    assert "damaged from" in caplog.text


def test_sound_is_16k_mono_float_with_times(made: Path) -> None:
    film = make_film(made / "tone.mp4", seconds=3.0, audio=True)
    chunks = list(AudioReader(film, chunk_s=1.0))
    assert [round(c.t, 3) for c in chunks[:3]] == [0.0, 1.0, 2.0]
    assert chunks[-1].end == pytest.approx(3.0, abs=0.07)  # AAC pads its last packet
    for before, after in itertools.pairwise(chunks):
        assert before.end == pytest.approx(after.t)
    sound = np.concatenate([c.samples for c in chunks])
    assert sound.dtype == np.float32 and len(sound) == pytest.approx(48000, abs=1100)
    spectrum = np.abs(np.fft.rfft(sound[4000:20000]))
    assert np.argmax(spectrum) == pytest.approx(TONE_HZ, abs=2)  # 16000 samples: 1 Hz bins


def test_a_range_of_sound(made: Path) -> None:
    sound = AudioReader(
        make_audio_file(made / "range.wav", "pcm_s16le", seconds=5.0), start_s=1.5, end_s=3.0
    ).read()
    assert sound.t == pytest.approx(1.5, abs=1e-3)
    assert len(sound.samples) == 24000


@pytest.mark.parametrize(("name", "codec"), [("a.m4a", "aac"), ("a.mp3", "libmp3lame")])
def test_sound_only_files_read_but_have_no_frames(made: Path, name: str, codec: str) -> None:
    path = make_audio_file(made / name, codec, seconds=2.0)
    assert AudioReader(path).read().end == pytest.approx(2.0, abs=0.1)
    with pytest.raises(FilmError, match="no picture"):
        FrameReader(path)


def test_film_without_sound_says_so(made: Path) -> None:
    with pytest.raises(FilmError, match="no sound track"):
        AudioReader(make_film(made / "mute.mp4"))


def test_a_hole_in_the_sound_is_filled_with_silence(made: Path) -> None:
    path = made / "hole.mp4"
    beep = (0.3 * np.sin(2 * np.pi * TONE_HZ * np.arange(16000) / 16000)).astype(np.float32)
    with FilmWriter(path, width=64, height=64, fps=10, audio_rate=16000, audio_codec="aac") as film:
        for _ in range(30):
            film.add_frame(np.zeros((64, 64, 3), np.uint8))
        film.add_audio(beep, t=0.0)
        film.add_audio(beep, t=2.0)  # nothing recorded between 1 s and 2 s
    sound = AudioReader(path).read()
    level = [
        float(np.abs(sound.samples[round((s - sound.t) * 16000) :][:1600]).mean())
        for s in (0.5, 1.4, 2.5)
    ]
    assert level[0] > 0.1 and level[1] < 0.01 and level[2] > 0.1


def test_real_hevc_films_decode_with_stream_times(media: Path) -> None:
    for name in ("face_then_noface_hevc.mov", "noface_then_face_hevc.mov"):
        film = media / name
        frames = list(FrameReader(film, fps=0, max_side=480))
        times = [f.t for f in frames]
        assert len(frames) == probe(film).frame_count
        assert times == pytest.approx(stream_times(film), abs=1e-6)
        assert np.all(np.diff(times) > 0)
        assert frames[0].image.shape == (270, 480, 3)


def test_real_clips_give_monotonic_times_on_their_stream(media: Path) -> None:
    for name in (
        "two_seated_facing.mp4",
        "performer_and_audience.mp4",
        "two_approach_hug_1080p.mp4",
    ):
        film = media / name
        times = [f.t for f in FrameReader(film, fps=10)]
        assert np.all(np.diff(times) > 0)
        assert set(np.round(times, 6)) <= set(np.round(stream_times(film), 6))


def a_cut_after_a_regular_key_frame(film: Path) -> Path:
    """A key frame every 4 s, and one where the picture cuts to another shot at 4.8 s."""
    shots = np.random.default_rng(0).integers(0, 255, (2, 64, 64, 3), dtype=np.uint8)
    with FilmWriter(film, width=64, height=64, options={"g": "100", "keyint_min": "1"}) as out:
        for index in range(250):
            out.add_frame(shots[0] if index < 120 else shots[1])
    return film


def test_the_key_frame_of_a_cut_soon_after_a_regular_one_is_looked_at(tmp_path: Path) -> None:
    film = a_cut_after_a_regular_key_frame(tmp_path / "cut.mp4")
    times = [round(f.t, 2) for f in FrameReader(film).key_frames(every_s=2.0)]
    assert times == [0.0, 4.0, 4.8, 8.8]


def test_where_decoding_has_to_begin_for_a_moment(tmp_path: Path) -> None:
    film = a_cut_after_a_regular_key_frame(tmp_path / "cut.mp4")
    begins = key_frames_before(film, times=[3.0, 4.0, 4.5, 6.0])
    assert [round(t, 2) for t in begins] == [0.0, 4.0, 4.0, 4.8]
