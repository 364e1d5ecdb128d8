"""``vigvision app``: the guider's whole VIG work on one local page, without the terminal.

Cases (consent, retention, purge), the adult's goals, the films of each cycle (picked in the
user's own folders, ``chooser``), their analysis in the background (``jobs``), the review
page of any film (the review routes, mounted per film), what grew across the cycles
(``vigvision.cycles``) and the letter at the end of the work. The same guard as the review
page (``vigvision.web``): loopback only, the token, the Host check, the CSP.
"""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Final

import numpy as np
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route

from vigvision import selections
from vigvision.app.chooser import OutsideError, allowed_roots, chosen_film, listing
from vigvision.app.jobs import Analyses
from vigvision.cases import (
    Case,
    list_cases,
    new_case,
    open_case,
    purge,
    with_film,
    with_goals,
    without_film,
    worked_on,
)
from vigvision.config import Settings
from vigvision.cycles import FilmMeasures
from vigvision.errors import VigvisionError
from vigvision.review.server import Review, open_review, review_routes
from vigvision.web import guarded_app, json_body, page_and_files

STATIC: Final = Path(__file__).resolve().parent / "static"
_STATIC_FILES: Final = ("app.js", "app.css")
LETTER: Final = "letter.html"
# The letter is a page of its own (inline styles, stills inside it): nothing else is allowed.
_LETTER_CSP: Final = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def film_id(film: str) -> str:
    """A film's name in the app's addresses: says nothing of where it is or what it shows."""
    return hashlib.sha256(film.encode()).hexdigest()[:12]


@dataclass
class GuiderApp:
    """What the app holds while it runs: the cases' root, the analyses, open reviews."""

    root: Path
    settings: Settings
    analyses: Analyses
    reviews: dict[tuple[str, str], Review] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def case(self, name: str) -> Case:
        try:
            return open_case(self.root, name)
        except VigvisionError as problem:
            raise HTTPException(404, problem.one_line()) from problem

    def film_of(self, case: Case, film: str) -> str:
        for path in case.films:
            if film_id(path) == film:
                return path
        raise HTTPException(404, "no such film in this case")

    def analysed(self, case: Case) -> dict[str, Path]:
        """Each analysed film of the case (path) and its results folder."""
        found = {}
        for folder in case.film_folders():
            try:
                saved = json.loads((folder / "candidates.json").read_text(encoding="utf-8"))
                found[str(Path(saved["film"]["path"]).resolve())] = folder
            except (OSError, ValueError, KeyError):
                continue
        return found

    def review(self, request: Request) -> Review:
        """The review of the film a request's address names (made once, then kept)."""
        name, film = request.path_params["case"], request.path_params["film"]
        with self.lock:
            kept = self.reviews.get((name, film))
            if kept is not None:
                return kept
            case = self.case(name)
            folder = self.analysed(case).get(self.film_of(case, film))
            if folder is None:
                raise HTTPException(404, "this film has not been analysed yet")
            try:
                review = open_review(folder, self.settings)
            except VigvisionError as problem:
                raise HTTPException(404, problem.one_line()) from problem
            review.on_change = lambda: self.worked_on(name)
            self.reviews[(name, film)] = review
            return review

    def worked_on(self, name: str) -> None:
        with self.analyses.case_lock:
            worked_on(open_case(self.root, name), date.today())


def case_summary(case: Case) -> dict[str, Any]:
    return {
        "name": case.name,
        "consent_ref": case.consent_ref,
        "consent_date": case.consent_date,
        "last_worked": case.last_worked,
        "retain_until": case.retain_until.isoformat(),
        "films": len(case.films),
    }


