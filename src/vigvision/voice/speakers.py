"""Who speaks: voices told apart by their sound, then matched to the people on screen.

Audio: every 1.5 s of speech (every 0.25 s) gets a voiceprint from a trained voice encoder
(``voice.embedding``); voiceprints that lie close together are one voice, and how many
voices there are follows from how far apart they lie (agglomerative clustering with a
threshold, no fixed count). Each 10 ms of speech then goes to the voice whose prints cover
it most. Where two people speak at once, a trained segmentation model
(``voice.segmentation``) hears both: the second is the voice its other speaker is heard as
where they speak alone. Pictures: while a voice speaks, the mouth of the person it belongs
to moves; that ties voices to tracked people where faces are seen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray
from pyannote.core import Segment, Timeline

from vigvision.config import VoiceSettings
from vigvision.observations import Observations
from vigvision.voice.embedding import embed, mel_power
from vigvision.voice.features import HOP, RATE, Sound, VoiceFeatures
from vigvision.voice.segmentation import (
    FRAME,
    FRAMES,
    LOCAL_VOICES,
    LocalVoices,
    chunk_starts,
    local_voices,
)

# How closely a mouth's movement must follow the speech (correlation over the film) for
# the mouth to name a voice, with two people in view (fewer with more: mouth_must_follow).
_MOUTH_FOLLOWS_SPEECH: Final = 0.2
# Frames (10 ms) of speech and of silence a face must be seen through to be checked.
_COMPARE_FRAMES: Final = 500
# Voiceprints clustered at most (evenly chosen over the film); the rest join the nearest
# voice. Clustering grows with the square of their number.
_CLUSTERED: Final = 1500
# Prints of shorter speech than this (seconds) are not clustered, only assigned.
_RELIABLE_S: Final = 1.0
# A voice the segmentation model hears alone for less than this (seconds) in a chunk is not
# matched to a voice of the film.
_MATCHED_S: Final = 0.3
# A model frame's centre, in samples from its start.
_FRAME_CENTRE: Final = 495


@dataclass(frozen=True)
class VoiceLabels:
    """Who speaks in each 10 ms frame: voices 0, 1, … in the order they are first heard."""

    first: NDArray[np.int64]
    """The voice heard there (−1: no speech)."""
    second: NDArray[np.int64]
    """Another voice speaking at the same time (−1: none)."""


def _windows(speech: Timeline, size: float, hop: float) -> list[Segment]:
    """Stretches of ``size`` seconds every ``hop`` seconds inside each stretch of speech."""
    windows = []
    for said in speech:
        t = said.start
        while True:
            windows.append(Segment(t, min(t + size, said.end)))
            if t + size >= said.end:
                break
            t += hop
    return windows


def label_voices(
    samples: Sound,
    features: VoiceFeatures,
    speech: Timeline,
    settings: VoiceSettings,
) -> VoiceLabels:
    """Who speaks in every 10 ms frame of ``features`` (−1 outside speech).

    ``samples`` are the 16 kHz sound the features describe (from ``features.t0``).
    """
    labels = np.full(len(features.pitch_hz), -1, np.int64)
    mask = np.zeros(len(labels), bool)
    for start, end in speech:
        mask[features.index(start) : features.index(end)] = True
    windows = _windows(speech, settings.window_s, settings.window_hop_s)
    if not windows:
        return VoiceLabels(labels, labels.copy())
    spans = [(features.index(a), max(features.index(b), features.index(a) + 1)) for a, b in windows]
    prints = embed(mel_power(samples), samples, spans)
    groups = _voices_of(prints, spans, settings)
    votes = np.zeros((len(labels), int(groups.max()) + 1))
    for (first, last), group in zip(spans, groups, strict=True):
        votes[first:last, group] += 1
    labels[mask] = votes[mask].argmax(axis=1)
    labels = _numbered_by_first_word(labels)
    if labels.max() < 1:  # one voice: nobody else to hear at the same time
        return VoiceLabels(labels, np.full(len(labels), -1, np.int64))
    heard = local_voices(
        samples, chunk_starts(len(samples), speech, settings.segment_step_s, features.t0)
    )
    return VoiceLabels(labels, _second_voices(labels, heard))


def _second_voices(labels: NDArray[np.int64], heard: LocalVoices) -> NDArray[np.int64]:
    """Per 10 ms frame, the voice heard at the same time as ``labels``' (−1: none).

    Each voice of each 10 s chunk the segmentation model heard is the film's voice it is
    labelled as most where it speaks alone; where the chunks that heard a frame say two
    speak at once, the second is the other voice heard most there.
    """
    count, voices = len(labels), int(labels.max()) + 1
    # The model frame of each 10 ms frame.
    model_frame = np.round((np.arange(count) * HOP + HOP / 2 - _FRAME_CENTRE) / FRAME)
    model_frame = np.maximum(model_frame, 0).astype(np.int64)
    frames = int(model_frame[-1]) + FRAMES + 1
    activity = np.zeros((frames, voices))
    speakers = np.zeros(frames)
    covered = np.zeros(frames)
    for chunk, start in enumerate(heard.starts):
        first = round(int(start) / FRAME)
        speaking = heard.speaking[chunk]
        covered[first : first + FRAMES] += 1
        speakers[first : first + FRAMES] += speaking.sum(axis=1)
        # The 10 ms frame of each of the chunk's model frames.
        at = np.minimum(((first + np.arange(FRAMES)) * FRAME + _FRAME_CENTRE) // HOP, count - 1)
        alone = speaking & (speaking.sum(axis=1, keepdims=True) == 1)
        for local in range(LOCAL_VOICES):
            said = labels[at[alone[:, local]]]
            said = said[said >= 0]
            if len(said) * FRAME / RATE < _MATCHED_S:
                continue
            voice = int(np.bincount(said).argmax())
            activity[first : first + FRAMES, voice] += speaking[:, local]
    covered = np.maximum(covered, 1)
    activity /= covered[:, None]
    together = np.rint(speakers / covered) >= 2
    at_frame = activity[model_frame]
    # The voice heard most there besides the one already labelled.
    at_frame[np.arange(count), np.maximum(labels, 0)] = 0.0
    second = np.argmax(at_frame, axis=1)
    heard_too = (labels >= 0) & together[model_frame] & (at_frame.max(axis=1) > 0)
    return np.where(heard_too, second, -1).astype(np.int64)


def _voices_of(
    prints: NDArray[np.float32], spans: list[tuple[int, int]], settings: VoiceSettings
) -> NDArray[np.int64]:
    """The voice of each print: clusters of close prints, the smallest merged away.

    Only prints of at least a second of speech are clustered (shorter ones say little of
    whose voice it is); every print then joins the voice whose centre it is closest to.
    """
    lengths = np.array([(last - first) / 100 for first, last in spans])
    reliable = np.flatnonzero(lengths >= _RELIABLE_S)
    if len(reliable) < 2:
        return np.zeros(len(prints), np.int64)
    chosen = reliable[np.unique(np.linspace(0, len(reliable) - 1, _CLUSTERED).round().astype(int))]
    found = _close_prints(prints[chosen], 1.0 - settings.same_voice_similarity)
    # Each clustered print stands for the speech between it and the next one.
    heard_per_print = len(reliable) / len(chosen) * settings.window_hop_s
    # A voice must be heard for min_voice_s, and in a short recording for a tenth of its
    # speech (never more than five times min_voice_s: a quiet child in a long film counts).
    needed = min(
        max(settings.min_voice_s, 0.1 * len(reliable) * settings.window_hop_s),
        5 * settings.min_voice_s,
    )
    while True:
        sizes = np.bincount(found)
        smallest = int(np.argmin(np.where(sizes > 0, sizes, np.iinfo(np.int64).max)))
        alive = np.flatnonzero(sizes > 0)
        # A "voice" heard for a moment only is a part of another (a laugh, a shout).
        if len(alive) < 2 or sizes[smallest] * heard_per_print >= needed:
            break
        others = [g for g in alive if g != smallest]
        centres = _unit(np.array([prints[chosen[found == g]].mean(axis=0) for g in others]))
        mine = found == smallest
        found[mine] = np.array(others)[np.argmax(prints[chosen[mine]] @ centres.T, axis=1)]
    alive = np.flatnonzero(np.bincount(found) > 0)
    centres = _unit(np.array([prints[chosen[found == g]].mean(axis=0) for g in alive]))
    return np.asarray(np.argmax(prints @ centres.T, axis=1), dtype=np.int64)


def _close_prints(prints: NDArray[np.float32], threshold: float) -> NDArray[np.int64]:
    """Clusters of prints (average linkage, cosine distance) merged while closer than
    ``threshold``, numbered as scikit-learn's ``AgglomerativeClustering`` numbers them.

    SciPy builds the tree, as scikit-learn does when asked; its import (2.4 s and 83 MB)
    is spared. The numbering matters: where two voices' prints tie over a 10 ms frame, the
    lower number has it (another numbering moved 0.4% of the benchmark films' speech).
    """
    import heapq

    from scipy.cluster.hierarchy import linkage

    leaves = len(prints)
    tree = linkage(prints.astype(np.float64), method="average", metric="cosine")
    children = tree[:, :2].astype(np.int64)
    clusters = int(np.count_nonzero(tree[:, 2] >= threshold)) + 1
    # The tree cut as scikit-learn cuts it: the latest merge undone, again and again.
    nodes = [-(int(children[-1].max()) + 1)]
    for _ in range(clusters - 1):
        first, second = children[-nodes[0] - leaves]
        heapq.heappush(nodes, -int(first))
        heapq.heappushpop(nodes, -int(second))
    found = np.zeros(leaves, np.int64)
    for number, node in enumerate(nodes):
        below = [-node]
        while below:
            at = below.pop()
            if at < leaves:
                found[at] = number
            else:
                below.extend(int(c) for c in children[at - leaves])
    return found


def _unit(vectors: NDArray[np.float32]) -> NDArray[np.float32]:
    norms = np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return np.asarray(vectors / norms, dtype=np.float32)


def _numbered_by_first_word(labels: NDArray[np.int64]) -> NDArray[np.int64]:
    """Voices renumbered 0, 1, … in the order they are first heard (stable, readable)."""
    order: dict[int, int] = {}
    for voice in labels[labels >= 0]:
        order.setdefault(int(voice), len(order))
    lookup = np.full(int(labels.max()) + 2 if len(labels) else 1, -1, np.int64)
    for old, new in order.items():
        lookup[old] = new
    return np.where(labels >= 0, lookup[labels], -1)


def seen_speaking(
    times: NDArray[np.float64],
    observations: Observations | None,
    margin: float,
    voices: NDArray[np.int64] | None = None,
    window_s: float = 1.0,
) -> NDArray[np.int64]:
    """At each time, the person whose mouth clearly moves most (0 where nobody clearly does).

    Only mouths whose movement follows one of the ``voices`` (voice per time, −1 silent)
    over the film count. A
    person's mouth activity is the spread of their mouth opening over ``window_s`` around
    each analysed frame; it must exceed everyone else's by ``margin``. A face not seen at
    a time gives no evidence either way.
    """
    speaker_at = np.zeros(len(times), np.int64)
    if observations is None or len(observations) == 0 or len(times) == 0:
        return speaker_at
    people = observations.people
    activity = np.full((len(people), len(times)), np.nan)
    for row, person in enumerate(people):
        rows = observations.of_person(person)
        t, mouth = rows["t"], rows["mouth_open"]
        seen = np.isfinite(mouth)
        t, mouth = t[seen], mouth[seen]
        if len(t) < 2:
            continue
        spread = np.array([np.std(mouth[np.abs(t - centre) <= window_s / 2]) for centre in t])
        step = float(np.median(np.diff(t))) if len(t) > 1 else 0.2
        nearest = np.clip(np.searchsorted(t, times), 1, len(t) - 1)
        nearer = np.where(
            np.abs(t[nearest - 1] - times) < np.abs(t[nearest] - times), nearest - 1, nearest
        )
        near = np.abs(t[nearer] - times) <= 1.5 * step
        activity[row] = np.where(near, spread[nearer], np.nan)
    if voices is not None:
        # A mouth counts only if it moves more while someone speaks than in silence: a face
        # talking on a loop, or chewing, moves whether or not a voice is heard.
        speech = voices >= 0
        seen_for = [len(observations.of_person(person)) for person in people]
        talkers = sum(frames >= 0.2 * max(seen_for) for frames in seen_for)
        needed = mouth_must_follow(talkers, float(speech.mean()))
        for row in range(len(people)):
            if _follows(activity[row], speech) < needed:
                activity[row] = np.nan
    speaker_at[:] = _most_active(activity, people, margin)
    return speaker_at


def mouth_must_follow(talkers: int, speaking_share: float) -> float:
    """How closely a speaking mouth must follow the speech heard (correlation) to count.

    With ``talkers`` people in view sharing the talk, each is still while the others speak:
    a mouth moving exactly while its own voice is heard correlates with all the speech by
    sqrt((1 − s) / (k − s)) (s: the share of time with speech). The bar falls by as much
    from its value for two people: in a group, someone speaking a quarter of the time is
    not a face talking on a loop.

    >>> round(mouth_must_follow(talkers=2, speaking_share=0.6), 3)
    0.2
    >>> round(mouth_must_follow(talkers=3, speaking_share=0.6), 3)
    0.153
    """
    k, share = max(2, talkers), min(max(speaking_share, 0.0), 0.99)
    return _MOUTH_FOLLOWS_SPEECH * math.sqrt((2 - share) / (k - share))


def _most_active(
    activity: NDArray[np.float64], people: list[int], margin: float
) -> NDArray[np.int64]:
    """Per time, the person whose mouth moves clearly more than everyone else's (else 0)."""
    speaker_at = np.zeros(activity.shape[1], np.int64)
    filled = np.where(np.isfinite(activity), activity, -np.inf)
    ranked = np.sort(filled, axis=0)
    best = np.argmax(filled, axis=0)
    if len(people) > 1:
        runner_up = np.where(np.isfinite(ranked[-2]), ranked[-2], 0.0)
    else:
        runner_up = np.zeros(activity.shape[1])
    clear = np.isfinite(ranked[-1]) & (ranked[-1] - runner_up >= margin)
    speaker_at[clear] = np.array(people)[best[clear]]
    return speaker_at


def _follows(activity: NDArray[np.float64], speech: NDArray[np.bool_]) -> float:
    """Correlation between a mouth's activity and speech being heard, while it is seen.

    1 (no evidence against) unless the face was seen through at least ``_COMPARE_FRAMES``
    of speech and of silence, the only way to tell whether it moves with the voices.
    """
    seen = np.isfinite(activity)
    heard, quiet = int((speech & seen).sum()), int((~speech & seen).sum())
    if min(heard, quiet) < _COMPARE_FRAMES or np.std(activity[seen]) == 0:
        return 1.0
    return float(np.corrcoef(activity[seen], speech[seen].astype(float))[0, 1])


def owners_of_voices(labels: NDArray[np.int64], seen: NDArray[np.int64]) -> dict[int, int]:
    """Voice → the person it was seen speaking as most of the time (over half of it)."""
    time_seen: dict[int, dict[int, float]] = {}
    for voice in sorted(set(labels[labels >= 0].tolist())):
        people, counts = np.unique(seen[(labels == voice) & (seen > 0)], return_counts=True)
        time_seen[voice] = {int(p): float(c) for p, c in zip(people, counts, strict=True)}
    owners = {}
    for voice, by_person in time_seen.items():
        if not by_person:
            continue
        person, spoken = max(by_person.items(), key=lambda item: item[1])
        if spoken > 0.5 * sum(by_person.values()):
            owners[voice] = person
    return owners
