"""Who speaks when: voice activity F1, diarization error rate, audio-visual naming, speed.

    uv run python benchmarks/turns.py [--minutes 45] [--only conversation,speed]
                                      [--set KEY=VALUE]

- two_speaker_phone_call.wav and four_speaker_meeting.wav against their reference RTTM:
  voice-activity F1 (10 ms frames) and DER (0.25 s collar, optimal speaker mapping, overlaps
  scored), with pyannote.metrics; the time two or more speak at once, and how much of it is
  heard as two voices at once; and × real time.
- home_adult_child_voices.wav: the share of its speech (marked by hand, see
  ``_common.HOME_SPEECH``) heard as speech; the voices found, their pitch and role.
- adult_talking_head.mp4 (music): the share of it taken for speech.
- The phone call re-encoded (16-bit PCM at 16 kHz, AAC): the number of voices found.
- A film composed from adult_talking_head_2.mp4 and child_face_closeup.mp4 side by side,
  taking turns to talk: the share of speech time given to the right person.
- A film of ``--minutes`` made by looping one_seated_gesturing.mp4 (with its sound): × real
  time of the audio analysis alone.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pyannote.metrics.diarization import DiarizationErrorRate
from tests.compose import TAKING_TURNS, load_clip, side_by_side_conversation
from tests.films import write_sound

from benchmarks._common import (
    HOME_SPEECH,
    MEDIA,
    looped_film,
    overlaps_found,
    run_quietly,
    share_kept,
    voice_activity_f1,
)
from vigvision.cli import parse_set
from vigvision.config import load_settings
from vigvision.film import AudioReader
from vigvision.observe import observe_film
from vigvision.turns import Speech
from vigvision.voice.formats import read_rttm
from vigvision.voice.listen import analyse_speech

SETTINGS = load_settings()
CONVERSATION = TAKING_TURNS


def timed(path: Path, **kwargs: object) -> tuple[Speech, float]:
    started = time.perf_counter()
    speech = analyse_speech(path, SETTINGS, **kwargs)  # type: ignore[arg-type]
    return speech, time.perf_counter() - started


def against_reference(name: str) -> None:
    speech, seconds = timed(MEDIA / f"{name}.wav")
    reference = read_rttm(MEDIA / f"{name}.rttm")
    f1 = voice_activity_f1(reference, speech.speech)
    hypothesis = speech.who_speaks_when()
    scoring = DiarizationErrorRate(collar=0.25, skip_overlap=False)
    der = scoring(reference, hypothesis, detailed=True)
    total = der["total"]
    parts = (
        f"confusion {der['confusion'] / total:.1%}, missed {der['missed detection'] / total:.1%}, "
        f"false alarm {der['false alarm'] / total:.1%}"
    )
    voices = f"{len(speech.speakers)} voices (reference {len(reference.labels())})"
    print(
        f"{name}: voice activity F1 {f1:.3f}; DER {der['diarization error rate']:.1%} ({parts}); "
        f"{voices}; {speech.duration_s / seconds:.0f}x real time"
    )
    together, found, right = overlaps_found(reference, hypothesis)
    print(
        f"{name}: {together:.1f} s with two or more speaking at once; {found:.0%} of it heard "
        f"as two voices at once, {right:.0%} of what is heard so right"
    )


def home() -> None:
    speech, _ = timed(MEDIA / "home_adult_child_voices.wav")
    spoken = speech.speech.duration()
    kept = share_kept(HOME_SPEECH, speech.speech)
    print(f"home_adult_child_voices: {kept:.0%} of the speech marked by hand heard as speech")
    voices = ", ".join(
        f"{s.speaker} {s.role} ({s.median_pitch_hz:.0f} Hz, {s.speech_s:.1f} s)"
        for s in speech.speakers
    )
    print(f"home_adult_child_voices: {spoken:.1f} s of speech; voices: {voices}")
    for segment in speech.segments:
        print(f"    {segment.start:6.2f}-{segment.end:6.2f} s  {segment.speaker} ({segment.role})")


def music() -> None:
    speech, _ = timed(MEDIA / "adult_talking_head.mp4")
    spoken = speech.speech.duration()
    print(f"adult_talking_head (music): {spoken / speech.duration_s:.0%} of it taken for speech")


def re_encoded() -> None:
    call = AudioReader(MEDIA / "two_speaker_phone_call.wav").read().samples
    with tempfile.TemporaryDirectory() as folder:
        for codec, name in (("pcm_s16le", "call.wav"), ("aac", "call.m4a")):
            path = write_sound(Path(folder) / name, call, codec=codec)
            speech, _ = timed(path)
            print(f"phone call re-encoded as {codec}: {len(speech.speakers)} voices (2 speak)")


def conversation() -> None:
    with tempfile.TemporaryDirectory() as folder:
        film = Path(folder) / "conversation.mp4"
        adult, child = (
            load_clip(MEDIA / "adult_talking_head_2.mp4"),
            load_clip(MEDIA / "child_face_closeup.mp4"),
        )
        truth = side_by_side_conversation(adult, child, CONVERSATION, film)
        observed = observe_film(film, SETTINGS)
        left = min(observed.people, key=lambda p: p.centre_x).person
        right = max(observed.people, key=lambda p: p.centre_x).person
        speech, _ = timed(film, observations=observed.observations)
    right_time = total = 0.0
    for start, end, who in truth:
        total += end - start
        expected = left if who == 0 else right
        for s in speech.segments:
            overlap = max(0.0, min(end, s.end) - max(start, s.start))
            right_time += overlap * (s.person == expected)
    share = right_time / total
    print(
        f"adult and child taking turns: the right person for {share:.0%} of {total:.1f} s of speech"
    )


def speed(minutes: float) -> None:
    film = looped_film("one_seated_gesturing.mp4", minutes)
    speech, seconds = timed(film)
    length, speed_up = speech.duration_s / 60, speech.duration_s / seconds
    print(f"{film.name}: {length:.0f} min of audio in {seconds:.1f} s = {speed_up:.0f}x real time")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--minutes", type=float, default=45.0, help="length of the film for the speed test"
    )
    parts = {
        "phone-call": lambda: against_reference("two_speaker_phone_call"),
        "meeting": lambda: against_reference("four_speaker_meeting"),
        "home": home,
        "music": music,
        "re-encoded": re_encoded,
        "conversation": conversation,
        "speed": lambda: speed(args.minutes),
    }
    parser.add_argument("--only", help=f"some of {','.join(parts)} (comma-separated)")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a setting other than the default (as vigvision --set)",
    )
    args = parser.parse_args()
    global SETTINGS
    SETTINGS = load_settings(overrides=parse_set(args.set))
    for name in args.only.split(",") if args.only else parts:
        parts[name]()


if __name__ == "__main__":
    run_quietly(main)
