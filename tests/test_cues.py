"""Attunement cues on the time grid: what they say of people placed where the test puts them."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from pyannote.core import Segment

from tests.films import mirrored_halves
from tests.helpers import SILENT_FILM, observed, summary, two_people
from vigvision.config import load_settings
from vigvision.cues import attention
from vigvision.cues.exchange import child_initiatives, floor_passes
from vigvision.cues.grid import Grid, sample
from vigvision.cues.pairs import pairs_of, possible_pairs
from vigvision.cues.table import pair_cues
from vigvision.observations import Observations
from vigvision.observe import observe_film
from vigvision.turns import Said, Speaker, Speech, Turn, make_turns

Look = tuple[float, float]


def two_people_looking(
    adult: list[tuple[float, Look]], child: list[tuple[float, Look]]
) -> Observations:
    """Adult on the left, child on the right, 5 face widths apart; each looks (facing_dx,
    facing_dy) as given from each time on: [(from_s, (dx, dy)), ...], for 6 s."""

    def at(t: float, looks: list[tuple[float, Look]]) -> Look:
        return [look for since, look in looks if since <= t + 1e-9][-1]

    rows = []
    for i in range(30):
        t = i * 0.2
        for person, x, looks in ((1, 0.2, adult), (2, 0.7, child)):
            dx, dy = at(t, looks)
            rows.append(
                {"t": t, "frame": i, "person": person, "x": x, "y": 0.3, "w": 0.1, "h": 0.15}
                | {"facing_dx": dx, "facing_dy": dy}
            )
    return Observations.from_rows(rows)


DOWN_RIGHT, DOWN_LEFT = (0.5, -0.5), (-0.5, -0.5)


def test_both_looking_down_at_the_table_between_them_look_at_the_same_place() -> None:
    (pair,) = pairs_of([summary(1, "adult"), summary(2, "child")])
    grid = Grid.over(6.0, 0.2)

    def same_place(adult: Look, child: Look) -> float:
        people = two_people_looking(adult=[(0.0, adult)], child=[(0.0, child)])
        return float(
            np.nanmean(pair_cues(pair, people, SILENT_FILM, grid).cues["looking_at_same_place"])
        )

    assert same_place(adult=DOWN_RIGHT, child=DOWN_LEFT) == pytest.approx(1.0)
    assert same_place(adult=DOWN_LEFT, child=DOWN_RIGHT) == 0.0  # both look away, outwards
    assert same_place(adult=DOWN_LEFT, child=DOWN_LEFT) == 0.0  # two places side by side
    # Both look at what the child holds just below their face: the adult from the side.
    assert same_place(adult=(0.8, -0.2), child=(0.0, -0.9)) == pytest.approx(1.0, abs=0.1)
    # Looking at each other is facing each other, not looking at a place.
    face_to_face = two_people_looking(adult=[(0.0, (0.9, 0.0))], child=[(0.0, (-0.9, 0.0))])
    cues = pair_cues(pair, face_to_face, SILENT_FILM, grid).cues
    assert np.nanmean(cues["looking_at_same_place"]) == 0.0
    assert np.nanmean(cues["facing_each_other"]) > 0.8


def test_the_adult_follows_where_the_child_turns_to_look() -> None:
    (pair,) = pairs_of([summary(1, "adult"), summary(2, "child")])
    grid = Grid.over(6.0, 0.2)
    # The child looks away, then at 3 s turns to the table between them.
    child = [(0.0, DOWN_RIGHT), (3.0, DOWN_LEFT)]
    following = two_people_looking(adult=[(0.0, DOWN_LEFT), (4.0, DOWN_RIGHT)], child=child)
    not_following = two_people_looking(adult=[(0.0, DOWN_LEFT)], child=child)
    for people, followed in ((following, 1.0), (not_following, 0.0)):
        cue = pair_cues(pair, people, SILENT_FILM, grid).cues["adult_follows_child_look"]
        assert cue[round(3.0 / grid.step)] == followed
        assert int(np.isfinite(cue).sum()) == 1  # one turn of the child's look


def test_the_adult_smiles_in_reply_when_the_child_turns_to_look() -> None:
    (pair,) = pairs_of([summary(1, "adult"), summary(2, "child")])
    grid = Grid.over(6.0, 0.2)
    # No word is said: the child turns to the table at 3 s.
    people = two_people_looking(
        adult=[(0.0, DOWN_RIGHT)], child=[(0.0, DOWN_RIGHT), (3.0, DOWN_LEFT)]
    )
    adult = people["person"] == 1
    # A smile from 3.6 s replies; one only at 5.5 s is too late; one there all along is not
    # a reply to anything.
    for smiles_from, replied in ((3.6, 1.0), (5.5, 0.0), (0.0, 0.0)):
        smile = np.where(adult & (people["t"] >= smiles_from), 0.8, 0.0)
        cues = pair_cues(pair, people.with_column("smile", smile), SILENT_FILM, grid).cues
        assert np.nansum(cues["adult_receives"]) == replied
        assert int(np.isfinite(cues["adult_receives"]).sum()) == 1  # one act of the child


def two_people_with_hands(
    adult_hand_x: float, child_hand_x: float, moving: dict[int, list[tuple[float, float]]]
) -> Observations:
    """Adult on the left, child on the right (faces 0.1 wide, 0.5 apart), each with a hand
    on the table at the x given, for 10 s; ``moving``: person -> [(from_s, to_s), ...] in
    which that person's hands move (motion energy 0.2; 0.01 otherwise)."""
    rows = []
    for i in range(50):
        t = i * 0.2
        for person, x, hand_x in ((1, 0.2, adult_hand_x), (2, 0.7, child_hand_x)):
            busy = any(start <= t < end for start, end in moving.get(person, []))
            rows.append(
                {"t": t, "frame": i, "person": person, "x": x, "y": 0.3, "w": 0.1, "h": 0.15}
                | {"right_hand_x" if person == 1 else "left_hand_x": hand_x, "left_hand_y": 0.8}
                | {"right_hand_y": 0.8, "hand_motion": 0.2 if busy else 0.01}
            )
    return Observations.from_rows(rows)


