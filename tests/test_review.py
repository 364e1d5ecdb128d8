"""The review page: its server's guards, the playable copy, and a guider's session in Chromium.

The browser test drives Debian's ``chromium`` (installed by .ci/run) through Playwright,
never a downloaded browser. Screenshots at 1280x800 are saved in the test's temp folder.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.compose import TAKING_TURNS, load_clip, side_by_side_conversation
from tests.helpers import fetch, serve, vigvision
from vigvision.film import probe

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def case_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Case family-07 with suggestions for a 43 s film of two people taking turns."""
    from tests.conftest import MEDIA

    if not MEDIA.is_dir():
        pytest.skip(f"real media folder {MEDIA} is absent")
    folder = tmp_path_factory.mktemp("review")
    film = folder / "films" / "visit.mp4"
    film.parent.mkdir()
    adult, child = (
        load_clip(MEDIA / "adult_talking_head_2.mp4"),
        load_clip(MEDIA / "child_face_closeup.mp4"),
    )
    side_by_side_conversation(adult, child, TAKING_TURNS * 3, film)
    root = folder / "cases"
    base = ("--set", f"cases.root={root}")
    made = vigvision(*base, "case", "new", "family-07", "--consent-ref", "CF-14",
                     "--consent-date", "2026-10-01")  # fmt: skip
    assert made.returncode == 0, made.stderr
    done = vigvision(*base, "-q", "suggest", str(film), "--case", "family-07", "--adult", "left",
                     "--min-len", "4", "--max-len", "8", "--top", "5")  # fmt: skip
    assert done.returncode == 0, done.stderr
    return root


def start_review(*args: str) -> tuple[subprocess.Popen[str], str]:
    return serve(*args, banner="Review page:")


@pytest.fixture
def page_address(case_root: Path) -> Iterator[str]:
    server, address = start_review(
        "--set", f"cases.root={case_root}", "review", "family-07", "--no-browser"
    )
    yield address
    server.terminate()
    server.wait(timeout=10)


def test_the_server_guards_every_door(page_address: str) -> None:
    base, token = page_address.split("/?token=")
    assert fetch(f"{base}/")[0] == 403  # no token
    assert fetch(f"{base}/?token=wrong")[0] == 403
    assert fetch(f"{base}/api/review")[0] == 403
    status, _, headers = fetch(page_address)
    assert status == 200 and "default-src 'none'" in headers["content-security-policy"]
    assert fetch(page_address, Host="attacker.example")[0] == 403  # DNS rebinding
    # Changes need the token in a header, which another site's page cannot send.
    body = json.dumps({"moments": []})
    assert fetch(f"{base}/api/selections?token={token}", data=body,
                 **{"Content-Type": "application/json"})[0] == 403  # fmt: skip
    for sneaky in ("/exports/../candidates.json", "/exports/..%2Fcandidates.json",
                   "/static/../server.py", "/media/../../case.json"):  # fmt: skip
        assert fetch(f"{base}{sneaky}?token={token}")[0] in (403, 404)
    status, _, headers = fetch(f"{base}/media/film?token={token}", Range="bytes=0-99")
    assert status == 206 and headers["content-range"].startswith("bytes 0-99/")


def test_the_timeline_names_voices_by_who_speaks(page_address: str) -> None:
    base, token = page_address.split("/?token=")
    data = json.loads(fetch(f"{base}/api/review?token={token}")[1])
    voices = [t["label"] for t in data["tracks"] if "speak" in t["label"] or "voice" in t["label"]]
    # Every voice is in a lane of its role (the adult is the left person: --adult left).
    assert voices and set(voices) <= {"Adult speaks", "Child speaks", "Another voice"}
    assert "Adult speaks" in voices and "Child speaks" in voices


