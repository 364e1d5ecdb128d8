"""Listening to a film: where there is speech, whose voice each moment is, and which
person of the film each voice belongs to (the face seen speaking, else the pitch).

sound ──voice activity──▶ speech ──voiceprints──▶ voices ──faces──▶ speakers, turns
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from pyannote.core import Segment

from vigvision.config import Settings, VoiceSettings
from vigvision.film import AudioReader, FilmInfo, probe
from vigvision.observations import Observations
from vigvision.turns import Said, Speaker, Speech, Voices, make_turns
from vigvision.voice.activity import loud_non_speech, speech_intervals, voice_frames
from vigvision.voice.features import HOP, RATE, VoiceFeatures, describe
from vigvision.voice.runtime import let_go_of_models
from vigvision.voice.speakers import label_voices, owners_of_voices, seen_speaking

# Runs of one voice shorter than this (seconds) are too short to say whose they are.
_MIN_SEGMENT_S = 0.1
# Voice and person of a frame packed into one number (person ids stay below this).
_PEOPLE = 10_000


def analyse_speech(
    path: Path,
    settings: Settings,
    observations: Observations | None = None,
    progress: Callable[[float], None] | None = None,
    *,
    info: FilmInfo | None = None,
) -> Speech:
    """Who speaks when in a film or a sound file; faces (if given) name the voices."""
    return name_voices(hear_voices(path, settings, progress, info=info), settings, observations)


def hear_voices(
    path: Path,
    settings: Settings,
    progress: Callable[[float], None] | None = None,
    *,
    info: FilmInfo | None = None,
) -> Voices | Speech:
    """The voices of a sound track (a ``Speech`` without observable sound when it has none).

    ``info``: the file's probe, when the caller has it (the file is then not read again
    for its hash)."""
    info = info or probe(path)
    if not info.has_audio:
        return Speech(observable=False, duration_s=info.duration_s)
    try:
        return _voices_heard(path, info, settings, progress)
    finally:
        let_go_of_models()


def _voices_heard(
    path: Path, info: FilmInfo, settings: Settings, progress: Callable[[float], None] | None
) -> Voices | Speech:
    reader = AudioReader.from_settings(path, settings.audio)
    # Into one array as they come: chunks joined at the end would hold the sound twice. In
    # 16-bit floats: half the memory (96 MB for 50 minutes); their rounding (a 2000th of
    # each sample) lies far below a sound codec's own noise. Each step reads its pieces
    # as 32-bit floats.
    samples = np.zeros(math.ceil((info.duration_s + 1) * reader.sample_rate), np.float16)
    t0, filled = None, 0
    for chunk in reader:
        t0 = chunk.t if t0 is None else t0
        if filled + len(chunk.samples) > len(samples):
            samples = np.concatenate([samples, np.zeros_like(samples)])
        samples[filled : filled + len(chunk.samples)] = chunk.samples
        filled += len(chunk.samples)
        if progress is not None:
            progress(chunk.end)
    if t0 is None:
        return Speech(observable=True, duration_s=info.duration_s)
    samples = samples[:filled]
    voice = settings.voice
    # Pitch and spectrum are worked out on another core while Silero hears the speech.
    with ThreadPoolExecutor(1, thread_name_prefix="vigvision-describe") as pool:
        described = pool.submit(describe, samples, t0)
        frames = voice_frames(samples, t0)
        features = described.result()
    heard = speech_intervals(frames, voice)
    # A phrase now and then inside music is the music's (a singer, a jingle), not a person's.
    unclear = loud_non_speech(frames, heard, voice)
    speech = heard.extrude(unclear)
    labels = label_voices(samples, features, speech, voice)
    return Voices(info.duration_s, speech, unclear, features, labels)


def name_voices(
    voices: Voices | Speech, settings: Settings, observations: Observations | None = None
) -> Speech:
    """Who speaks when: each voice named by the face seen speaking with it, or by its pitch."""
    if isinstance(voices, Speech):
        return voices
    features, labels, voice = voices.features, voices.labels.first, settings.voice
    # Each 10 ms of speech is said by the person seen speaking then (a positive id); else it
    # stays its voice's, with the person that voice was most often seen as (a negative id):
    # two voices taking turns stay two speakers even when both were once seen on one face.
    times = features.t0 + np.arange(len(labels)) * (HOP / RATE)
    seen = seen_speaking(times, observations, voice.mouth_margin, voices=labels)
    owners = owners_of_voices(labels, seen)
    owner_of_frame = np.array([-owners.get(int(v), 0) for v in labels], np.int64)
    person_of_frame = np.where(labels < 0, 0, np.where(seen > 0, seen, owner_of_frame))
    codes = np.where(labels < 0, -1, labels * (2 * _PEOPLE) + person_of_frame + _PEOPLE)
    names = _name_speakers(features, labels, person_of_frame, observations, settings)
    segments = []
    for start, end, code in _runs(features, codes):
        who = names[(code // (2 * _PEOPLE), code % (2 * _PEOPLE) - _PEOPLE)]
        segments.append(
            Said(
                Segment(start, end),
                who.speaker,
                who.person,
                who.role,
                *melody(features, start, end),
            )
        )
    # A second voice heard at the same time (they speak at once) is named as that voice is
    # elsewhere; a voice never heard but under another is nobody's. (Its pitch is not its
    # own alone: none is given.)
    named = _names_of_voices(names, owners)
    segments += [
        Said(Segment(start, end), named[v].speaker, named[v].person, named[v].role)
        for start, end, v in _runs(features, voices.labels.second)
        if v in named
    ]
    segments.sort(key=lambda s: (s.start, s.end))
    # A voice whose every run was too short to keep is nobody's.
    kept = {segment.speaker for segment in segments}
    speakers = {s.speaker: s for s in names.values() if s.speaker in kept}
    return Speech(
        observable=True,
        duration_s=voices.duration_s,
        speech=voices.speech,
        segments=segments,
        turns=make_turns(segments, voice.turn_gap_s, voice.monologue_s),
        speakers=sorted(speakers.values(), key=lambda s: s.speaker),
        unclear=voices.unclear,
    )


def _names_of_voices(
    names: dict[tuple[int, int], Speaker], owners: dict[int, int]
) -> dict[int, Speaker]:
    """Each voice's speaker: the one of its likely owner, else the one it is heard as most."""
    named = {}
    for voice in {v for v, _ in names}:
        mine = {pid: speaker for (v, pid), speaker in names.items() if v == voice}
        unseen = mine.get(-owners.get(voice, 0))
        named[voice] = unseen or max(mine.values(), key=lambda speaker: speaker.speech_s)
    return named