def test_hands_on_one_thing_share_a_space() -> None:
    (pair,) = pairs_of([summary(1, "adult"), summary(2, "child")])
    grid = Grid.over(10.0, 0.2)

    def shared(adult_hand_x: float, child_hand_x: float) -> float:
        people = two_people_with_hands(adult_hand_x, child_hand_x, moving={})
        cues = pair_cues(pair, people, SILENT_FILM, grid).cues
        return float(np.nanmean(cues["hands_in_shared_space"]))

    assert shared(adult_hand_x=0.45, child_hand_x=0.5) == 1.0  # the same toy between them
    assert shared(adult_hand_x=0.3, child_hand_x=0.8) == 0.0  # each at their own place


def test_hands_taking_turns_in_a_game_without_words() -> None:
    (pair,) = pairs_of([summary(1, "adult"), summary(2, "child")])
    grid = Grid.over(10.0, 0.2)
    # The adult moves a piece, then the child, then the adult again.
    moves = {1: [(1.0, 2.0), (5.0, 6.0)], 2: [(3.0, 4.0)]}
    on_one_board = two_people_with_hands(adult_hand_x=0.45, child_hand_x=0.5, moving=moves)
    cues = pair_cues(pair, on_one_board, SILENT_FILM, grid).cues
    assert np.nansum(cues["hand_turn"]) == 2
    assert np.nanmax(cues["turns_in_activity"]) == 1.0
    # The same movements, each at their own place: two tasks, not one game.
    apart = two_people_with_hands(adult_hand_x=0.3, child_hand_x=0.8, moving=moves)
    assert np.nansum(pair_cues(pair, apart, SILENT_FILM, grid).cues["hand_turn"]) == 0
    # Moving at the same time is not taking turns.
    together = {1: [(1.0, 4.0)], 2: [(1.0, 4.0)]}
    at_once = two_people_with_hands(adult_hand_x=0.45, child_hand_x=0.5, moving=together)
    assert np.nansum(pair_cues(pair, at_once, SILENT_FILM, grid).cues["hand_turn"]) == 0


def test_two_people_turned_to_each_other_face_each_other() -> None:
    grid = Grid.over(2.0, 0.2)
    (pair,) = pairs_of([summary(1, "unknown"), summary(2, "unknown")])
    towards = pair_cues(pair, two_people(0.8, -0.9), SILENT_FILM, grid).cues["facing_each_other"]
    away = pair_cues(pair, two_people(-0.8, 0.9), SILENT_FILM, grid).cues["facing_each_other"]
    assert np.allclose(towards, 0.8) and np.allclose(away, 0.0)


def test_not_heard_is_not_silence() -> None:
    grid = Grid.over(2.0, 0.2)
    (pair,) = pairs_of([summary(1, "adult"), summary(2, "child")])
    cues = pair_cues(pair, two_people(0.8, -0.9), SILENT_FILM, grid).cues
    assert np.isnan(cues["turn_exchange"]).all() and np.isnan(cues["child_speaks"]).all()