def test_a_film_browsers_cannot_play_gets_a_playable_copy_once(media: Path, tmp_path: Path) -> None:
    folder = tmp_path / "iphone"
    folder.mkdir()
    film = media / "face_then_noface_hevc.mov"
    info = probe(film)
    candidates = {
        "schema": "vigvision.candidates/1",
        "film": {"path": str(film), "sha256": info.sha256, "duration_s": info.duration_s},
        "candidates": [{"rank": 1, "start_s": 0.5, "end_s": 2.0, "explanation": "A face."}],
    }
    (folder / "candidates.json").write_text(json.dumps(candidates))
    server, address = start_review("review", str(folder), "--no-browser")
    try:
        base, token = address.split("/?token=")
        status, body, _ = fetch(f"{base}/api/review?token={token}")
        assert status == 200 and json.loads(body)["needs_proxy"] is True
        post = {"data": "{}", "Content-Type": "application/json", "X-Vigvision-Token": token}
        assert fetch(f"{base}/api/proxy", **post)[0] == 200
        deadline = time.time() + 60
        while json.loads(fetch(f"{base}/api/proxy?token={token}")[1])["state"] == "making":
            assert time.time() < deadline
            time.sleep(0.3)
        copy = probe(folder / "proxy.mp4")
        assert copy.video_codec == "h264" and abs(copy.duration_s - info.duration_s) < 0.1
        status, body, _ = fetch(f"{base}/media/film?token={token}", Range="bytes=0-11")
        assert status == 206 and body[4:8] == b"ftyp"
    finally:
        server.terminate()
        server.wait(timeout=10)


def settle(page: Any) -> None:
    """Wait until the film's first picture and the stills are there (as a guider sees it)."""
    deadline = time.time() + 20
    while not page.evaluate(
        "video().readyState >= 2 && [...document.images].every((i) => i.complete)"
    ):
        assert time.time() < deadline, "the page's pictures did not load"
        page.wait_for_timeout(100)


@pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)"
)
def test_a_guider_reviews_chooses_reloads_and_exports(
    case_root: Path, page_address: str, tmp_path: Path
) -> None:
    pytest.importorskip("playwright", reason="playwright: `uv sync --all-groups` adds it")
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(page_address)
        cards = page.locator(".moment")
        expect(cards.first).to_be_visible()
        assert cards.count() >= 4
        # The cues of each card and of the whole film say what they are, and when.
        assert "Facing each other" in cards.first.locator(".legend").inner_text()
        assert "0:00" in page.locator("#timeline").inner_text()
        nudge = cards.first.get_by_role("button", name="Start half a second earlier")
        assert nudge.inner_text() == "−0.5 s"
        expect(page.locator("#status")).to_have_text("All changes saved")
        settle(page)
        page.screenshot(path=str(tmp_path / "review-1280x800.png"))

        # Play the first candidate: the film moves inside it (and loops there).
        first = json.loads(page.evaluate("JSON.stringify(state.moments[0])"))
        cards.first.get_by_role("button", name="Play moment 1").click()
        # Polled from here: the page's CSP forbids the string evaluation wait_for_function uses.
        deadline = time.time() + 20
        while (now := page.evaluate("video().currentTime")) < first["start_s"] + 0.5:
            assert time.time() < deadline, f"the film did not play (at {now:.2f} s)"
            page.wait_for_timeout(100)
        assert first["start_s"] <= now <= first["end_s"]
        page.evaluate("video().pause()")

        # Choose three (suggestions 1, 2 and 4), each with a note of what is working.
        for index in (0, 1, 3):
            card = cards.nth(index)
            card.get_by_role("button", name="Choose this moment").click()
            cards.nth(index).locator("textarea").fill(f"You wait, and the child answers ({index})")
        expect(page.locator("#status")).to_have_text("All changes saved", timeout=10000)
        expect(page.locator(".moment.chosen")).to_have_count(3)
        settle(page)
        page.screenshot(path=str(tmp_path / "review-chosen-1280x800.png"))

        ranks = page.locator(".moment .number").all_inner_texts()
        page.reload()
        expect(page.locator(".moment.chosen")).to_have_count(3)
        assert page.locator(".moment .number").all_inner_texts() == ranks  # still in rank order
        assert ranks[:4] == ["1", "2", "3", "4"]
        notes = page.locator(".moment.chosen textarea")
        assert sorted(notes.nth(i).input_value() for i in range(3)) == [
            f"You wait, and the child answers ({i})" for i in (0, 1, 3)
        ]

        page.get_by_role("button", name="Save clips").click()
        expect(page.locator("#exported a")).to_have_count(3, timeout=60000)
        # Named as on the cards, and the page says where they are.
        assert [a.split("_")[0] for a in page.locator("#exported a").all_inner_texts()] == [
            "moment-1",
            "moment-2",
            "moment-4",
        ]
        assert "Saved in " in page.locator("#exported").inner_text()
        assert str(case_root) in page.locator("#exported").inner_text()
        chosen = sorted(
            (m for m in json.loads(page.evaluate("JSON.stringify(state.moments)"))
             if m["status"] == "chosen"),
            key=lambda m: m["start_s"],
        )  # fmt: skip

        # A drag that starts on the lanes' names adds nothing (it once added one from 0:00).
        count = page.locator(".moment").count()
        box = page.locator("#timeline svg").bounding_box()
        assert box is not None
        y = box["y"] + box["height"] - 30
        page.mouse.move(box["x"] + 20, y)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.4, y, steps=5)
        page.mouse.up()
        expect(page.locator(".moment")).to_have_count(count)
        # A moment vigvision missed, dragged across the lanes, is added for the guider to
        # choose or not: it is not chosen for them.
        page.mouse.move(box["x"] + box["width"] * 0.55, y)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.7, y, steps=5)
        page.mouse.up()
        expect(page.locator(".moment")).to_have_count(count + 1)
        expect(page.locator(".moment.chosen")).to_have_count(3)
        added = page.locator(".moment").last
        assert added.locator(".number").inner_text() == "Added 1"
        assert added.locator(".state").inner_text() == "to look at"
        expect(page.locator("#status")).to_have_text("All changes saved", timeout=10000)
        # The keyboard alone: J goes to the next moment and plays it, X sets it aside.
        page.keyboard.press("j")
        page.keyboard.press("x")
        expect(page.locator(".moment.aside")).to_have_count(1)
        page.set_viewport_size({"width": 800, "height": 1000})
        settle(page)
        page.screenshot(path=str(tmp_path / "review-800x1000.png"))
        browser.close()
    assert errors == []  # not even a refused /favicon.ico

    films = case_root / "family-07" / "films"
    (folder,) = [p.parent for p in films.glob("*/candidates.json")]
    clips = list((folder / "exports").glob("moment-*.mp4"))
    assert len(clips) == 3
    by_rank = {m["rank"]: m for m in chosen}
    for clip in clips:
        moment = by_rank[int(clip.name.split("_")[0].removeprefix("moment-"))]
        info = probe(clip)
        assert info.video_codec == "h264" and info.audio_codec == "aac"
        assert abs(info.duration_s - (moment["end_s"] - moment["start_s"])) <= 1 / 25 + 1e-3