def case_page(app: GuiderApp, case: Case) -> dict[str, Any]:
    """Everything the case's page shows: goals, films in cycle order, what grew."""
    from vigvision.cycles import what_grew
    from vigvision.model import load_principles

    analysed = app.analysed(case)
    films = []
    measures = []
    for number, path in enumerate(case.films, start=1):
        folder = analysed.get(path)
        job = app.analyses.of(case.name, path)
        entry: dict[str, Any] = {
            "id": film_id(path),
            "name": Path(path).name,
            "cycle": case.cycle_of(path),
            "order": number,
            "on_disk": Path(path).is_file(),
            "analysis": job.to_json() if job is not None else None,
            "analysed": folder is not None,
        }
        if folder is not None:
            candidates = json.loads((folder / "candidates.json").read_text(encoding="utf-8"))
            moments = selections.load(folder, candidates)
            pairs = {c.get("pair", "") for c in candidates["candidates"]}
            entry.update(
                candidates=len(candidates["candidates"]),
                chosen=len(selections.chosen(moments)),
                roles_known=not any(p.startswith("person ") for p in pairs),
                people=_people(folder),
            )
            measures.append(_measures(case.cycle_of(path), Path(path).name, folder))
        films.append(entry)
    films.sort(key=lambda f: (f["cycle"], f["order"]))
    measures.sort(key=lambda m: m.cycle)
    return {
        **case_summary(case),
        "goals": list(case.goals),
        "goals_in_words": case.goals_in_words,
        "goal_choices": [{"goal": p.goal, "name": p.name} for p in load_principles()],
        "films": films,
        "growth": what_grew(measures),
        "letter": (case.folder / LETTER).is_file(),
    }


def _measures(cycle: int, name: str, folder: Path) -> FilmMeasures:
    """A film's measures, read again only when its suggestions change: the page asks every
    second while a film is analysed, and reading a long film's cues.csv takes a while."""
    made = (folder / "candidates.json").stat().st_mtime_ns
    return _measures_of(cycle, name, folder, made)


@functools.lru_cache(maxsize=64)
def _measures_of(cycle: int, name: str, folder: Path, made: int) -> FilmMeasures:
    from vigvision.cycles import film_measures

    return film_measures(cycle, name, folder)


