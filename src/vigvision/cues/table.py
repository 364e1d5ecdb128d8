"""All cues of one adult-child pair on the grid: the ``cues.csv`` of a film."""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vigvision.cues import attention, exchange, hands, imitation, shared, warmth
from vigvision.cues.grid import Grid, Series, apart, sample, unheard
from vigvision.cues.pairs import Pair
from vigvision.observations import Observations
from vigvision.turns import Said, Speech, Turn

# The observation of a person counts for an instant this far away at most (seconds).
_REACH_S = 0.3
# Hands are read with the body pose, every 2 s while they are near someone else's
# (perception.hands_every_s): a reading counts for the second either side of it.
_HANDS_REACH_S = 1.0
# Turns with the hands go on within this many seconds of passing (either side).
_HAND_TURN_REACH_S = 3.0
# A child initiative: the child speaks first after this much silence (seconds).
_INITIATIVE_PAUSE_S = 1.0
# An adult's smile or nod within this long after the child acts (speaks after a pause,
# turns to look somewhere, moves their hands) receives it (seconds). Acts closer together
# than this are one.
_RECEIVE_WITHIN_S = 2.0
_SMILING = 0.4
_NODDING_DEG_S = 25.0
# A conversation goes on within this many seconds of the turn passing (either side).
_TURN_REACH_S = 2.0
# A turn shorter than this (seconds) is a backchannel ("mm", "yes"): it does not take the floor.
_BACKCHANNEL_S = 0.6
# Facing each other at least this much (0-1) counts as face to face.
_FACING = 0.4
# Cues that come from hearing who speaks.
_HEARD = (
    "turn_exchange",
    "overlapping_speech",
    "adult_answers_after_s",
    "taking_turns",
    "taking_turns_face_to_face",
    "response_gap_s",
    "adult_speaks",
    "child_speaks",
    "child_initiative",
    "adult_waits_s",
    "voice_warmth",
)


@dataclass(frozen=True)
class PairCues:
    """Named cue series of one pair on one grid."""

    pair: Pair
    grid: Grid
    cues: dict[str, Series]

    def coverage(self, name: str) -> float:
        """Share of the grid where the cue could be observed."""
        return float(np.isfinite(self.cues[name]).mean()) if len(self.grid) else 0.0


