"""Person ids that stay the same: following, leaving and coming back, cuts between shots."""

from __future__ import annotations

import numpy as np

from vigvision.config import load_settings
from vigvision.tracking import PersonTracker, appearance_distance, appearance_signature, iou


def box(x: float, y: float = 100.0, size: float = 60.0) -> np.ndarray:
    return np.array([x, y, size, size])


def scene(*people: tuple[float, tuple[int, int, int]]) -> np.ndarray:
    """A grey room with people: a face and a shirt of a colour, at x."""
    image = np.full((480, 640, 3), 128, np.uint8)
    for x, shirt in people:
        image[100:160, int(x) : int(x) + 60] = (224, 172, 140)
        image[178:270, int(x) - 30 : int(x) + 90] = shirt
    return image


RED, BLUE = (200, 30, 30), (30, 40, 200)


def test_overlap() -> None:
    assert iou(box(0), box(0)) == 1.0
    assert iou(box(0), box(200)) == 0.0
    assert 0 < iou(box(0), box(30)) < 1


def test_likeness_tells_shirts_apart() -> None:
    red = appearance_signature(scene((100, RED)), box(100))
    red_again = appearance_signature(scene((300, RED)), box(300))
    blue = appearance_signature(scene((100, BLUE)), box(100))
    assert appearance_distance(red, red_again) < 0.1
    assert appearance_distance(red, blue) > 0.3


def test_a_person_followed_keeps_the_id() -> None:
    tracker = PersonTracker(load_settings().tracking)
    image = scene((100, RED))
    (first,) = tracker.claim(0.0, [box(100)], [appearance_signature(image, box(100))])
    for step in range(1, 10):
        t, x = step * 0.1, 100 + step * 5
        (person,) = tracker.following(t)
        tracker.saw(person, box(x), t, appearance_signature(scene((x, RED)), box(x)))
    (again,) = tracker.claim(1.0, [box(150)], [appearance_signature(scene((150, RED)), box(150))])
    assert again == first


def test_someone_coming_back_is_recognised_and_someone_new_is_not() -> None:
    tracker = PersonTracker(load_settings().tracking)
    (red_id,) = tracker.claim(0.0, [box(100)], [appearance_signature(scene((100, RED)), box(100))])
    # Out of the frame for 20 s, then back at the other side of the room.
    assert tracker.following(20.0) == []
    (back,) = tracker.claim(20.0, [box(450)], [appearance_signature(scene((450, RED)), box(450))])
    assert back == red_id
    (new,) = tracker.claim(40.0, [box(450)], [appearance_signature(scene((450, BLUE)), box(450))])
    assert new != red_id


def test_two_people_side_by_side_keep_their_ids() -> None:
    tracker = PersonTracker(load_settings().tracking)
    image = scene((100, RED), (400, BLUE))
    ids = tracker.claim(
        0.0, [box(100), box(400)], [appearance_signature(image, box(x)) for x in (100, 400)]
    )
    later = scene((110, RED), (390, BLUE))
    again = tracker.claim(
        0.5, [box(390), box(110)], [appearance_signature(later, box(x)) for x in (390, 110)]
    )
    assert again == [ids[1], ids[0]]


def test_after_a_cut_position_says_nothing() -> None:
    tracker = PersonTracker(load_settings().tracking)
    (red_id,) = tracker.claim(0.0, [box(100)], [appearance_signature(scene((100, RED)), box(100))])
    tracker.scene_cut()
    assert tracker.following(0.1) == []
    # Another person where the first one was: a new id, not the old one.
    (other,) = tracker.claim(0.1, [box(100)], [appearance_signature(scene((100, BLUE)), box(100))])
    assert other != red_id