def test_export_and_letter_from_the_command_line(case_root: Path) -> None:
    base = ("--set", f"cases.root={case_root}")
    films = case_root / "family-07" / "films"
    (folder,) = [p.parent for p in films.glob("*/candidates.json")]
    candidates = json.loads((folder / "candidates.json").read_text())
    chosen = candidates["candidates"][1]
    nothing_chosen = [{**chosen, "id": "c2", "status": "set aside", "note": ""}]
    (folder / "selections.json").write_text(
        json.dumps({"film": candidates["film"], "moments": nothing_chosen})
    )
    done = vigvision(*base, "letter", "family-07")
    assert done.returncode == 2 and "no moment is chosen yet" in done.stderr
    (folder / "selections.json").write_text(
        json.dumps(
            {
                "schema": "vigvision.selections/1",
                "film": candidates["film"],
                "moments": [
                    {**chosen, "id": "c2", "status": "chosen", "note": "You wait for her."}
                ],
            }
        )
    )
    done = vigvision(*base, "export", "family-07", "--stills", "--eaf", "--csv")
    assert done.returncode == 0, done.stderr
    written = [Path(line) for line in done.stdout.split()]
    assert sorted(p.suffix for p in written) == [".csv", ".eaf", ".png"]
    # The ELAN file and the CSV are labels `vigvision train` reads.
    from vigvision.labels import read_moments

    for labels in (p for p in written if p.suffix in (".eaf", ".csv")):
        (moment,) = read_moments(labels)
        assert (moment.span.start, moment.span.end) == (chosen["start_s"], chosen["end_s"])
    done = vigvision(*base, "letter", "family-07")
    assert done.returncode == 0, done.stderr
    letter = Path(done.stdout.strip()).read_text()
    assert "You wait for her." in letter and "data:image/jpeg;base64," in letter
    assert "contenteditable" in letter and "http" not in letter.replace("http-equiv", "")


def test_review_of_something_that_is_not_a_case(tmp_path: Path) -> None:
    done = vigvision("--set", f"cases.root={tmp_path}", "review", "nobody-here", "--no-browser")
    assert done.returncode == 2 and "no case named nobody-here" in done.stderr


def test_closing_the_page_with_ctrl_c_is_no_error(case_root: Path) -> None:
    server, address = start_review(
        "--set", f"cases.root={case_root}", "review", "family-07", "--no-browser"
    )
    assert fetch(address)[0] == 200
    server.send_signal(signal.SIGINT)
    _, said = server.communicate(timeout=20)
    assert server.returncode == 0, said
    assert "error" not in said and "saved" in said


def suggestion(rank: int, start_s: float, end_s: float) -> dict[str, Any]:
    return {"rank": rank, "start_s": start_s, "end_s": end_s, "explanation": f"moment {rank}"}


def run_of_suggest(*suggestions: dict[str, Any]) -> dict[str, Any]:
    return {"film": {"path": "visit.mp4", "sha256": "ab" * 32, "duration_s": 120.0},
            "candidates": list(suggestions)}  # fmt: skip


def test_a_new_run_of_suggest_keeps_what_the_guider_did_and_drops_the_rest(
    tmp_path: Path,
) -> None:
    from vigvision import selections

    first = run_of_suggest(suggestion(1, 10, 18), suggestion(2, 40, 48), suggestion(3, 70, 78))
    moments = selections.load(tmp_path, first)
    chosen, untouched, noted = moments
    added = selections.Moment("g1", 90, 95, "open", "", "guider", None, "")
    worked = [
        replace(chosen, status="chosen", note="You wait for her"),
        untouched,
        replace(noted, note="She shows you the toy"),
        added,
    ]
    selections.save(tmp_path, first, worked)
    assert selections.load(tmp_path, first) == worked  # the same run: as saved

    # suggest again (say with --adult left): moment 1 again, the others new.
    second = run_of_suggest(suggestion(1, 10, 18), suggestion(2, 55, 63))
    again = selections.load(tmp_path, second)
    assert [(m.id, m.start_s, m.status, m.note) for m in again] == [
        ("c1", 10, "chosen", "You wait for her"),  # suggested again: the guider's choice stays
        ("c2", 55, "open", ""),  # new
        ("ec3", 70, "open", "She shows you the toy"),  # from the earlier run, with its note
        ("g1", 90, "open", ""),  # the guider's own
    ]
    assert selections.card_labels(again) == {"c1": "1", "c2": "2", "ec3": "earlier 1",
                                             "g1": "added 1"}  # fmt: skip


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_pages_scripts_parse() -> None:
    """A typo in a page's script leaves the page at "Loading…": caught here, not by a guider."""
    from vigvision.app.server import STATIC as APP
    from vigvision.review.server import STATIC as REVIEW

    for script in (APP / "app.js", REVIEW / "app.js"):
        done = subprocess.run(["node", "--check", str(script)], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