def pair_cues(
    pair: Pair,
    observations: Observations,
    speech: Speech,
    grid: Grid,
    *,
    short_sounds_are_turns: bool = False,
) -> PairCues:
    """The cues of one pair. ``short_sounds_are_turns``: a sound too short to be more than
    "mm" between adults still takes a turn (a baby's coo answered: proto-conversation)."""
    # Each person's rows are picked once: every cue samples a column of them.
    rows = {person: observations.of_person(person) for person in (pair.adult, pair.child)}

    sampled: dict[tuple[int, str], Series] = {}

    def of(person: int, column: str) -> Series:
        # Many cues read the same column (motion, smile, nods): each is sampled once.
        if (person, column) not in sampled:
            if person not in rows:  # someone else's voice, checked for being in view
                rows[person] = observations.of_person(person)
            sampled[person, column] = sample(grid, rows[person], person, column, _REACH_S)
        return sampled[person, column]

    def in_view(person: int, t: float) -> bool:
        return bool(np.isfinite(of(person, "x")[grid.index_of(t)]))

    a, c = pair.adult, pair.child
    centre_x = {p: of(p, "x") + of(p, "w") / 2 for p in (a, c)}
    centre_y = {p: of(p, "y") + of(p, "h") / 2 for p in (a, c)}
    towards = {}
    for me, other in ((a, c), (c, a)):
        head = attention.turned_towards(of(me, "facing_dx"), centre_x[me], centre_x[other])
        torso = attention.turned_towards(of(me, "body_dx"), centre_x[me], centre_x[other])
        towards[me] = attention.towards_with_body(head, torso)
    face_w = _mean_of(of(a, "w"), of(c, "w"))
    face_h = _mean_of(of(a, "h"), of(c, "h"))
    distance = attention.distance_in_faces(
        centre_x[a], centre_y[a], centre_x[c], centre_y[c], face_w
    )
    cues: dict[str, Series] = {
        "facing_each_other": attention.facing_each_other(towards[a], towards[c]),
        "closeness": attention.closeness(distance),
        "distance_faces": distance,
        # Each one's motion energy: their movement synchrony is a window feature.
        "motion_first": of(a, "motion"),
        "motion_second": of(c, "motion"),
    }
    # Where each looks, from the middle of their face, in face sizes (see cues.shared).
    at = {p: (centre_x[p] / face_w, centre_y[p] / face_h) for p in (a, c)}
    look = {
        p: (shared.look_direction(of(p, "gaze_dx"), of(p, "facing_dx")), of(p, "facing_dy"))
        for p in (a, c)
    }
    same_place = shared.looking_at_same_place(at[a], look[a], at[c], look[c])
    cues["looking_at_same_place"] = same_place
    hands_of = {
        p: [
            (
                sample(grid, rows[p], p, f"{side}_hand_x", _HANDS_REACH_S) / face_w,
                sample(grid, rows[p], p, f"{side}_hand_y", _HANDS_REACH_S) / face_h,
            )
            for side in ("left", "right")
        ]
        for p in (a, c)
    }
    hands_shared = hands.hands_in_shared_space(hands_of[a], hands_of[c])
    cues["hands_in_shared_space"] = hands_shared
    hand_motion = {p: of(p, "hand_motion") for p in (a, c)}
    hand_bouts = hands.hand_bouts(grid, hand_motion[a], hand_motion[c])
    hand_turns = hands.in_shared_space(hands.hand_turns(hand_bouts), grid, hands_shared)
    child_looks = shared.look_shifts(grid, look[c])
    # Observable where both people's hands were seen sharing a space: without a shared
    # activity there are no turns in it to take.
    with np.errstate(invalid="ignore"):
        sharing = hands_shared >= hands.TOGETHER
    cues["turns_in_activity"] = np.where(
        sharing & np.isfinite(hand_motion[a]) & np.isfinite(hand_motion[c]),
        exchange.around_events(grid, hand_turns, _HAND_TURN_REACH_S, True),
        np.nan,
    )
    cues["hand_turn"] = np.where(
        np.isfinite(cues["turns_in_activity"]),
        exchange.events_on_grid(grid, hand_turns, True),
        np.nan,
    )
    # One doing again, a moment later, what the other has just done.
    moves = {p: [of(p, kind.column) for kind in imitation.KINDS] for p in (a, c)}
    by_adult = imitation.repeats(grid, moves[c], moves[a])
    by_child = imitation.repeats(grid, moves[a], moves[c])
    cues["imitation"] = np.fmax(
        imitation.lagged_similarity(grid, moves[c], moves[a]),
        imitation.lagged_similarity(grid, moves[a], moves[c]),
    )
    if pair.roles_known:
        cues["adult_repeats_child"], cues["child_repeats_adult"] = by_adult.done, by_child.done
    # Whose each stretch of speech is: "adult"/"child" (or "first"/"second" with roles
    # unknown), None for anyone else's.
    names = ("adult", "child") if pair.roles_known else ("first", "second")
    heard_as = {seg.person for seg in speech.segments}
    by_voice = a not in heard_as and c not in heard_as
    if by_voice:
        # Nobody of the pair was seen speaking (faces small, turned, mouths hidden): the
        # voices heard are taken as theirs (only while they are in view, below).
        side_of = _sides_by_voice(speech, names)
    elif a in heard_as and c in heard_as:
        side_of = _sides_by_person({a: names[0], c: names[1]})
    else:
        # One of them was seen speaking, the other never (a child's mouth hidden, turned
        # away): a voice not seen on anyone in view then is taken as the other's.
        heard, silent = (a, c) if a in heard_as else (c, a)
        side_of = _sides_with_unseen_voice(
            speech, {a: names[0], c: names[1]}, heard=heard, silent=silent, in_view=in_view
        )
    adult_speaks = _speaking_side(grid, speech, side_of, names[0])
    child_speaks = _speaking_side(grid, speech, side_of, names[1])
    # The floor passing between the two of them: never a voice relabelled, nor a "mm".
    passes = exchange.floor_passes(
        speech.turns, side_of, 0.0 if short_sounds_are_turns else _BACKCHANNEL_S
    )
    cues["turn_exchange"] = exchange.events_on_grid(grid, [p.t for p in passes], speech.observable)
    cues["overlapping_speech"] = exchange.events_on_grid(
        grid, [p.t for p in passes if p.overlapping], speech.observable
    )
    cues["response_gap_s"] = exchange.at_events(grid, [(p.t, max(p.gap_s, 0.0)) for p in passes])
    answers = [(p.t, max(p.gap_s, 0.0)) for p in passes if p.to == "adult"]
    # Taking turns: the turn passes between them every few seconds; face to face, while
    # they face each other (talking *with* each other).
    cues["taking_turns"] = exchange.around_events(
        grid, [p.t for p in passes], _TURN_REACH_S, speech.observable
    )
    with np.errstate(invalid="ignore"):
        face_to_face = np.where(
            np.isfinite(cues["facing_each_other"]), cues["facing_each_other"] >= _FACING, np.nan
        )
    cues["taking_turns_face_to_face"] = cues["taking_turns"] * face_to_face
    cues["adult_speaks"], cues["child_speaks"] = adult_speaks, child_speaks
    if pair.roles_known:
        cues["adult_turned_to_child"] = towards[a]
        gaze = attention.turned_towards(of(a, "gaze_dx"), centre_x[a], centre_x[c])
        cues["adult_looks_at_child"] = gaze
        cues["adult_at_child_level"] = attention.at_level(centre_y[a], centre_y[c], face_h)
        # The adult's stillness counts while the child acts (speaks or moves): room given.
        child_acts = attention.acting(child_speaks, of(c, "motion"))
        cues["adult_still_while_child_acts"] = np.where(
            child_acts == 1.0, attention.stillness(of(a, "nod_speed"), of(a, "shake_speed")), np.nan
        )
        adult_smile, child_smile = of(a, "smile"), of(c, "smile")
        cues["adult_smile"], cues["child_smile"] = adult_smile, child_smile
        with np.errstate(invalid="ignore"):
            cues["shared_smile"] = np.minimum(adult_smile, child_smile)
        initiatives = exchange.child_initiatives(speech.turns, side_of, _INITIATIVE_PAUSE_S)
        cues["child_initiative"] = exchange.events_on_grid(
            grid, [i.t for i in initiatives], speech.observable
        )
        # The silence before the adult takes the floor from the child.
        cues["adult_answers_after_s"] = exchange.at_events(grid, answers)
        cues["adult_waits_s"] = exchange.at_events(
            grid, [(i.t, i.answered_after_s) for i in initiatives]
        )
        # The adult's voice, livelier than their own usual (their stretches of speech).
        adult_said = [said for said in speech.segments if side_of(said) == names[0]]
        cues["voice_warmth"] = exchange.at_events(grid, warmth.voice_warmth(adult_said))
        # The adult's smile or nod in reply to the child acting, with words or without.
        hand_moves = [start for who, start, _ in hand_bouts if who == 2]
        acts = apart([i.t for i in initiatives] + child_looks + hand_moves, _RECEIVE_WITHIN_S)
        smile_or_nod = np.fmax(adult_smile / _SMILING, of(a, "nod_speed") / _NODDING_DEG_S)
        cues["adult_receives"] = exchange.responded_within(
            acts, grid, smile_or_nod, _RECEIVE_WITHIN_S, 1.0
        )
        # Following the child's lead without words: the adult comes to look where the
        # child has just turned to look.
        cues["adult_follows_child_look"] = shared.follows_look(grid, child_looks, same_place)
    # Under music or steady noise nobody can be heard speaking: not silence, not observed.
    unheard_here = unheard(grid, speech)
    if by_voice:
        # Voices taken as the pair's are not known to be theirs where neither is in view:
        # two passers-by would otherwise "take turns" all through the film.
        unheard_here = unheard_here | ~(np.isfinite(centre_x[a]) | np.isfinite(centre_x[c]))
    for name in _HEARD:
        if name in cues:
            cues[name] = np.where(unheard_here, np.nan, cues[name])
    return PairCues(pair, grid, cues)


