"""The review page's server: local only, behind a random token (``vigvision.web``).

Only the film under review and files inside the review folder are served. ``vigvision
review`` serves one folder; the app mounts the same routes for each film of a case.
"""

from __future__ import annotations

import csv
import json
import math
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Final

import numpy as np
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from vigvision import selections
from vigvision.config import Settings
from vigvision.errors import ConfigError
from vigvision.export.chosen import FOLDER as EXPORTS
from vigvision.export.chosen import KINDS, export_chosen
from vigvision.export.clips import jpeg, needs_proxy, still, write_proxy
from vigvision.export.letter import goals_of, write_letter
from vigvision.film import FilmInfo, probe
from vigvision.web import guarded_app, json_body, page_and_files

STATIC: Final = Path(__file__).resolve().parent / "static"
_STATIC_FILES: Final = ("app.js", "app.css")
PROXY: Final = "proxy.mp4"
THUMBS: Final = "thumbs"
# Cue tracks of the whole-film timeline, from cues.csv: (column, label).
_TRACKS: Final = (
    ("facing_each_other", "Facing each other"),
    ("shared_smile", "Smiling together"),
    ("adult_smile", "Adult smiles"),
    ("child_smile", "Child smiles"),
)
# Voice lanes of the timeline: the roles of the voices in each, and its label.
_VOICE_LANES: Final = (
    (("adult",), "Adult speaks"),
    (("child",), "Child speaks"),
    (("unknown", "other"), "Another voice"),
)
_MAX_POINTS: Final = 900


