"""``vigvision app``: a guider's whole work on one local page, from consent to purge, with
the review page's guards, and nothing lost when the app is killed."""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.compose import TAKING_TURNS, Talk, load_clip, side_by_side_conversation
from tests.helpers import fetch, serve

# The first cycle's film: long turns, few of them passing; the second: quick turns.
LONG_TURNS = (Talk(0, 0.0, 5.0), Talk(1, 0.5, 5.0), Talk(0, 1.0, 5.0), Talk(1, 3.0, 5.0)) * 2


@pytest.fixture(scope="module")
def films(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A guider's folder of two films of an adult and a child talking (cycles 1 and 2)."""
    from tests.conftest import MEDIA

    if not MEDIA.is_dir():
        pytest.skip(f"real media folder {MEDIA} is absent")
    home = tmp_path_factory.mktemp("guider")
    folder = home / "Videos"
    folder.mkdir()
    adult = load_clip(MEDIA / "adult_talking_head_2.mp4")
    child = load_clip(MEDIA / "child_face_closeup.mp4")
    side_by_side_conversation(adult, child, list(LONG_TURNS), folder / "first visit.mp4")
    side_by_side_conversation(adult, child, list(TAKING_TURNS * 3), folder / "third visit.mp4")
    (home / ".hidden").mkdir()
    (folder / "notes.txt").write_text("not a film")
    return home


@dataclass
class App:
    server: subprocess.Popen[str]
    address: str
    root: Path

    @property
    def base(self) -> str:
        return self.address.split("/?token=")[0]

    @property
    def token(self) -> str:
        return self.address.split("/?token=")[1]

    def get(self, path: str) -> Any:
        status, body, _ = fetch(f"{self.base}{path}{'&' if '?' in path else '?'}token={self.token}")
        assert status == 200, body
        return json.loads(body)

    def post(self, path: str, body: dict[str, Any], expect: int = 200) -> Any:
        status, answer, _ = fetch(
            f"{self.base}{path}",
            data=json.dumps(body),
            **{"Content-Type": "application/json", "X-Vigvision-Token": self.token},
        )
        assert status == expect, answer
        return json.loads(answer)

    def stop(self) -> str:
        """Ctrl+C, as a guider closes it; what it said."""
        self.server.send_signal(signal.SIGINT)
        return self.server.communicate(timeout=30)[1]

    def kill(self) -> None:
        os.kill(self.server.pid, signal.SIGKILL)
        self.server.communicate(timeout=30)


def start_app(root: Path, films: Path) -> App:
    # Short moments, as for short films: these are under a minute each.
    server, address = serve(
        "--set", f"cases.root={root}", "--set", f"app.film_folders=[{json.dumps(str(films))}]",
        "--set", "suggest.min_len_s=4", "--set", "suggest.max_len_s=8",
        "app", "--no-browser", banner="vigvision app:",
    )  # fmt: skip
    return App(server, address, root)


@pytest.fixture
def app(films: Path, tmp_path: Path) -> Iterator[App]:
    running = start_app(tmp_path / "cases", films)
    yield running
    if running.server.poll() is None:
        running.stop()


def analysed(app: App, case: str, film: str, timeout_s: float = 240) -> list[dict[str, Any]]:
    """Every state the film's analysis was seen in, polled as the page polls, until it ends."""
    seen = []
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        entry = next(f for f in app.get(f"/api/cases/{case}")["films"] if f["id"] == film)
        seen.append(entry)
        if entry["analysed"] and (entry["analysis"] or {}).get("state") not in (
            "queued",
            "running",
        ):
            return seen
        time.sleep(0.5)
    raise AssertionError(f"the analysis did not end: {seen[-1]}")


def new_case(app: App, name: str = "family-07") -> None:
    made = app.post(
        "/api/cases",
        {"name": name, "consent_ref": "CF-14", "consent_date": "2026-10-01", "retain_days": 90},
    )
    assert made["name"] == name


def add_films(app: App, case: str, home: Path) -> list[str]:
    """Both films, picked in the chooser as a guider would: home, then Videos, then each."""
    top = app.get("/api/files")
    assert top["folder"] == str(home.resolve()) and "Videos" in top["folders"]
    assert ".hidden" not in top["folders"]
    videos = app.get(f"/api/files?folder={quote(top['folder'] + '/Videos')}")
    assert [f["name"] for f in videos["films"]] == ["first visit.mp4", "third visit.mp4"]
    ids = []
    for cycle, name in ((1, "first visit.mp4"), (2, "third visit.mp4")):
        added = app.post(f"/api/cases/{case}/films", {"path": f"{videos['folder']}/{name}",
                                                       "cycle": cycle})  # fmt: skip
        ids.append(added["id"])
    return ids


def choose(app: App, case: str, film: str, count: int, note: str) -> None:
    """On the film's review page: choose the first ``count`` moments, each with a note."""
    review = f"/cases/{case}/films/{film}/review"
    moments = app.get(f"{review}/api/review")["moments"]
    assert len(moments) >= count
    for index, moment in enumerate(moments[:count]):
        moment.update(status="chosen", note=f"{note} ({index + 1})")
    app.post(f"{review}/api/selections", {"moments": moments})


def test_a_guiders_work_from_consent_to_purge(app: App, films: Path) -> None:
    new_case(app)
    assert [c["name"] for c in app.get("/api/cases")["cases"]] == ["family-07"]
    goals = {"goals": ["turn-taking", "not-a-goal"], "words": "To enjoy reading together"}
    app.post("/api/cases/family-07/goals", goals)
    first, second = add_films(app, "family-07", films)

    for film in (first, second):
        app.post(f"/api/cases/family-07/films/{film}/analyse", {})
    seen = analysed(app, "family-07", first) + analysed(app, "family-07", second)
    running = [s["analysis"] for s in seen if (s["analysis"] or {}).get("state") == "running"]
    assert running, "the page never saw an analysis under way"
    assert any(0 < r["fraction"] < 1 for r in running)  # a progress bar that moves
    assert any(r["eta_s"] is not None for r in running)

    # The guider says who the adult is (as when vigvision cannot tell): the film's people are
    # listed left to right, and the suggestions are made again with that one as the adult.
    people = next(f for f in app.get("/api/cases/family-07")["films"] if f["id"] == first)["people"]
    assert len(people) == 2
    app.post(f"/api/cases/family-07/films/{first}/analyse", {"adult": people[1]["person"]})
    analysed(app, "family-07", first)
    entry = next(f for f in app.get("/api/cases/family-07")["films"] if f["id"] == first)
    assert [p["role"] for p in entry["people"]] == ["child", "adult"] and entry["candidates"]
    for film, note in ((first, "You wait for her"), (second, "She shows you the book")):
        choose(app, "family-07", film, count=3, note=note)
    case = app.get("/api/cases/family-07")
    assert (
        case["goals"] == ["turn-taking"] and case["goals_in_words"] == "To enjoy reading together"
    )
    assert [(f["cycle"], f["chosen"]) for f in case["films"]] == [(1, 3), (2, 3)]
    # The second film has more turns passing: said as growth, in strengths-based words.
    assert any(line.startswith("More turns passing between you") for line in case["growth"])
    assert not any(word in " ".join(case["growth"]).lower() for word in ("less", "fewer", "drop"))

    app.post("/api/cases/family-07/letter", {})
    status, letter, headers = fetch(f"{app.base}/cases/family-07/letter?token={app.token}")
    text = letter.decode()
    assert status == 200 and "To enjoy reading together" in text
    assert "You wait for her (1)" in text and "She shows you the book (3)" in text
    assert "Film 1" in text and "Film 2" in text
    assert "default-src 'none'" in headers["content-security-policy"]

    app.post("/api/cases/family-07/purge", {"confirm": "family 07"}, expect=400)
    done = app.post("/api/cases/family-07/purge", {"confirm": "family-07",
                                                   "reason": "consent withdrawn"})  # fmt: skip
    assert done["files"] > 0 and done["kept"] == 0
    assert app.get("/api/cases")["cases"] == []
    assert (films / "Videos" / "first visit.mp4").is_file()  # the films stay where they are
    assert "consent withdrawn" in (app.root / "purge.log").read_text()


def test_an_analysis_stopped_on_the_page_stops_and_can_be_asked_again(
    app: App, films: Path
) -> None:
    new_case(app, "family-10")
    first, _ = add_films(app, "family-10", films)
    app.post(f"/api/cases/family-10/films/{first}/analyse", {})
    deadline = time.time() + 120
    while (app.get("/api/cases/family-10")["films"][0]["analysis"] or {}).get("fraction", 0) < 0.2:
        assert time.time() < deadline
        time.sleep(0.2)
    app.post(f"/api/cases/family-10/films/{first}/cancel", {})
    deadline = time.time() + 30
    while (entry := app.get("/api/cases/family-10")["films"][0])["analysis"][
        "state"
    ] != "cancelled":
        assert time.time() < deadline, entry
        time.sleep(0.2)
    assert not entry["analysed"]
    case = json.loads((app.root / "family-10" / "case.json").read_text())
    assert case["pending"] == []  # not taken up again at the next start
    app.post(f"/api/cases/family-10/films/{first}/analyse", {})
    assert analysed(app, "family-10", first)[-1]["analysis"]["state"] == "done"


def test_a_film_is_added_once_and_only_a_film(app: App, films: Path) -> None:
    new_case(app, "family-11")
    first, _ = add_films(app, "family-11", films)
    again = {"path": str((films / "Videos" / "first visit.mp4").resolve()), "cycle": 3}
    refused = app.post("/api/cases/family-11/films", again, expect=409)
    assert "already in this case, as the film of cycle 1" in refused["error"]
    fake = films / "Videos" / "broken.mp4"
    fake.write_bytes(b"not a film at all")
    try:
        refused = app.post("/api/cases/family-11/films", {"path": str(fake)}, expect=400)
        assert "broken.mp4" in refused["error"]
    finally:
        fake.unlink()
    app.post("/api/cases/family-11/films/" + first + "/remove", {})
    assert [f["name"] for f in app.get("/api/cases/family-11")["films"]] == ["third visit.mp4"]


def test_the_app_guards_every_door(app: App, films: Path, tmp_path: Path) -> None:
    new_case(app, "family-08")
    assert fetch(f"{app.base}/")[0] == 403  # no token
    assert fetch(f"{app.base}/?token=wrong")[0] == 403
    assert fetch(app.address, Host="attacker.example")[0] == 403  # DNS rebinding
    assert fetch(app.address)[0] == 200
    # A change needs the token in a header, which another site's page cannot send.
    body = json.dumps({"name": "x", "consent_ref": "y", "consent_date": "2026-01-01"})
    for path in ("/api/cases", "/api/cases/family-08/purge", "/api/cases/family-08/films"):
        assert fetch(f"{app.base}{path}?token={app.token}", data=body,
                     **{"Content-Type": "application/json"})[0] == 403  # fmt: skip
    for sneaky in (
        "/static/../server.py", "/static/..%2Fserver.py", "/api/cases/..%2F..%2Fetc",
        "/api/cases/family-08/films/..%2F..%2Fx/cancel", "/cases/..%2Ffamily-08/letter",
        "/cases/family-08/films/abc/review/exports/..%2F..%2Fcase.json",
        "/cases/family-08/films/abc/people/1.jpg",
    ):  # fmt: skip
        assert fetch(f"{app.base}{sneaky}?token={app.token}")[0] in (403, 404, 405)
    # The chooser shows the guider's folders only: nothing above, beside, hidden or linked out.
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "other.mp4").write_bytes(b"")
    (films / "link-out").symlink_to(outside)
    try:
        for folder in ("/", "/etc", str(films.parent), str(films / ".hidden"),
                       str(films / "link-out"), str(films / "Videos" / ".." / "..")):  # fmt: skip
            status, _, _ = fetch(f"{app.base}/api/files?folder={quote(folder)}&token={app.token}")
            assert status == 403, folder
        app.post("/api/cases/family-08/films", {"path": str(outside / "other.mp4")}, expect=403)
        app.post("/api/cases/family-08/films", {"path": "/etc/passwd"}, expect=403)
    finally:
        (films / "link-out").unlink()