Spoken = Said | Turn


def _sides_by_person(sides: dict[int, str]) -> Callable[[Spoken], str | None]:
    """Whose speech is whose when the pair's faces were seen speaking: by the person."""
    return lambda said: sides.get(said.person) if said.person is not None else None


def _sides_with_unseen_voice(
    speech: Speech,
    sides: dict[int, str],
    *,
    heard: int,
    silent: int,
    in_view: Callable[[int, float], bool],
) -> Callable[[Spoken], str | None]:
    """Whose speech is whose when one of the pair (``heard``) was seen speaking and the
    other (``silent``) never: by the person where it is one of them; else ``silent``'s
    while they are in view and the person the voice is most often seen on is not, unless
    it is a voice ``heard`` was seen speaking with."""
    own_voices = {said.speaker for said in speech.segments if said.person == heard}

    def side_of(said: Spoken) -> str | None:
        if said.person in sides:
            return sides[said.person]
        if said.speaker in own_voices:
            return None
        t = said.start + min(0.5, (said.end - said.start) / 2)
        if said.person is not None and in_view(said.person, t):
            return None  # the voice is someone else's in view
        return sides[silent] if in_view(silent, t) else None

    return side_of


def _sides_by_voice(speech: Speech, names: tuple[str, str]) -> Callable[[Spoken], str | None]:
    """Whose speech is whose when no face of the pair was seen speaking: by the voice alone.

    The two voices heard most are the two people; the lower of them is the adult (children
    speak higher). Any other voice is someone else's.
    """
    most = sorted(speech.speakers, key=lambda s: -s.speech_s)[:2]
    by_pitch = sorted(
        most, key=lambda s: s.median_pitch_hz if math.isfinite(s.median_pitch_hz) else 0.0
    )
    sides = dict(zip((s.speaker for s in by_pitch), names, strict=False))
    return lambda said: sides.get(said.speaker)


