"""Probing films the tests make (known answers) and the real clips of ../shared/media."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.films import make_audio_file, make_film
from vigvision.film import FilmInfo, probe


@pytest.fixture(scope="session")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("probe")


def test_h264_film_with_sound(made: Path) -> None:
    info = probe(make_film(made / "talk.mp4", seconds=2.0, fps=25, audio=True))
    assert info.duration_s == pytest.approx(2.0, abs=0.05)
    assert (info.width, info.height, info.rotation) == (320, 240, 0)
    assert info.fps == pytest.approx(25.0)
    assert info.frame_count == 50
    assert not info.variable_frame_rate
    assert info.video_codec == "h264"
    assert info.has_audio and info.audio_codec == "aac"
    assert info.audio_sample_rate == 16000 and info.audio_channels == 1
    assert len(info.sha256) == 64
    assert info.cut_short_at_s is None


def test_hevc_film_without_sound(made: Path) -> None:
    info = probe(make_film(made / "quiet.mov", codec="libx265", seconds=1.6, fps=30))
    assert info.video_codec == "hevc"
    assert info.duration_s == pytest.approx(1.6, abs=0.05)
    assert not info.has_audio and info.audio_codec is None


def test_phone_film_turned_upright_reports_displayed_size(made: Path) -> None:
    info = probe(make_film(made / "portrait.mp4", size=(320, 240), rotation_cw=90))
    assert info.rotation == 90
    assert (info.width, info.height) == (240, 320)


def test_variable_frame_rate_is_recognised(made: Path) -> None:
    # 30 fps for a second, then a phone dropping to 10 fps in low light.
    times = [i / 30 for i in range(30)] + [1 + i / 10 for i in range(10)]
    info = probe(make_film(made / "vfr.mp4", times=times))
    assert info.variable_frame_rate
    assert info.frame_count == 40
    assert info.fps is not None and 10 < info.fps < 30  # an average of the two rates


@pytest.mark.parametrize(
    ("name", "codec", "expected"),
    [
        ("film.mkv", "libx264", "h264"),
        ("film.webm", "libvpx-vp9", "vp9"),
        ("film.avi", "mpeg4", "mpeg4"),
        ("film.m4v", "libx264", "h264"),
    ],
)
def test_common_containers_and_codecs(made: Path, name: str, codec: str, expected: str) -> None:
    info = probe(make_film(made / name, codec=codec, seconds=1.0))
    assert info.video_codec == expected
    assert (info.width, info.height) == (320, 240)
    assert info.duration_s == pytest.approx(1.0, abs=0.1)


@pytest.mark.parametrize(
    ("name", "codec"),
    [("voice.wav", "pcm_s16le"), ("voice.m4a", "aac"), ("voice.mp3", "libmp3lame")],
)
def test_sound_only_files(made: Path, name: str, codec: str) -> None:
    info = probe(make_audio_file(made / name, codec, seconds=2.0))
    assert not info.has_video and info.width is None and info.fps is None
    assert info.has_audio
    assert info.duration_s == pytest.approx(2.0, abs=0.1)


def test_json_has_the_public_keys(made: Path) -> None:
    data = probe(make_film(made / "keys.mp4", audio=True)).to_json()
    for key in ("duration_s", "fps", "width", "height", "rotation", "has_audio", "video_codec"):
        assert key in data
    assert data["schema"] == "vigvision.probe/1"


# The real clips, against ../shared/media/MANIFEST.md: stored size, frame rate, duration, sound.
MANIFEST = {
    "two_seated_facing.mp4": ((2560, 1440), 25, 1.0, True),
    "one_seated_gesturing.mp4": ((1920, 1080), None, 3.0, True),
    "two_approach_hug_1080p.mp4": ((1920, 1080), 28, 2.6, False),
    "two_armwrestle_lowres.mp4": ((340, 256), None, 10.0, False),
    "two_kitchen_side_by_side.mp4": ((1920, 1080), 25, 4.0, False),
    "child_face_closeup.mp4": ((512, 512), None, 9.0, True),
    "adult_talking_head.mp4": ((512, 512), None, 7.3, True),
    "adult_neutral_to_smile_greenscreen.mp4": ((512, 512), None, 3.1, False),
    "adult_talking_head_2.mp4": ((700, 700), 30, 6.6, True),
    "adult_smiling_frontal.mp4": ((640, 360), 30, 2.4, True),
    "adult_laughing_expressive.mp4": ((640, 360), 23.98, 19.7, True),
    "face_then_noface_hevc.mov": ((960, 540), None, 6.4, True),
    "noface_then_face_hevc.mov": ((960, 540), None, 6.4, True),
    "performer_and_audience.mp4": ((640, 360), 29.97, 10.0, True),
    "crowd_walking_1080p.mp4": ((1920, 1080), None, 4.2, True),
}
SOUND_FILES = {
    "two_speaker_phone_call.wav": 30.0,
    "four_speaker_meeting.wav": 30.0,
    "home_adult_child_voices.wav": 20.0,
}


def _stored_size(info: FilmInfo, name: str) -> tuple[int | None, int | None]:
    # two_armwrestle_lowres is stored 340 px wide with wide pixels (aspect 64:51): shown 427 wide.
    if name == "two_armwrestle_lowres.mp4":
        assert (info.width, info.height) == (427, 256)
        return 340, 256
    return info.width, info.height


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_real_clip_probes_as_its_manifest_says(media: Path, name: str) -> None:
    size, fps, seconds, has_audio = MANIFEST[name]
    info = probe(media / name)
    assert _stored_size(info, name) == size
    assert info.duration_s == pytest.approx(seconds, abs=0.1)
    if fps is not None:
        assert info.fps == pytest.approx(fps, abs=0.1)
    assert info.has_audio is has_audio
    assert info.cut_short_at_s is None


def test_iphone_hevc_films_have_a_variable_frame_rate(media: Path) -> None:
    for name in ("face_then_noface_hevc.mov", "noface_then_face_hevc.mov"):
        info = probe(media / name)
        assert info.video_codec == "hevc"
        assert info.variable_frame_rate


@pytest.mark.parametrize("name", sorted(SOUND_FILES))
def test_real_recordings_probe(media: Path, name: str) -> None:
    info = probe(media / name)
    assert not info.has_video
    assert info.audio_sample_rate == 16000
    assert info.duration_s == pytest.approx(SOUND_FILES[name], abs=0.05)