def test_a_person_not_seen_gives_no_cue() -> None:
    table = two_people(0.8, -0.9)
    grid = Grid.over(4.0, 0.2)  # two seconds seen, two not
    facing = sample(grid, table, 1, "facing_dx", reach_s=0.3)
    assert np.isfinite(facing[:10]).all() and np.isnan(facing[-5:]).all()


def test_groups_pair_every_adult_with_every_child() -> None:
    people = [summary(1, "adult"), summary(2, "child"), summary(3, "child")]
    assert [(p.adult, p.child) for p in pairs_of(people)] == [(1, 2), (1, 3)]


def test_a_class_analyses_the_pairs_seen_together_longest() -> None:
    teacher, children = 1, range(2, 26)
    people = [summary(teacher, "adult"), *(summary(child, "child") for child in children)]
    # Child n is seen with the teacher in n frames: the last ones the longest.
    rows = [
        {"t": frame * 0.2, "frame": frame, "person": person}
        for child in children
        for frame in range(child)
        for person in (teacher, child)
    ]
    pairs = pairs_of(people, Observations.from_rows(rows))
    assert [p.child for p in pairs] == [20, 21, 22, 23, 24, 25]
    assert possible_pairs(people) == 24


def test_two_too_small_for_roles_are_paired_beside_a_passing_crowds_adult_and_child() -> None:
    adult, child, first, second = 1, 2, 3, 4
    people = [summary(adult, "adult"), summary(child, "child")]
    people += [summary(first, "unknown"), summary(second, "unknown")]
    # The crowd's adult and child pass by together for 10 frames; the two whose roles could
    # not be told are together for 100 frames (20 s), and apart from the crowd.
    rows = [
        {"t": frame * 0.2, "frame": frame, "person": person}
        for frame in range(110)
        for person in ((adult, child) if frame < 10 else (first, second))
    ]
    pairs = pairs_of(people, Observations.from_rows(rows))
    assert [(p.adult, p.child, p.roles_known) for p in pairs] == [
        (adult, child, True),
        (first, second, False),
    ]


def test_a_babys_coo_answered_is_a_turn_with_the_baby_profile() -> None:
    (pair,) = pairs_of([summary(1, "adult"), summary(2, "child")])
    said = [
        Said(Segment(0.0, 1.5), "person1", 1, "adult"),
        Said(Segment(2.0, 2.4), "person2", 2, "child"),  # a coo
        Said(Segment(3.0, 4.5), "person1", 1, "adult"),
        Said(Segment(5.0, 5.3), "person2", 2, "child"),  # another
    ]
    speech = Speech(
        observable=True,
        duration_s=6.0,
        segments=said,
        turns=make_turns(said, turn_gap_s=0.3, monologue_s=20.0),
    )
    people = two_people(left_facing=0.5, right_facing=-0.5, seconds=6.0)
    grid = Grid.over(6.0, 0.2)
    between_adults = pair_cues(pair, people, speech, grid).cues["turn_exchange"]
    with_a_baby = pair_cues(pair, people, speech, grid, short_sounds_are_turns=True)
    assert np.nansum(between_adults) == 0  # "mm"s: no turn passes
    assert np.nansum(with_a_baby.cues["turn_exchange"]) == 3


def conversation(said: list[Said], seconds: float) -> Speech:
    return Speech(
        observable=True,
        duration_s=seconds,
        segments=said,
        turns=make_turns(said, turn_gap_s=0.3, monologue_s=20.0),
        speakers=[
            Speaker(name, None, "unknown", "", pitch, speech_s=4.0)
            for name, pitch in (("voice_1", 120.0), ("voice_2", 320.0))
        ],
    )


def test_the_child_whose_mouth_is_hidden_takes_turns_with_the_adult_seen_speaking() -> None:
    (pair,) = pairs_of([summary(1, "adult"), summary(2, "child")])
    said = [
        Said(Segment(0.0, 1.5), "person1", 1, "adult"),  # the adult, seen speaking
        Said(Segment(2.0, 3.5), "voice_2", None, "child"),  # a voice seen on nobody
        Said(Segment(4.0, 5.5), "person1", 1, "adult"),
        Said(Segment(6.0, 7.5), "voice_2", None, "child"),
    ]
    people = two_people(left_facing=0.5, right_facing=-0.5, seconds=8.0)
    cues = pair_cues(pair, people, conversation(said, 8.0), Grid.over(8.0, 0.2)).cues
    assert np.nansum(cues["turn_exchange"]) == 3
    assert np.nanmax(cues["child_speaks"]) == 1.0