def _speaking_side(
    grid: Grid, speech: Speech, side_of: Callable[[Spoken], str | None], side: str
) -> Series:
    """1 where that side of the pair speaks, 0 elsewhere, NaN without a sound track."""
    if not speech.observable:
        return np.full(len(grid), np.nan)
    out = np.zeros(len(grid))
    for segment in speech.segments:
        if side_of(segment) == side:
            out[(grid.t >= segment.start) & (grid.t < segment.end)] = 1.0
    return out


def _mean_of(first: Series, second: Series) -> Series:
    """The mean of two series where either is seen, NaN where neither is."""
    both = np.vstack([first, second])
    seen = np.isfinite(both)
    total = np.where(seen, both, 0.0).sum(axis=0)
    count = seen.sum(axis=0)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def write_cues_csv(all_cues: list[PairCues], path: Path) -> None:
    """One row per instant and pair: ``t``, ``pair``, then every cue (empty: not observable)."""
    names = sorted({name for pc in all_cues for name in pc.cues})
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["t", "pair", *names])
        for pc in all_cues:
            for i, t in enumerate(pc.grid.t):
                row = [f"{t:.2f}", pc.pair.name]
                for name in names:
                    value = pc.cues[name][i] if name in pc.cues else math.nan
                    row.append("" if not math.isfinite(value) else f"{value:.4g}")
                writer.writerow(row)
