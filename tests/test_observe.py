"""Who is in a film and where they face, measured on the real clips of ../shared/media."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.films import mirrored_halves, one_shot_then_another
from tests.helpers import observed
from vigvision import observe
from vigvision.config import load_settings
from vigvision.film import FilmWriter, FrameReader
from vigvision.observations import Observations
from vigvision.observe import first_look, observe_film
from vigvision.perception.faces import FaceFinder, FaceMeasurer, Found


def share(values: np.ndarray) -> float:
    return float(np.mean(values)) if len(values) else 0.0


def main_people(table: Observations, count: int) -> list[Observations]:
    """The ``count`` people seen most, from left to right."""
    people = sorted(table.people, key=lambda p: -len(table.of_person(p)))[:count]
    rows = [table.of_person(p) for p in people]
    return sorted(rows, key=lambda r: float(np.median(r["x"])))


def test_two_people_facing_each_other(media: Path) -> None:
    result = observed("two_seated_facing.mp4")
    table = result.observations
    frames_with_both = [f for f in np.unique(table["frame"]) if np.sum(table["frame"] == f) >= 2]
    assert len(frames_with_both) >= 0.9 * result.frames_analysed
    left, right = main_people(table, 2)
    assert share(left["facing_dx"][np.isfinite(left["facing_dx"])] > 0) >= 0.9
    assert share(right["facing_dx"][np.isfinite(right["facing_dx"])] < 0) >= 0.9


def test_mirroring_each_half_turns_both_people_away(media: Path, tmp_path: Path) -> None:
    film = mirrored_halves(media / "two_seated_facing.mp4", tmp_path / "facing_away.mp4")
    left, right = main_people(observe_film(film, load_settings()).observations, 2)
    assert share(left["facing_dx"][np.isfinite(left["facing_dx"])] < 0) >= 0.9
    assert share(right["facing_dx"][np.isfinite(right["facing_dx"])] > 0) >= 0.9


def reference_heads(media: Path, person: int) -> dict[int, np.ndarray]:
    """Video frame number → head box (x1, y1, x2, y2) in pixels of the 1920×1080 frame."""
    boxes = {}
    lines = (media / f"two_kitchen_side_by_side.person{person}_head_boxes.txt").read_text().split()
    for number, line in enumerate(lines):
        boxes[number] = np.array([float(v) for v in line.split(",")[1:]])
    return boxes


def matches(row_box: np.ndarray, head: np.ndarray) -> bool:
    """IoU ≥ 0.3 with the head box, or the face box's centre inside it."""
    x, y, w, h = row_box
    ix = max(0.0, min(x + w, head[2]) - max(x, head[0]))
    iy = max(0.0, min(y + h, head[3]) - max(y, head[1]))
    inter = ix * iy
    union = w * h + (head[2] - head[0]) * (head[3] - head[1]) - inter
    cx, cy = x + w / 2, y + h / 2
    return inter / union >= 0.3 or (head[0] <= cx <= head[2] and head[1] <= cy <= head[3])


def test_kitchen_faces_match_the_reference_heads_without_identity_switch(media: Path) -> None:
    result = observed("two_kitchen_side_by_side.mp4")
    table = result.observations
    for reference in (1, 2):
        heads = reference_heads(media, reference)
        ids_matched = []
        hits = 0
        frames = np.unique(table["frame"])
        for frame in range(result.frames_analysed):
            rows = table.rows(table["frame"] == frame)
            if len(rows) == 0:
                continue
            video_frame = round(float(rows["t"][0]) * 25)
            head = heads.get(video_frame)
            if head is None:
                continue
            for i in range(len(rows)):
                box = np.array(
                    [
                        rows["x"][i] * 1920,
                        rows["y"][i] * 1080,
                        rows["w"][i] * 1920,
                        rows["h"][i] * 1080,
                    ]
                )
                if matches(box, head):
                    hits += 1
                    ids_matched.append(int(rows["person"][i]))
                    break
        assert hits >= 0.9 * result.frames_analysed, (
            f"person {reference}: {hits} of {result.frames_analysed}"
        )
        assert len(set(ids_matched)) == 1, f"identity switch: ids {sorted(set(ids_matched))}"
        assert len(frames) == result.frames_analysed


@pytest.mark.parametrize("name", ["child_face_closeup.mp4", "adult_talking_head.mp4"])
def test_a_face_in_almost_every_frame(media: Path, name: str) -> None:
    result = observed(name)
    assert len(np.unique(result.observations["frame"])) >= 0.95 * result.frames_analysed


def test_smile_rises_from_neutral(media: Path) -> None:
    table = observed("adult_neutral_to_smile_greenscreen.mp4").observations
    t, smile = table["t"], table["smile"]
    first = np.nanmean(smile[t < 1.0])
    last = np.nanmean(smile[t >= t.max() - 1.0])
    assert last > first + 0.15


def test_a_smiling_face_smiles_more_than_a_talking_one(media: Path) -> None:
    smiling = np.nanmean(observed("adult_smiling_frontal.mp4").observations["smile"])
    talking = np.nanmean(observed("adult_talking_head.mp4").observations["smile"])
    assert smiling > talking + 0.2


def test_faces_in_the_face_part_none_in_the_cartoon(media: Path) -> None:
    for name in ("face_then_noface_hevc.mov", "noface_then_face_hevc.mov"):
        table = observed(name).observations
        assert len(table) > 0, name
    # face_then_noface: the face is in the first part only.
    first = observed("face_then_noface_hevc.mov").observations["t"]
    later = observed("noface_then_face_hevc.mov").observations["t"]
    assert first.max() < 4.0 and later.min() > 2.0