def test_passers_by_never_seen_speaking_take_no_turns_where_they_are_out_of_view() -> None:
    (pair,) = pairs_of([summary(1, "unknown"), summary(2, "unknown")])
    # The two are in view for the first 2 s; a conversation goes on after they have gone.
    said = [
        Said(Segment(3.0, 4.5), "voice_1", None, "adult"),
        Said(Segment(5.0, 6.5), "voice_2", None, "child"),
        Said(Segment(7.0, 8.0), "voice_1", None, "adult"),
    ]
    people = two_people(left_facing=0.5, right_facing=-0.5, seconds=2.0)
    cues = pair_cues(pair, people, conversation(said, 8.0), Grid.over(8.0, 0.2)).cues
    assert np.isnan(cues["turn_exchange"][15:]).all()
    assert np.isnan(cues["taking_turns"][15:]).all()


def test_closeness_does_not_depend_on_zoom() -> None:
    near = attention.distance_in_faces(
        np.array([0.4]), np.array([0.5]), np.array([0.6]), np.array([0.5]), np.array([0.1])
    )
    zoomed = attention.distance_in_faces(
        np.array([0.3]), np.array([0.5]), np.array([0.7]), np.array([0.5]), np.array([0.2])
    )
    assert near == pytest.approx(zoomed)


def test_child_initiatives_and_the_adult_waiting() -> None:
    said = [
        Said(Segment(0.0, 1.0), "person2", 2, "child"),
        Said(Segment(3.0, 4.0), "person1", 1, "adult"),  # answers after waiting 2 s
        Said(Segment(4.2, 5.0), "person2", 2, "child"),  # straight after: not an initiative
    ]
    found = child_initiatives(make_turns(said, 1.5, 20.0), side_by_role, pause_s=1.0)
    assert [(i.t, i.answered_after_s) for i in found] == [(0.0, 2.0)]


def side_by_role(turn: Turn) -> str | None:
    return turn.role if turn.role in ("adult", "child") else None


def test_the_floor_passes_between_the_two_never_by_a_relabelled_voice_or_a_mm() -> None:
    said = [
        Said(Segment(0.0, 2.0), "person1", 1, "adult"),
        Said(Segment(2.6, 4.0), "voice_1", 1, "adult"),  # the adult again, heard as another voice
        Said(Segment(4.5, 4.8), "person2", 2, "child"),  # "mm": a backchannel, not a turn
        Said(Segment(5.0, 7.0), "person1", 1, "adult"),
        Said(Segment(7.5, 9.0), "person2", 2, "child"),  # the child takes the floor
        Said(Segment(8.7, 10.0), "person1", 1, "adult"),  # the adult starts before she ends
        Said(Segment(10.5, 12.0), "person3", 3, "adult"),  # someone else: not of this pair
    ]
    turns = make_turns(said, turn_gap_s=0.3, monologue_s=20.0)

    def side(turn: Turn) -> str | None:
        return {1: "adult", 2: "child"}.get(turn.person or 0)

    passes = floor_passes(turns, side, backchannel_s=0.6)
    assert [(p.t, p.to) for p in passes] == [(7.5, "child"), (8.7, "adult")]
    assert [p.overlapping for p in passes] == [False, True]


def test_real_film_facing_each_other_and_mirrored_away(media: Path, tmp_path: Path) -> None:
    settings = load_settings()
    for film, expect_high in (
        (media / "two_seated_facing.mp4", True),
        (mirrored_halves(media / "two_seated_facing.mp4", tmp_path / "away.mp4"), False),
    ):
        result = observed("two_seated_facing.mp4") if expect_high else observe_film(film, settings)
        (pair,) = pairs_of(result.people)
        cue = pair_cues(pair, result.observations, SILENT_FILM, Grid.over(1.0, 0.2)).cues[
            "facing_each_other"
        ]
        assert (np.nanmean(cue) > 0.4) if expect_high else (np.nanmean(cue) < 0.05)


def test_movements_in_step_are_synchronous_and_unrelated_ones_are_not() -> None:
    from vigvision.windows import movement_synchrony

    rng = np.random.default_rng(3)

    def moving() -> np.ndarray:  # bodies move smoothly: motion energy over half a second
        return np.convolve(rng.random(100), np.ones(3) / 3, mode="same")

    adult = moving()
    answering = np.roll(adult, 3) + 0.02 * rng.random(100)  # the child moves 0.6 s later
    elsewhere = moving()
    assert movement_synchrony(adult, answering, step=0.2) > 0.8
    assert movement_synchrony(adult, elsewhere, step=0.2) < 0.3
    unseen = np.full(100, np.nan)
    assert math.isnan(movement_synchrony(adult, unseen, step=0.2))


