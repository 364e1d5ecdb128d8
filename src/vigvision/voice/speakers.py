"""Who speaks: voices told apart by their sound, then matched to the people on screen.

Audio: a model of all the voices in the film (a GMM over MFCC frames) is fitted on the
film's own speech; each 1.5 s window is described by how it shifts that model (a GMM
"supervector"), the windows are grouped into voices, and a model per voice then re-labels
the speech frame by frame. Pictures: while a voice speaks, the mouth of the person it
belongs to moves; that ties voices to tracked people where faces are seen.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.ndimage import uniform_filter1d

from vigvision.config import VoiceSettings
from vigvision.observations import Observations
from vigvision.voice.activity import Intervals
from vigvision.voice.features import VoiceFeatures

_FRAME_S = 0.01
# Frames used at most to fit a model: more adds time, not accuracy.
_FIT_FRAMES = 20000
_SMOOTH_S = 0.7
# How closely a mouth's movement must follow the speech (correlation over the film) for
# the mouth to name a voice.
_MOUTH_FOLLOWS_SPEECH = 0.2
# Frames (10 ms) of speech and of silence a face must be seen through to be checked.
_COMPARE_FRAMES = 500


def _speech_mask(features: VoiceFeatures, speech: Intervals) -> NDArray[np.bool_]:
    mask = np.zeros(len(features.pitch_hz), bool)
    for start, end in speech:
        mask[features.index(start) : features.index(end)] = True
    return mask


def _windows(speech: Intervals, size: float, hop: float) -> list[tuple[float, float]]:
    windows = []
    for start, end in speech:
        t = start
        while True:
            windows.append((t, min(t + size, end)))
            if t + size >= end:
                break
            t += hop
    return windows


def _sample(frames: NDArray[np.float64], rng: np.random.Generator) -> NDArray[np.float64]:
    if len(frames) <= _FIT_FRAMES:
        return frames
    return np.asarray(frames[rng.choice(len(frames), _FIT_FRAMES, replace=False)], dtype=np.float64)


def label_voices(
    features: VoiceFeatures, speech: Intervals, settings: VoiceSettings
) -> NDArray[np.int64]:
    """The voice of every 10 ms frame (−1 outside speech), voices numbered 0, 1, …"""
    from sklearn.mixture import GaussianMixture  # imported here: slow, and only for listening

    mask = _speech_mask(features, speech)
    labels = np.full(len(mask), -1, np.int64)
    windows = _windows(speech, settings.window_s, settings.window_hop_s)
    if mask.sum() < 100 or len(windows) < 4:
        labels[mask] = 0
        return labels
    rng = np.random.default_rng(0)
    frames = features.mfcc.astype(np.float64)
    frames = (frames - frames[mask].mean(axis=0)) / (frames[mask].std(axis=0) + 1e-9)
    components = min(settings.voice_model_components, max(2, int(mask.sum()) // 50))
    background = GaussianMixture(
        components, covariance_type="diag", reg_covar=1e-3, max_iter=50, random_state=0
    )
    background.fit(_sample(frames[mask], rng))
    described = _supervectors(background, frames, features, windows)
    count, groups = _group(described, settings)
    votes = np.zeros((len(mask), count))
    for (start, end), group in zip(windows, groups, strict=True):
        votes[features.index(start) : features.index(end), group] += 1
    labels[mask] = votes[mask].argmax(axis=1)
    if count > 1:
        labels = _relabel_by_voice_models(frames, mask, labels, count, rng)
    return labels


def _supervectors(
    background: Any,
    frames: NDArray[np.float64],
    features: VoiceFeatures,
    windows: list[tuple[float, float]],
) -> NDArray[np.float64]:
    """Each window as the shift it gives the background model's means (MAP, relevance 16)."""
    posteriors = background.predict_proba(frames)
    scale = np.sqrt(background.weights_)[:, None] / np.sqrt(background.covariances_)
    described = []
    for start, end in windows:
        first, last = features.index(start), max(features.index(end), features.index(start) + 1)
        weights, x = posteriors[first:last], frames[first:last]
        counts = weights.sum(axis=0)
        means = (weights.T @ x) / np.maximum(counts[:, None], 1e-9)
        adapt = (counts / (counts + 16.0))[:, None]
        shift = adapt * (means - background.means_)
        described.append((shift * scale).ravel())
    return np.array(described)


def _group(
    described: NDArray[np.float64], settings: VoiceSettings
) -> tuple[int, NDArray[np.int64]]:
    """How many voices, and which one each window is (k-means on the reduced vectors)."""
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA
    from sklearn.metrics import silhouette_score
    from sklearn.preprocessing import normalize

    dims = min(20, len(described) - 1, described.shape[1])
    reduced = normalize(PCA(dims, random_state=0).fit_transform(described))
    best = (1, np.zeros(len(reduced), np.int64), settings.min_voice_separation)
    for count in range(2, min(settings.max_voices, len(reduced) - 1) + 1):
        groups = KMeans(count, n_init=10, random_state=0).fit_predict(reduced)
        if len(set(groups)) < count:
            continue
        # A sample keeps this linear in the film's length (the score is quadratic).
        size = min(len(reduced), 2000)
        separation = float(
            silhouette_score(reduced, groups, metric="cosine", sample_size=size, random_state=0)
        )
        if separation > best[2]:
            best = (count, groups.astype(np.int64), separation)
    return best[0], best[1]


def _relabel_by_voice_models(
    frames: NDArray[np.float64],
    mask: NDArray[np.bool_],
    labels: NDArray[np.int64],
    count: int,
    rng: np.random.Generator,
) -> NDArray[np.int64]:
    """A model per voice re-labels every speech frame, a few times over (re-segmentation)."""
    from sklearn.mixture import GaussianMixture

    for _ in range(5):
        likelihood = np.full((len(labels), count), -1e3)
        for voice in range(count):
            own = frames[labels == voice]
            if len(own) < 50:
                continue
            model = GaussianMixture(8, covariance_type="diag", reg_covar=1e-3, random_state=0)
            model.fit(_sample(own, rng))
            likelihood[:, voice] = model.score_samples(frames)
        likelihood = uniform_filter1d(likelihood, size=round(_SMOOTH_S / _FRAME_S), axis=0)
        new = np.where(mask, likelihood.argmax(axis=1), -1)
        if np.array_equal(new, labels):
            break
        labels = new
    return labels


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
        for row in range(len(people)):
            if _follows(activity[row], speech) < _MOUTH_FOLLOWS_SPEECH:
                activity[row] = np.nan
    speaker_at[:] = _most_active(activity, people, margin)
    return speaker_at


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