@pytest.mark.parametrize("name", ["crowd_walking_1080p.mp4", "performer_and_audience.mp4"])
def test_crowds_run_with_a_bounded_number_of_ids(media: Path, name: str) -> None:
    result = observed(name)
    people = result.observations.people
    assert len(people) >= 3
    # Ids do not explode: each id is seen for a while, not a new one per frame.
    frames_per_id = len(result.observations) / len(people)
    assert frames_per_id >= 5


def test_a_first_look_measures_a_crowd_with_one_face_measurer(
    media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A glance measures its faces one after another, each afresh: one face mesh (32 MB)
    # serves them all, however many people are in view.
    made: list[FaceMeasurer] = []

    class Counted(FaceMeasurer):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            made.append(self)

    monkeypatch.setattr(observe, "FaceMeasurer", Counted)
    look = first_look(media / "crowd_walking_1080p.mp4", load_settings())
    with_mesh = {row["person"] for row in look.rows if row["face_mesh"]}
    assert len(with_mesh) >= 3
    assert len(made) == 1


def test_a_film_without_people_gives_an_empty_table(tmp_path: Path) -> None:
    film = tmp_path / "empty_room.mp4"
    with FilmWriter(film, width=320, height=240, fps=10) as out:
        for i in range(20):
            out.add_frame(np.full((240, 320, 3), 100 + i, np.uint8))
    settings = load_settings()
    result = observe_film(film, settings)
    assert len(result.observations) == 0 and result.people == []
    assert result.frames_analysed == round(2.0 * settings.film.analysis_fps)


def test_a_person_seen_only_by_their_body_is_followed(media: Path) -> None:
    # Arm-wrestling over a table: the person on the right has their back half to the
    # camera and their head mostly out of the frame; no face of theirs is ever found.
    result = observed("two_armwrestle_lowres.mp4")
    table = result.observations
    by_body = [p for p in table.people if share(table.of_person(p)["seen_by"] == "body") > 0.9]
    assert len(by_body) == 1
    (person,) = by_body
    rows = table.of_person(person)
    assert len(rows) >= 0.4 * result.frames_analysed
    rows = rows.rows(rows["seen_by"] == "body")
    assert float(np.median(rows["x"] + rows["w"] / 2)) > 0.5  # on the right of the picture
    # Nothing of a face is claimed for them, and their role is never guessed from a head
    # whose size comes from their shoulders.
    assert not np.isfinite(rows["facing_dx"]).any() and not np.isfinite(rows["smile"]).any()
    assert not any(p.role != "unknown" for p in result.people if p.person == person)


def test_one_person_alone_gets_no_body_beside_them(media: Path) -> None:
    for clip in ("one_seated_gesturing.mp4", "adult_talking_head.mp4"):
        table = observed(clip).observations
        assert table.people == [1], clip
        assert set(table["seen_by"]) == {"face"}, clip


def searched(film: Path, *, tiles: bool) -> Found:
    """One search of the film's first frame, as the watcher sees it."""
    settings = load_settings()
    frame = next(iter(FrameReader.from_settings(film, settings.film)))
    finder = FaceFinder(settings.perception)
    try:
        return finder.find(frame.image, tiles=tiles)
    finally:
        finder.close()


def test_the_tiles_find_the_small_face_that_the_whole_frame_misses(media: Path) -> None:
    across_the_room = media / "two_seated_facing.mp4"
    assert len(searched(across_the_room, tiles=False).faces) == 1
    with_tiles = searched(across_the_room, tiles=True)
    assert len(with_tiles.faces) == 2
    assert with_tiles.tiles_added


def test_the_tiles_add_nobody_where_the_whole_frame_finds_every_face(media: Path) -> None:
    at_the_counter = media / "two_kitchen_side_by_side.mp4"
    assert len(searched(at_the_counter, tiles=False).faces) == 2
    with_tiles = searched(at_the_counter, tiles=True)
    assert len(with_tiles.faces) == 2
    assert not with_tiles.tiles_added


def searches_with_tiles(film: Path, monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each search of a watch (every second; tiles every 3 s) searched the tiles."""
    searches: list[bool] = []
    find = FaceFinder.find

    def counted(self: FaceFinder, image: np.ndarray, *, tiles: bool = True) -> Found:
        found = find(self, image, tiles=tiles)
        searches.append(found.tiles_searched)
        return found

    monkeypatch.setattr(FaceFinder, "find", counted)
    settings = load_settings().with_overrides(
        {"perception.find_every_s": 1.0, "perception.tiles_every_s": 3.0}
    )
    observe_film(film, settings)
    return searches


def test_tiles_that_add_nobody_are_searched_only_now_and_then(
    media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at_the_counter = media / "two_kitchen_side_by_side.mp4"  # 4 s, both faces large
    assert searches_with_tiles(at_the_counter, monkeypatch) == [True, False, False, True]


def test_after_a_cut_the_tiles_are_searched_and_kept_while_they_find_small_faces(
    media: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    film = one_shot_then_another(
        media / "two_kitchen_side_by_side.mp4",
        media / "two_seated_facing.mp4",  # across a room: one face too small for the whole
        tmp_path / "kitchen_then_room.mp4",
    )
    assert searches_with_tiles(film, monkeypatch) == [True, False, True, True]