def _runs(features: VoiceFeatures, labels: NDArray[np.int64]) -> list[tuple[float, float, int]]:
    """Runs of one label (−1: silence) as (start, end, label), in seconds."""
    runs = []
    step = HOP / RATE
    padded = np.concatenate([[-1], labels, [-1]])
    changes = np.flatnonzero(padded[1:] != padded[:-1])
    for first, last in itertools.pairwise(changes):
        voice = int(padded[first + 1])
        if voice < 0 or (last - first) * step < _MIN_SEGMENT_S:
            continue
        runs.append((features.t0 + first * step, features.t0 + last * step, voice))
    return runs


def _name_speakers(
    features: VoiceFeatures,
    labels: NDArray[np.int64],
    person_of_frame: NDArray[np.int64],
    observations: Observations | None,
    settings: Settings,
) -> dict[tuple[int, int], Speaker]:
    """A speaker per person seen speaking, and per voice otherwise (with its likely owner).

    Keyed by (voice, id): a positive id is a person seen speaking, a negative one the owner
    of an unseen voice, 0 nobody.
    """
    roles: dict[int, str] = {}
    if observations is not None:
        for someone in observations.people:
            roles[someone] = str(observations.of_person(someone)["role"][0])
    step = HOP / RATE
    frames: dict[str, NDArray[np.bool_]] = {}
    keys: dict[tuple[int, int], str] = {}
    owner: dict[str, int | None] = {}
    for voice in sorted(set(labels[labels >= 0].tolist())):
        for pid in sorted(set(person_of_frame[labels == voice].tolist())):
            name = f"person{pid}" if pid > 0 else f"voice_{voice + 1}"
            keys[(voice, pid)] = name
            owner[name] = pid if pid > 0 else (-pid if pid < 0 else owner.get(name))
            mine = (labels == voice) & (person_of_frame == pid)
            frames[name] = frames[name] | mine if name in frames else mine
    pitches = {name: _median_pitch(features, mask) for name, mask in frames.items()}
    heard = [p for p in pitches.values() if math.isfinite(p)]
    speakers: dict[str, Speaker] = {}
    for name, mask in frames.items():
        person = owner[name]
        if person is not None and roles.get(person, "unknown") != "unknown":
            role, reason = roles[person], f"person {person}"
        else:
            role, reason = role_from_pitch(pitches[name], heard, settings.voice)
        speakers[name] = Speaker(
            name, person, role, reason, pitches[name], float(mask.sum()) * step
        )
    return {key: speakers[name] for key, name in keys.items()}


# A stretch's melody is measured only from this much voiced speech (seconds).
_MIN_VOICED_S = 0.3


def melody(features: VoiceFeatures, start: float, end: float) -> tuple[float, float]:
    """Median pitch (Hz) of [start, end) and its range in semitones (10th to 90th percentile).

    A pitch tracker now and then finds twice or half the true pitch (an octave error): a
    frame further than 9 semitones from the stretch's median is taken an octave nearer it.
    """
    pitch = features.pitch_hz[features.index(start) : features.index(end)]
    pitch = pitch[np.isfinite(pitch)]
    if len(pitch) * HOP / RATE < _MIN_VOICED_S:
        return math.nan, math.nan
    middle = float(np.median(pitch))
    semitones = 12 * np.log2(pitch / middle)
    semitones = semitones - 12 * np.round(semitones / 12) * (np.abs(semitones) > 9)
    low, high = np.percentile(semitones, [10, 90])
    return middle, float(high - low)


def _median_pitch(features: VoiceFeatures, mask: NDArray[np.bool_]) -> float:
    pitch = features.pitch_hz[: len(mask)][mask[: len(features.pitch_hz)]]
    pitch = pitch[np.isfinite(pitch)]
    return float(np.median(pitch)) if len(pitch) else math.nan


def role_from_pitch(
    pitch: float, film_pitches: list[float], settings: VoiceSettings
) -> tuple[str, str]:
    """Adult or child from a voice's median pitch, and from the other voices of the film."""
    if not math.isfinite(pitch):
        return "unknown", "no pitch heard"
    if pitch >= settings.child_pitch_hz:
        return "child", f"high voice ({pitch:.0f} Hz)"
    if pitch <= settings.adult_pitch_hz:
        return "adult", f"low voice ({pitch:.0f} Hz)"
    if any(other >= settings.higher_voice * pitch for other in film_pitches):
        return "adult", f"voice ({pitch:.0f} Hz) lower than a child's in the film"
    return "unknown", f"voice ({pitch:.0f} Hz) could be an adult's or a child's"