def _people(folder: Path) -> list[dict[str, Any]]:
    """The people seen longest (at most four): for the guider to say who is the adult."""
    try:
        saved = json.loads((folder / "people.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    people = sorted(saved.get("people", []), key=lambda p: -(p.get("frames") or 0))[:4]
    # Left to right, as the guider sees them in the film.
    people.sort(key=lambda p: p.get("centre_x") or 0.0)
    return [{"person": p["person"], "role": p.get("role", "unknown")} for p in people]


def make_app(app: GuiderApp, token: str, port: int) -> Starlette:
    roots = allowed_roots(app.settings.app.film_folders)
    away = (app.root.expanduser().resolve(),)

    async def cases(request: Request) -> Response:
        if request.method == "GET":
            return JSONResponse({"cases": [case_summary(c) for c in list_cases(app.root)]})
        body = await json_body(request)
        if isinstance(body, Response):
            return body
        try:
            with app.analyses.case_lock:
                case = new_case(
                    app.root,
                    str(body.get("name", "")),
                    str(body.get("consent_ref", "")),
                    str(body.get("consent_date", "")),
                    int(body.get("retain_days") or app.settings.cases.retain_days),
                    date.today(),
                )
        except (VigvisionError, ValueError) as problem:
            return _refused(problem)
        return JSONResponse(case_summary(case))

    async def one_case(request: Request) -> Response:
        case = app.case(request.path_params["case"])
        return JSONResponse(await run_in_threadpool(case_page, app, case))

    async def goals(request: Request) -> Response:
        body = await json_body(request)
        if isinstance(body, Response):
            return body
        from vigvision.model import load_principles

        known = {p.goal for p in load_principles()}
        chosen = tuple(str(g) for g in body.get("goals", []) if str(g) in known)
        words = str(body.get("words", ""))[:2000]
        with app.analyses.case_lock:
            case = with_goals(app.case(request.path_params["case"]), chosen, words)
        return JSONResponse({"goals": list(case.goals), "goals_in_words": case.goals_in_words})

    async def files(request: Request) -> Response:
        if not roots:
            return JSONResponse({"error": "no folder to choose films from"}, status_code=404)
        asked = request.query_params.get("folder")
        try:
            found = listing(Path(asked) if asked else roots[0], roots, away)
        except OutsideError as problem:
            return JSONResponse({"error": str(problem)}, status_code=403)
        return JSONResponse({**found.to_json(), "roots": [str(r) for r in roots]})

    async def add_film(request: Request) -> Response:
        body = await json_body(request)
        if isinstance(body, Response):
            return body
        try:
            film = chosen_film(Path(str(body.get("path", ""))), roots, away)
            cycle = int(body.get("cycle", 1))
        except OutsideError as problem:
            return JSONResponse({"error": str(problem)}, status_code=403)
        except ValueError:
            return JSONResponse({"error": "the cycle is a number (1, 2, 3...)"}, 400)
        if not 1 <= cycle <= 12:
            return JSONResponse({"error": "the cycle is a number from 1 to 12"}, 400)
        case = app.case(request.path_params["case"])
        if str(film) in case.films:
            return JSONResponse(
                {
                    "error": f"{film.name} is already in this case, as the film of cycle "
                    f"{case.cycle_of(str(film))}"
                },
                status_code=409,
            )
        why_not = await run_in_threadpool(_not_a_film, film)
        if why_not:
            return JSONResponse({"error": why_not}, status_code=400)
        with app.analyses.case_lock:
            case = with_film(app.case(request.path_params["case"]), film, cycle)
        return JSONResponse({"id": film_id(str(film)), "films": len(case.films)})

    async def analyse(request: Request) -> Response:
        case = app.case(request.path_params["case"])
        film = app.film_of(case, request.path_params["film"])
        body = await json_body(request)
        if isinstance(body, Response):
            return body
        adult = body.get("adult")
        if adult is not None and not str(adult).isdigit():
            return JSONResponse({"error": "the adult is a person's number"}, 400)
        app.reviews.pop((case.name, film_id(film)), None)  # new suggestions to come
        job = app.analyses.ask(case.name, film, None if adult is None else str(adult))
        return JSONResponse(job.to_json())

    async def remove(request: Request) -> Response:
        case = app.case(request.path_params["case"])
        film = app.film_of(case, request.path_params["film"])
        job = app.analyses.of(case.name, film)
        if job is not None and job.state in ("queued", "running"):
            return JSONResponse({"error": "stop its analysis first"}, status_code=409)
        with app.lock:
            app.reviews.pop((case.name, film_id(film)), None)
        with app.analyses.case_lock:
            updated = without_film(case, film)
        return JSONResponse({"films": len(updated.films)})

    async def cancel(request: Request) -> Response:
        case = app.case(request.path_params["case"])
        film = app.film_of(case, request.path_params["film"])
        job = app.analyses.cancel(case.name, film)
        return JSONResponse(job.to_json() if job is not None else {"state": "none"})

    async def person(request: Request) -> Response:
        case = app.case(request.path_params["case"])
        film = app.film_of(case, request.path_params["film"])
        folder = app.analysed(case).get(film)
        if folder is None:
            return PlainTextResponse("Not analysed yet.", status_code=404)
        picture = await run_in_threadpool(_face, Path(film), folder, request.path_params["person"])
        if picture is None:
            return PlainTextResponse("No picture of that person.", status_code=404)
        return Response(picture, media_type="image/jpeg")

    async def letter(request: Request) -> Response:
        case = app.case(request.path_params["case"])
        target = case.folder / LETTER
        if request.method == "POST":
            try:
                await run_in_threadpool(_write_letter, app, case, target)
            except VigvisionError as problem:
                return _refused(problem)
            return JSONResponse({"letter": f"/cases/{case.name}/letter"})
        if not target.is_file():
            return PlainTextResponse("No letter yet.", status_code=404)
        return FileResponse(
            target, media_type="text/html", headers={"Content-Security-Policy": _LETTER_CSP}
        )

    async def purge_case(request: Request) -> Response:
        case = app.case(request.path_params["case"])
        body = await json_body(request)
        if isinstance(body, Response):
            return body
        if body.get("confirm") != case.name:
            return JSONResponse({"error": "type the case's name to confirm"}, status_code=400)
        reason = "consent withdrawn" if body.get("reason") == "consent withdrawn" else "by hand"
        app.analyses.forget_case(case.name)
        with app.lock:
            for key in [k for k in app.reviews if k[0] == case.name]:
                del app.reviews[key]
        with app.analyses.case_lock:
            done = purge(app.root, case, reason)
        return JSONResponse({"files": done.files, "bytes": done.bytes, "kept": len(done.kept)})

    film_routes = "/cases/{case}/films/{film}"
    routes = [
        *page_and_files(STATIC / "app.html", _STATIC_FILES, token),
        Route("/api/cases", cases, methods=["GET", "POST"]),
        Route("/api/cases/{case}", one_case),
        Route("/api/cases/{case}/goals", goals, methods=["POST"]),
        Route("/api/cases/{case}/films", add_film, methods=["POST"]),
        Route("/api/cases/{case}/films/{film}/analyse", analyse, methods=["POST"]),
        Route("/api/cases/{case}/films/{film}/cancel", cancel, methods=["POST"]),
        Route("/api/cases/{case}/films/{film}/remove", remove, methods=["POST"]),
        Route("/api/cases/{case}/letter", letter, methods=["POST"]),
        Route("/api/cases/{case}/purge", purge_case, methods=["POST"]),
        Route("/api/files", files),
        Route("/cases/{case}/letter", letter),
        Route(film_routes + "/people/{person:int}.jpg", person),
        Mount(film_routes + "/review", routes=review_routes(app.review, token)),
    ]
    return guarded_app(routes, token, port)


def _not_a_film(path: Path) -> str:
    """Why ``path`` cannot be a film of the case ("" when it can): its container opened and
    a picture found in it, without reading it all (a long film's hash waits for Analyse)."""
    from vigvision.film.info import open_media

    try:
        with open_media(path) as container:
            if not container.streams.video:
                return f"{path.name} holds no picture: choose a film"
    except VigvisionError as problem:
        return problem.one_line()
    return ""


def _refused(problem: Exception) -> Response:
    text = problem.one_line() if isinstance(problem, VigvisionError) else str(problem)
    return JSONResponse({"error": text}, status_code=400)


def _face(film: Path, folder: Path, person: Any) -> bytes | None:
    """The person's face where it is seen largest, a little wider than its box."""
    from vigvision.export.clips import jpeg, still
    from vigvision.observations import Observations

    table = Observations.from_csv(folder / "observations.csv")
    rows = table.of_person(int(person))
    if not len(rows["t"]):
        return None
    best = int(np.nan_to_num(rows["w"] * rows["h"]).argmax())
    t = float(rows["t"][best])
    image = still(film, t, t + 0.01, 640)
    if image is None:
        return None
    height, width = image.shape[:2]
    x, y, w, h = (float(rows[k][best]) for k in ("x", "y", "w", "h"))
    left, right = max(0, int((x - w * 0.4) * width)), min(width, int((x + w * 1.4) * width))
    top, bottom = max(0, int((y - h * 0.4) * height)), min(height, int((y + h * 1.4) * height))
    return jpeg(image[top:bottom, left:right])


def _write_letter(app: GuiderApp, case: Case, target: Path) -> Path:
    from vigvision.export.letter import write_case_letter

    analysed = app.analysed(case)
    cycles = []
    for path in sorted(case.films, key=case.cycle_of):
        folder = analysed.get(path)
        if folder is None:
            continue
        review = open_review(folder, app.settings)
        moments = selections.load(folder, review.candidates)
        cycles.append((case.cycle_of(path), review.info, moments))
    from vigvision.model import load_principles

    # The principles by their names ("attuned interactions"), as the page offers them.
    names = {p.goal: p.name for p in load_principles()}
    goals = tuple(names.get(goal, goal) for goal in case.goals)
    return write_case_letter(target, goals, case.goals_in_words, cycles, date.today())
