"""Who speaks when: on real recordings with references, and on films the tests compose."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from benchmarks._common import HOME_SPEECH, overlaps_found, share_kept, voice_activity_f1
from pyannote.core import Segment, Timeline

from tests.compose import TAKING_TURNS, load_clip, side_by_side_conversation
from tests.films import make_film, write_sound
from tests.helpers import vigvision
from vigvision.config import load_settings
from vigvision.film import AudioReader
from vigvision.observe import observe_film
from vigvision.turns import Said, Speech, make_turns, turn_taking
from vigvision.voice.activity import FRAME_S, smooth
from vigvision.voice.formats import read_rttm
from vigvision.voice.listen import analyse_speech


def test_short_pauses_are_bridged_and_blips_dropped() -> None:
    t = np.arange(100) * FRAME_S
    speech = np.zeros(100, bool)
    speech[10:30] = speech[33:50] = True  # a 96 ms breath inside speech
    speech[80] = True  # a 32 ms click
    ((start, end),) = smooth(t, speech, bridge_s=0.35, min_s=0.2)
    assert (start, end) == (pytest.approx(10 * FRAME_S), pytest.approx(50 * FRAME_S))


def test_turns_pass_between_speakers_with_the_gap_before_each() -> None:
    said = [
        Said(Segment(0.0, 2.0), "adult", 1, "adult"),
        Said(Segment(2.5, 3.0), "adult", 1, "adult"),  # a pause inside the adult's turn
        Said(Segment(3.8, 5.0), "child", 2, "child"),
        Said(Segment(5.2, 30.0), "adult", 1, "adult"),
    ]
    turns = make_turns(said, turn_gap_s=1.5, monologue_s=20.0)
    assert [(t.speaker, t.start, t.end) for t in turns] == [
        ("adult", 0.0, 3.0),
        ("child", 3.8, 5.0),
        ("adult", 5.2, 30.0),
    ]
    assert math.isnan(turns[0].gap_before_s)
    assert turns[1].gap_before_s == pytest.approx(0.8) and turns[1].previous_speaker == "adult"
    assert turns[2].long_monologue and not turns[1].long_monologue


def test_someone_speaking_over_a_turn_does_not_end_it() -> None:
    said = [
        Said(Segment(0.0, 10.0), "adult", 1, "adult"),
        Said(Segment(3.0, 4.0), "child", 2, "child"),  # the child speaks while the adult goes on
        Said(Segment(10.5, 12.0), "adult", 1, "adult"),
        Said(Segment(11.5, 14.0), "child", 2, "child"),  # starts before the adult stops
    ]
    turns = make_turns(said, turn_gap_s=1.5, monologue_s=20.0)
    assert [(t.speaker, t.start, t.end) for t in turns] == [
        ("adult", 0.0, 12.0),
        ("child", 3.0, 4.0),
        ("child", 11.5, 14.0),
    ]
    assert turns[1].previous_speaker == "adult" and turns[1].gap_before_s < 0
    assert turns[2].previous_speaker == "adult" and turns[2].gap_before_s == pytest.approx(-0.5)


def test_two_voices_at_once_are_both_heard(media: Path) -> None:
    # A meeting where two to four people often speak together (the reference says when).
    speech = analyse_speech(media / "four_speaker_meeting.wav", load_settings())
    reference = read_rttm(media / "four_speaker_meeting.rttm")
    _, found, right = overlaps_found(reference, speech.who_speaks_when())
    assert found >= 0.4 and right >= 0.8  # measured: 53% of it found, 93% of that right


def test_turn_taking_in_numbers() -> None:
    said = [
        Said(Segment(0.0, 2.0), "person2", 2, "child"),
        Said(Segment(3.0, 4.0), "person1", 1, "adult"),  # the adult waits 1 s, then answers
        Said(Segment(4.5, 6.0), "person2", 2, "child"),
        Said(Segment(8.0, 9.0), "person1", 1, "adult"),  # waits 2 s this time
    ]
    speech = Speech(
        observable=True, duration_s=60.0, segments=said, turns=make_turns(said, 1.5, 20.0)
    )
    numbers = turn_taking(speech)
    assert numbers["exchanges"] == 3 and numbers["exchanges_per_minute"] == 3.0
    assert numbers["median_response_s"] == {"adult_to_child": 0.5, "child_to_adult": 1.5}
    assert numbers["adult_waits_s"] == {"count": 2, "median": 1.5, "total": 3.0}
    assert turn_taking(Speech(observable=False, duration_s=60.0)) == {"observable": False}


def test_phone_call_voice_activity_and_who_speaks(media: Path) -> None:
    speech = analyse_speech(media / "two_speaker_phone_call.wav", load_settings())
    reference = read_rttm(media / "two_speaker_phone_call.rttm")
    assert voice_activity_f1(reference, speech.speech) >= 0.95
    diarization = pytest.importorskip(
        "pyannote.metrics.diarization", reason="pyannote-metrics: `uv sync --all-groups` adds it"
    )
    der = diarization.DiarizationErrorRate(collar=0.25, skip_overlap=False)
    assert der(reference, speech.who_speaks_when()) <= 0.12
    assert len(speech.speakers) == 2


def test_home_recording_keeps_its_speech_and_hears_a_child(media: Path) -> None:
    speech = analyse_speech(media / "home_adult_child_voices.wav", load_settings())
    # A small child's babble and squeals and an adult's voice over room noise: nearly all
    # of the speech marked by hand is heard as speech.
    assert share_kept(HOME_SPEECH, speech.speech) >= 0.9
    assert any(s.role == "child" for s in speech.speakers)


def test_music_is_not_speech(media: Path) -> None:
    # adult_talking_head's sound is music with now and then a sung phrase.
    speech = analyse_speech(media / "adult_talking_head.mp4", load_settings())
    assert speech.speech.duration() <= 0.2 * speech.duration_s


def test_a_re_encoded_phone_call_still_has_two_voices(media: Path, tmp_path: Path) -> None:
    call = AudioReader(media / "two_speaker_phone_call.wav").read().samples
    for codec, name in (("pcm_s16le", "call.wav"), ("aac", "call.m4a")):
        speech = analyse_speech(write_sound(tmp_path / name, call, codec=codec), load_settings())
        assert len(speech.speakers) == 2, codec


def test_the_person_seen_speaking_is_named(media: Path, tmp_path: Path) -> None:
    adult, child = (
        load_clip(media / "adult_talking_head_2.mp4"),
        load_clip(media / "child_face_closeup.mp4"),
    )
    talks = TAKING_TURNS
    truth = side_by_side_conversation(adult, child, talks, tmp_path / "talk.mp4")
    observed = observe_film(tmp_path / "talk.mp4", load_settings())
    left = min(observed.people, key=lambda p: p.centre_x).person
    right = max(observed.people, key=lambda p: p.centre_x).person
    speech = analyse_speech(tmp_path / "talk.mp4", load_settings(), observed.observations)
    right_time = total = 0.0
    for start, end, who in truth:
        total += end - start
        for s in speech.segments:
            overlap = max(0.0, min(end, s.end) - max(start, s.start))
            right_time += overlap * (s.person == (left if who == 0 else right))
    assert right_time / total >= 0.85


def test_a_film_without_sound_has_no_observable_speech(tmp_path: Path) -> None:
    film = make_film(tmp_path / "mute.mp4", seconds=1.0)
    speech = analyse_speech(film, load_settings())
    assert not speech.observable and speech.turns == [] and speech.duration_s > 0
    done = vigvision("turns", str(film), "--out", str(tmp_path / "out"))
    assert done.returncode == 2 and "no sound track" in done.stderr and done.stderr.count("\n") == 1


def test_turns_command_on_a_sound_file(media: Path, tmp_path: Path) -> None:
    done = vigvision("turns", str(media / "two_speaker_phone_call.wav"), "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    rttm = read_rttm(tmp_path / "turns.rttm")
    assert len(rttm) > 3 and len(rttm.labels()) == 2
    header = (tmp_path / "turns.csv").read_text().splitlines()[0]
    assert header.startswith("start,end,speaker,person,role,gap_before_s")
    summary = json.loads((tmp_path / "speech.json").read_text())
    assert summary["turn_taking"]["exchanges"] >= 3 and len(summary["speakers"]) == 2


def test_music_under_the_picture_is_not_taken_for_people_talking(
    media: Path, tmp_path: Path
) -> None:
    # adult_talking_head's sound is mostly music: looped to 40 s it would read as one
    # endless voice. Then 30 s of a real two-person conversation.
    music = AudioReader(media / "adult_talking_head.mp4").read().samples
    talk = AudioReader(media / "two_speaker_phone_call.wav").read().samples
    track = np.concatenate([np.resize(music, 40 * 16000), talk]).astype(np.float32)
    path = write_sound(tmp_path / "music_then_talk.wav", track)
    speech = analyse_speech(path, load_settings())
    (unclear,) = speech.unclear
    assert unclear.start < 1.0 and unclear.end > 38.0  # the music, left out as not observable
    assert not speech.speech.overlapping(unclear.middle)  # no speech found in it
    assert all(said.start >= unclear.end for said in speech.speech)
    assert speech.speech.duration() > 15.0  # the conversation kept
    assert turn_taking(speech)["exchanges"] >= 3  # the turn passes in the conversation only
    assert all(turn.start >= unclear.end for turn in speech.turns)


def test_real_speech_is_never_taken_for_music(media: Path) -> None:
    for name in ("two_speaker_phone_call.wav", "four_speaker_meeting.wav"):
        assert not analyse_speech(media / name, load_settings()).unclear


def test_talk_after_loud_music_is_heard_again_within_seconds(media: Path, tmp_path: Path) -> None:
    # The listening model's memory could stay stuck on "not speech" for a minute after loud
    # music (0% of this talk was heard); it starts afresh every 10 s, so the home
    # conversation that follows is heard again from 10 s after the music at the latest.
    music = AudioReader(media / "adult_talking_head.mp4").read().samples
    home = AudioReader(media / "home_adult_child_voices.wav").read().samples
    track = np.concatenate([np.resize(music, 20 * 16000), home, home]).astype(np.float32)
    speech = analyse_speech(write_sound(tmp_path / "music_then_home.wav", track), load_settings())
    clip_s = len(home) / 16000
    marked = Timeline(
        [
            Segment(s.start + 20 + r * clip_s, s.end + 20 + r * clip_s)
            for r in (0, 1)
            for s in HOME_SPEECH
        ]
    )
    ten_s_after = marked.crop(Segment(30.0, 20 + 2 * clip_s))
    assert share_kept(ten_s_after, speech.speech) >= 0.85


def test_voiceprints_are_grouped_and_numbered_as_scikit_learn_would() -> None:
    from sklearn.cluster import AgglomerativeClustering

    from vigvision.voice.speakers import _close_prints

    rng = np.random.default_rng(7)
    # Three voices: prints scattered around three directions, and a few stray ones.
    centres = rng.normal(size=(3, 256))
    prints = np.concatenate(
        [centre + rng.normal(scale=0.6, size=(40, 256)) for centre in centres]
        + [rng.normal(size=(5, 256))]
    ).astype(np.float32)
    rng.shuffle(prints)
    for threshold in (0.2, 0.31, 0.5, 0.9):
        expected = AgglomerativeClustering(
            n_clusters=None, metric="cosine", linkage="average", distance_threshold=threshold
        ).fit_predict(prints)
        assert _close_prints(prints, threshold).tolist() == expected.tolist()