def test_motion_energy_follows_the_moving_person(media: Path) -> None:
    table = observed("two_seated_facing.mp4").observations
    left, right = sorted(table.people, key=lambda p: float(np.median(table.of_person(p)["x"])))
    # The man on the left gestures with his arm; the man on the right sits still.
    assert np.nanmean(table.of_person(left)["motion"]) > np.nanmean(
        table.of_person(right)["motion"]
    )


def test_the_adult_is_still_while_the_child_acts() -> None:
    # The child speaks for the first second, then moves its arms, then sits quietly.
    speaks = np.array([1.0] * 5 + [0.0] * 10)
    motion = np.array([0.05] * 5 + [0.3] * 5 + [0.05] * 5)
    assert attention.acting(speaks, motion).tolist() == [1.0] * 10 + [0.0] * 5
    unseen_unheard = attention.acting(np.full(3, np.nan), np.full(3, np.nan))
    assert np.isnan(unseen_unheard).all()


def two_people_moving(adult: np.ndarray, child: np.ndarray) -> Observations:
    """Adult on the left, child on the right, with the motion energy given every 0.2 s."""
    rows = []
    for i, moves in enumerate(zip(adult, child, strict=True)):
        for person, x in ((1, 0.2), (2, 0.7)):
            rows.append(
                {"t": i * 0.2, "frame": i, "person": person, "x": x, "y": 0.3, "w": 0.1}
                | {"h": 0.15, "motion": moves[person - 1]}
            )
    return Observations.from_rows(rows)


def test_the_adult_repeats_what_the_child_has_just_done() -> None:
    (pair,) = pairs_of([summary(1, "adult"), summary(2, "child")])
    grid = Grid.over(90.0, 0.2)
    rng = np.random.default_rng(5)

    def gestures(every: int = 20) -> np.ndarray:  # now and then a gesture of about a second
        bursts = np.zeros(len(grid))
        for start in rng.choice(np.arange(10, len(grid) - 20, every), 12, replace=False):
            bursts[start : start + 5] = 0.3 + 0.3 * rng.random()
        return bursts + 0.02 * rng.random(len(grid))

    child = gestures()
    two_s_later = np.roll(child, 10)
    cues = pair_cues(pair, two_people_moving(two_s_later, child), SILENT_FILM, grid).cues
    assert np.nansum(cues["adult_repeats_child"]) == 12  # every gesture of the child
    assert np.nanmean(cues["adult_repeats_child"]) == 1.0
    # Alike 2 s later, far more than at once or by chance (gestures lined up by luck).
    assert np.nanmax(cues["imitation"]) > 0.3
    # Each gesturing on their own: repeats no more often than by chance.
    anywhere = gestures(every=1)
    cues = pair_cues(pair, two_people_moving(anywhere, child), SILENT_FILM, grid).cues
    assert abs(float(np.nanmean(cues["imitation"]))) < 0.2
    # Gesturing at the same time is moving together, not repeating.
    at_once = child + 0.02 * rng.random(len(grid))
    cues = pair_cues(pair, two_people_moving(at_once, child), SILENT_FILM, grid).cues
    assert np.nansum(cues["adult_repeats_child"]) == 0
    assert np.nanmax(cues["imitation"]) < 0


def test_a_group_moment_needs_each_child_in_view_reached() -> None:
    from vigvision.cues.group import group_moments
    from vigvision.cues.pairs import Pair
    from vigvision.cues.table import PairCues

    grid = Grid.over(30.0, 0.2)

    def child_of_the_adult(child: int, turns_at: list[float]) -> PairCues:
        passes = np.zeros(len(grid))
        passes[[round(t / 0.2) for t in turns_at]] = 1.0
        seen = np.full(len(grid), 0.5)  # closeness: in view throughout
        cues = {"closeness": seen, "turn_exchange": passes}
        return PairCues(Pair(1, child, True), grid, cues)

    talking_with_both = [child_of_the_adult(2, [3.0, 9.0]), child_of_the_adult(3, [6.0])]
    (moment,) = group_moments(talking_with_both, length_s=10.0, step_s=1.0)
    assert [c.child for c in moment.children] == [2, 3] and moment.start_s <= 3.0
    assert "each of the 2 children gets a turn" in moment.sentence()
    # Only one child is talked with: a pair's moment, not the group's.
    one_left_out = [child_of_the_adult(2, [3.0, 9.0]), child_of_the_adult(3, [])]
    assert group_moments(one_left_out, length_s=10.0, step_s=1.0) == []