def test_a_killed_app_loses_nothing_and_goes_on_analysing(films: Path, tmp_path: Path) -> None:
    root = tmp_path / "cases"
    app = start_app(root, films)
    new_case(app)
    first, second = add_films(app, "family-07", films)
    app.post(f"/api/cases/family-07/films/{first}/analyse", {})
    analysed(app, "family-07", first)
    # A note typed on, saved as it grows, and the app killed while it is being saved.
    review = f"/cases/family-07/films/{first}/review"
    moments = app.get(f"{review}/api/review")["moments"]
    acknowledged = []
    killer = threading.Timer(1.5, lambda: os.kill(app.server.pid, signal.SIGKILL))
    killer.start()
    for n in range(100_000):
        moments[0].update(status="chosen", note=f"You wait for her, note {n}")
        try:
            app.post(f"{review}/api/selections", {"moments": moments})
        except (AssertionError, OSError, http.client.HTTPException):
            break  # killed: before the answer, or half-way through it (IncompleteRead)
        acknowledged.append(n)
    killer.join()
    app.server.communicate(timeout=30)
    assert len(acknowledged) > 5
    # The second film's analysis asked for, and the app killed half-way through it.
    app = start_app(root, films)
    app.post(f"/api/cases/family-07/films/{second}/analyse", {})
    deadline = time.time() + 120
    while (app.get("/api/cases/family-07")["films"][1]["analysis"] or {}).get("fraction", 0) < 0.3:
        assert time.time() < deadline
        time.sleep(0.2)
    app.kill()

    key = app.token
    app = start_app(root, films)
    assert app.token == key  # a page left open, or a bookmark, works again
    try:
        # Every note acknowledged is there (one more, if it reached the disk before the kill).
        saved = app.get(f"{review}/api/review")["moments"][0]["note"]
        last = acknowledged[-1]
        assert saved in (f"You wait for her, note {last}", f"You wait for her, note {last + 1}")
        entry = analysed(app, "family-07", second)[-1]
        assert entry["analysis"]["state"] == "done" and entry["candidates"] > 0
    finally:
        said = app.stop()
    assert "Going on with the analysis of 1 film(s)" in said


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# The visible controls of a page that a screen reader could only call "button" or "edit".
UNNAMED_CONTROLS = """[...document.querySelectorAll("button, input, select, textarea, a[href]")]
  .filter((c) => c.offsetParent !== null)
  .filter((c) => !(c.labels && c.labels.length) && !c.getAttribute("aria-label")
                 && !c.textContent.trim() && c.type !== "hidden")
  .map((c) => c.outerHTML.slice(0, 80))"""


@pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)"
)
def test_a_guider_walks_the_whole_work_in_the_browser(
    app: App, films: Path, tmp_path: Path
) -> None:
    pytest.importorskip("playwright", reason="playwright: `uv sync --all-groups` adds it")
    from playwright.sync_api import expect, sync_playwright

    shots = tmp_path / "screenshots"
    shots.mkdir()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(app.address)
        expect(page.get_by_text("No case yet")).to_be_visible()

        # A new case, by its code name and the consent's reference and date.
        page.get_by_label("Code name").fill("family-09")
        page.get_by_label("Consent reference").fill("CF-22")
        page.get_by_label("Consent given on").fill("2026-11-02")
        page.get_by_role("button", name="Make the case").click()
        expect(page.get_by_role("heading", name="Case family-09")).to_be_visible()

        # The adult's goals, in their words and as what to look for more of.
        page.get_by_label("In their words").fill("To enjoy reading together")
        page.get_by_label("attuned interactions").check()
        expect(page.locator("#goals-saved")).to_contain_text("Saved")

        # Two films, cycles 1 and 2, picked in the chooser (the keyboard alone, once).
        for cycle, name in (("1", "first visit.mp4"), ("2", "third visit.mp4")):
            page.get_by_label("Film of cycle").select_option(cycle)
            page.get_by_role("button", name="Add a film…").click()
            dialog = page.locator("#chooser")
            expect(dialog).to_be_visible()
            if cycle == "1":  # by the keyboard: the first folder has the focus
                expect(dialog.get_by_role("button", name="Folder Videos")).to_be_focused()
                page.keyboard.press("Enter")
                expect(dialog.get_by_role("button", name="↑ Up a folder")).to_be_focused()
                page.keyboard.press("Tab")
                expect(dialog.get_by_role("button", name=f"Add film {name}")).to_be_focused()
                page.keyboard.press("Enter")
            else:  # it opens where the last film was found
                expect(dialog.locator("#chooser-folder")).to_have_text(re.compile("Videos$"))
                dialog.get_by_role("button", name=f"Add film {name}").click()
            expect(dialog).to_be_hidden()
        expect(page.locator(".film")).to_have_count(2)

        # Both analysed, with a progress bar, while the guider watches.
        page.get_by_role("button", name="Analyse film 1").click()
        expect(page.locator(".film progress").first).to_be_visible(timeout=30000)
        page.get_by_role("button", name="Analyse film 2").click()
        expect(page.get_by_text("Waiting for the film before it")).to_be_visible()
        page.screenshot(path=str(shots / "case-analysing-1280x800.png"))
        reviews = page.get_by_role("link", name=re.compile("Review the moments"))
        expect(reviews).to_have_count(2, timeout=240000)

        # Three moments chosen, with notes, on each film's review page.
        for cycle in (1, 2):
            page.get_by_role("link", name=f"Review the moments of film {cycle}").click()
            cards = page.locator(".moment")
            expect(cards.first).to_be_visible()
            # The other films of the case are a choice away.
            picker = page.get_by_label("Another film of the case")
            expect(picker.locator("option")).to_have_count(2)
            for index in range(3):
                cards.nth(index).get_by_role("button", name="Choose this moment").click()
                cards.nth(index).locator("textarea").fill(f"You wait for her (film {cycle})")
            expect(page.locator("#status")).to_have_text("All changes saved", timeout=10000)
            assert page.evaluate(UNNAMED_CONTROLS) == []
            if cycle == 1:
                page.screenshot(path=str(shots / "review-in-app-1280x800.png"))
            page.get_by_role("link", name="← The case").click()
            expect(page.get_by_role("heading", name="Case family-09")).to_be_visible()
        expect(page.get_by_text("3 chosen")).to_have_count(2)

        # Every control is named for a screen reader (its label, its words or aria-label).
        unnamed = page.evaluate(UNNAMED_CONTROLS)
        assert unnamed == [], unnamed
        # What grew from the first film to the second, in strengths-based words.
        expect(page.locator("#growth li").first).to_contain_text("More turns passing between you")
        page.screenshot(path=str(shots / "case-1280x800.png"), full_page=True)
        page.set_viewport_size({"width": 800, "height": 1000})
        page.screenshot(path=str(shots / "case-800x1000.png"), full_page=True)

        # The letter.
        page.get_by_role("button", name="Draft the letter").click()
        with page.expect_popup() as opened:
            page.get_by_role("link", name="Open the letter").click()
        letter = opened.value
        expect(letter.get_by_text("To enjoy reading together", exact=False)).to_be_visible()
        letter.screenshot(path=str(shots / "letter-800x1000.png"))
        letter.close()

        # Purge: the dialog names what goes, and wants the name typed.
        page.get_by_role("button", name="Delete the case…").click()
        expect(page.locator("#purge-what")).to_contain_text("The films themselves stay")
        page.get_by_label("Consent was withdrawn").check()
        page.get_by_label("Type the case's name to confirm").fill("family-09")
        page.get_by_role("button", name="Delete everything now").click()
        expect(page.get_by_text("No case yet")).to_be_visible()
        browser.close()
    assert errors == []
    assert not (app.root / "family-09").exists()


def test_the_chooser_never_offers_what_vigvision_made(tmp_path: Path) -> None:
    from vigvision.app.chooser import OutsideError, chosen_film, listing

    home = tmp_path / "home"
    cases = home / "vigvision-cases"
    (cases / "family-07" / "films" / "visit-1a2b").mkdir(parents=True)
    clip = cases / "family-07" / "films" / "visit-1a2b" / "moment-1.mp4"
    clip.write_bytes(b"")
    (home / "Videos").mkdir()
    found = listing(home, (home,), away=(cases,))
    assert found.folders == ["Videos"]
    with pytest.raises(OutsideError, match="keeps the cases"):
        listing(cases / "family-07", (home,), away=(cases,))
    with pytest.raises(OutsideError):
        chosen_film(clip, (home,), away=(cases,))