@dataclass
class Review:
    """One folder of suggestions under review, and the state of its playable copy."""

    folder: Path
    candidates: dict[str, Any]
    info: FilmInfo
    settings: Settings
    on_change: Callable[[], None] = lambda: None
    """Called after each save (a case counts it as work on the case)."""
    proxy: dict[str, Any] = field(default_factory=lambda: {"state": "none", "progress": 0.0})
    tracks: list[dict[str, Any]] | None = None
    """The whole-film cue tracks, read from cues.csv once per run of suggest."""
    candidates_made: int = 0
    """When candidates.json was written (ns): a new run of suggest is picked up."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def proxy_path(self) -> Path:
        return self.folder / PROXY


def open_review(folder: Path, settings: Settings) -> Review:
    """The suggestions in ``folder`` and their film (which must still be where it was)."""
    path = folder / "candidates.json"
    if not path.is_file():
        raise ConfigError(
            f"{folder} holds no suggestions (candidates.json)",
            "run `vigvision suggest FILM --case NAME` first",
        )
    candidates = json.loads(path.read_text(encoding="utf-8"))
    film = Path(candidates["film"]["path"])
    if not film.is_file():
        raise ConfigError(
            f"the film {film.name} is no longer at {film.parent}",
            "put it back there, or run suggest again on it where it is now",
        )
    return Review(
        folder, candidates, probe(film), settings, candidates_made=path.stat().st_mtime_ns
    )


def refresh(review: Review) -> None:
    """The newest suggestions, if suggest ran again on the film while the page was open."""
    path = review.folder / "candidates.json"
    made = path.stat().st_mtime_ns if path.is_file() else 0
    if made and made != review.candidates_made:
        with review.lock:
            review.candidates = json.loads(path.read_text(encoding="utf-8"))
            review.tracks = None
            review.candidates_made = made


def review_data(review: Review) -> dict[str, Any]:
    """What the page shows: the film, the moments (saved choices first) and cue tracks."""
    refresh(review)
    info = review.info
    moments = selections.load(review.folder, review.candidates)
    goals = goals_of(review.candidates)
    if review.tracks is None:
        review.tracks = _tracks(review)
    return {
        "film": {"name": info.path.name, "duration_s": info.duration_s, "fps": info.fps},
        "needs_proxy": needs_proxy(info),
        "proxy": _proxy_state(review),
        "moments": [asdict(m) for m in moments],
        "tracks": review.tracks,
        "goals": goals,
    }


def _proxy_state(review: Review) -> dict[str, Any]:
    if review.proxy_path.is_file():
        return {"state": "ready", "progress": 1.0}
    return dict(review.proxy)


def _tracks(review: Review) -> list[dict[str, Any]]:
    """Cue tracks binned over the whole film: levels 0-1, None where not observed."""
    duration = max(review.info.duration_s, 1e-6)
    step = max(0.5, duration / _MAX_POINTS)
    bins = math.ceil(duration / step)
    tracks = []
    cues = review.folder / "cues.csv"
    first_pair = next((c.get("pair") for c in review.candidates["candidates"]), None)
    if cues.is_file() and first_pair is not None:
        sums = {name: np.zeros(bins) for name, _ in _TRACKS}
        counts = {name: np.zeros(bins) for name, _ in _TRACKS}
        with cues.open(newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                if row["pair"] != first_pair:
                    continue
                index = min(bins - 1, int(float(row["t"]) / step))
                for name, _ in _TRACKS:
                    if row.get(name):
                        sums[name][index] += float(row[name])
                        counts[name][index] += 1
        for name, label in _TRACKS:
            if counts[name].any():
                values = np.where(counts[name] > 0, sums[name] / np.maximum(counts[name], 1), -1)
                tracks.append(_track(label, step, values))
    speech = review.folder / "speech.json"
    if speech.is_file():
        # One lane per role, with every voice of it: a guider knows people, not voice ids.
        said = json.loads(speech.read_text(encoding="utf-8"))
        role_of = {s["speaker"]: s.get("role", "unknown") for s in said.get("speakers", [])}
        for role, label in _VOICE_LANES:
            values = np.zeros(bins)
            for seg in said.get("segments", []):
                if (seg.get("role") or role_of.get(seg["speaker"], "unknown")) in role:
                    first, last = int(seg["start"] / step), int(seg["end"] / step)
                    values[first : min(bins, last + 1)] = 1.0
            if values.any():
                tracks.append(_track(label, step, values))
    return tracks


def _track(label: str, step: float, values: Any) -> dict[str, Any]:
    return {
        "label": label,
        "step": step,
        "values": [None if v < 0 else round(float(v), 2) for v in values],
    }


def make_app(review: Review, token: str, port: int) -> Starlette:
    """The review page of one folder, as ``vigvision review`` serves it."""
    return guarded_app(review_routes(lambda _request: review, token), token, port)


ReviewOf = Callable[[Request], Review]
"""Which folder a request is about (the app serves the review page of any film of a case)."""


def review_routes(review_of: ReviewOf, token: str) -> list[BaseRoute]:
    """The page and what it asks for, relative to where they are mounted."""

    async def data(request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(review_data, review_of(request)))

    async def save_selections(request: Request) -> Response:
        review = review_of(request)
        body = await json_body(request)
        if isinstance(body, Response):
            return body
        try:
            moments = selections.parse(body.get("moments"), review.info.duration_s)
        except (ValueError, KeyError, TypeError) as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        with review.lock:
            selections.save(review.folder, review.candidates, moments)
        review.on_change()
        return JSONResponse({"saved": len(moments)})

    async def film(request: Request) -> Response:
        review = review_of(request)
        path = review.proxy_path if review.proxy_path.is_file() else review.info.path
        return FileResponse(path, headers={"Cache-Control": "private, max-age=3600"})

    async def picture(request: Request) -> Response:
        review = review_of(request)
        try:
            start = float(request.query_params["start"])
            end = float(request.query_params["end"])
        except (KeyError, ValueError):
            return PlainTextResponse("Give start and end.", status_code=400)
        if not 0 <= start < end <= review.info.duration_s + 1:
            return PlainTextResponse("Outside the film.", status_code=400)
        thumbs = review.folder / THUMBS
        cached = thumbs / f"{start:.2f}-{end:.2f}.jpg"
        if not cached.is_file():
            image = await run_in_threadpool(still, review.info.path, start, end, 480)
            if image is None:
                return PlainTextResponse("No picture there.", status_code=404)
            thumbs.mkdir(mode=0o700, exist_ok=True)
            cached.write_bytes(jpeg(image))
        return FileResponse(cached, headers={"Cache-Control": "private, max-age=3600"})

    async def proxy(request: Request) -> Response:
        review = review_of(request)
        if request.method == "POST":
            _start_proxy(review)
        return JSONResponse(_proxy_state(review))

    async def export(request: Request) -> Response:
        review = review_of(request)
        body = await json_body(request)
        if isinstance(body, Response):
            return body
        kinds = tuple(str(k) for k in body.get("kinds", ()))
        if not kinds or set(kinds) - {*KINDS, "letter"}:
            return JSONResponse({"error": f"kinds are {', '.join(KINDS)}, letter"}, 400)
        refresh(review)
        moments = selections.load(review.folder, review.candidates)
        if not selections.chosen(moments):
            return JSONResponse({"error": "choose a moment first"}, status_code=400)
        written = await run_in_threadpool(_export, review, moments, kinds)
        review.on_change()
        folder = str((review.folder / EXPORTS).resolve())
        return JSONResponse({"files": [p.name for p in written], "folder": folder})

    async def exported(request: Request) -> Response:
        review = review_of(request)
        folder = (review.folder / EXPORTS).resolve()
        target = (folder / request.path_params["name"]).resolve()
        if target.parent != folder:
            return PlainTextResponse("Forbidden.", status_code=403)
        if not target.is_file():
            return PlainTextResponse("Not found.", status_code=404)
        return FileResponse(target, filename=target.name)

    return [
        *page_and_files(STATIC / "index.html", _STATIC_FILES, token),
        Route("/api/review", data),
        Route("/api/selections", save_selections, methods=["POST"]),
        Route("/api/proxy", proxy, methods=["GET", "POST"]),
        Route("/api/export", export, methods=["POST"]),
        Route("/media/film", film),
        Route("/media/still", picture),
        Route("/exports/{name:path}", exported),
    ]


def _export(review: Review, moments: list[selections.Moment], kinds: tuple[str, ...]) -> list[Path]:
    files = export_chosen(
        review.folder, review.info, moments, tuple(k for k in kinds if k in KINDS)
    )
    if "letter" in kinds:
        target = review.folder / EXPORTS / "letter.html"
        goals = goals_of(review.candidates)
        files.append(write_letter(target, review.info, moments, goals, date.today()))
    return files


def _start_proxy(review: Review) -> None:
    """Make the playable copy once, in the background; the page polls its progress."""
    with review.lock:
        if review.proxy["state"] == "making" or review.proxy_path.is_file():
            return
        review.proxy.update(state="making", progress=0.0)

    def progress(t: float) -> None:
        review.proxy["progress"] = min(1.0, t / max(review.info.duration_s, 1e-6))

    def make() -> None:
        try:
            write_proxy(
                review.info, review.proxy_path, review.settings.cases.proxy_max_side, progress
            )
            review.proxy.update(state="ready", progress=1.0)
        except Exception as error:  # shown on the page; the film may still play as it is
            review.proxy.update(state="failed", error=str(error))

    threading.Thread(target=make, name="vigvision-proxy", daemon=True).start()
