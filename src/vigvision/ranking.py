"""From scored windows to a short list of candidate moments for the guider.

Best first: a window is taken unless it overlaps or comes too close to one taken before;
it grows over the windows next to it that score nearly as well (one good stretch, one
candidate: its bounds follow where the evidence starts and ends); its start and end move
to the nearest pause in speech, so nobody is cut off mid-sentence;
a window evidencing a principle already chosen counts a little less, so the list covers
the principles. The guider chooses among the candidates; the ranking only orders them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray
from pyannote.core import Segment, Timeline

from vigvision.config import SuggestSettings
from vigvision.spans import Spanned


@dataclass(frozen=True)
class Window(Spanned):
    span: Segment
    pair: int
    """Index of the adult-child pair in the film's list of pairs."""
    score: float
    principle: str
    """The principle the window evidences most."""
    found_as: Segment | None = None
    """The window as it was scored, before it grew into a whole moment."""


def snap_to_pauses(moment: Segment, speech: Timeline, reach_s: float) -> Segment:
    """The moment's start and end moved out of speech to the nearest pause within
    ``reach_s`` (if any), so nobody is cut off mid-sentence.

    >>> speech = Timeline([Segment(0.0, 2.5), Segment(9.0, 12.0)])
    >>> snap_to_pauses(Segment(2.0, 10.0), speech, reach_s=2.0)
    <Segment(0, 12)>
    >>> snap_to_pauses(Segment(2.0, 10.0), speech, reach_s=1.0)
    <Segment(2, 10)>
    """

    def outside(t: float, earlier: bool) -> float:
        for said in speech:
            if said.start < t < said.end:
                target = said.start if earlier else said.end
                return float(target) if abs(target - t) <= reach_s else t
        return t

    return Segment(outside(moment.start, earlier=True), outside(moment.end, earlier=False))


def rank(
    windows: list[Window], speech: Timeline, settings: SuggestSettings, duration_s: float, top: int
) -> list[Window]:
    """Up to ``top`` candidates: apart, snapped to pauses, scores non-increasing by rank."""
    if not windows:
        return []
    scores = np.array([w.score for w in windows])
    starts = np.array([w.start for w in windows])
    ends = np.array([w.end for w in windows])
    names = sorted({w.principle for w in windows})
    principle = np.array([names.index(w.principle) for w in windows])
    times_used = np.zeros(len(names))
    open_ = np.ones(len(windows), dtype=bool)
    chosen: list[Window] = []
    while open_.any() and len(chosen) < top:
        penalised = scores * (1 - settings.repeat_principle_penalty) ** times_used[principle]
        index = int(np.argmax(np.where(open_, penalised, -np.inf)))
        best = windows[index]
        open_[index] = False
        whole = _whole_moment(index, windows, scores, open_, settings)
        span = snap_to_pauses(whole, speech, settings.snap_to_pause_s) & Segment(0.0, duration_s)
        if not settings.min_len_s <= span.duration <= settings.max_len_s:
            span = whole
        candidate = replace(best, span=span, score=float(penalised[index]), found_as=best.span)
        if any(_too_close(candidate, other, settings.min_gap_s) for other in chosen):
            continue
        chosen.append(candidate)
        times_used[principle[index]] += 1
        # Windows too close to this one can never be taken: set them aside at once.
        gap = settings.min_gap_s
        open_ &= ~((starts < candidate.end + gap) & (candidate.start < ends + gap))
    # Penalties only grow as candidates are taken: scores come out non-increasing.
    return chosen


def _whole_moment(
    index: int,
    windows: list[Window],
    scores: NDArray[np.float64],
    open_: NDArray[np.bool_],
    settings: SuggestSettings,
) -> Segment:
    """The best window grown over the open windows of its pair that touch it and score
    at least ``whole_moment_share`` of it, up to ``max_len_s``."""
    best = windows[index]
    start, end = best.start, best.end
    good = scores >= settings.whole_moment_share * scores[index]
    ranked = sorted(
        (
            i
            for i in np.flatnonzero(open_ & good)
            if windows[i].pair == best.pair
            and windows[i].start < best.end + settings.max_len_s
            and windows[i].end > best.start - settings.max_len_s
        ),
        key=lambda i: -scores[i],
    )
    grown = True
    while grown:
        grown = False
        for i in ranked:
            other = windows[i]
            touches = other.start <= end and other.end >= start
            wider = other.start < start or other.end > end
            if touches and wider:
                new_start, new_end = min(start, other.start), max(end, other.end)
                if new_end - new_start <= settings.max_len_s:
                    start, end, grown = new_start, new_end, True
    return Segment(start, end)


def _too_close(a: Window, b: Window, gap: float) -> bool:
    return a.start < b.end + gap and b.start < a.end + gap


def window_starts(duration_s: float, length: float, step: float) -> NDArray[np.float64]:
    """Starts of windows of ``length`` every ``step`` seconds inside the film."""
    if duration_s < length:
        return np.zeros(0)
    return np.arange(0.0, duration_s - length + 1e-9, step)
