"""What every local page of vigvision shares (the review page, the app): the guard, the
listening socket and JSON bodies.

Every request needs the token (in the address for pages, pictures and films; in the
``X-Vigvision-Token`` header for changes, which a page of another site cannot send), and a
Host header naming this server (so a site that re-points its own name at 127.0.0.1 cannot
reach it). A Content-Security-Policy keeps the pages from loading or sending anything
elsewhere. Servers listen on 127.0.0.1 only.
"""

from __future__ import annotations

import hmac
import json
import socket
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, Final

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from vigvision.errors import ConfigError

TOKEN_HEADER: Final = "X-Vigvision-Token"
CSP: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self'; connect-src 'self'; font-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
_MAX_BODY: Final = 1_000_000


def guarded_app(routes: Sequence[BaseRoute], token: str, port: int) -> Starlette:
    """A Starlette app of ``routes`` that answers only this server's own pages."""
    hosts = {f"127.0.0.1:{port}", f"localhost:{port}"}

    async def guard(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if request.headers.get("host", "") not in hosts:
            return PlainTextResponse("Unknown host.", status_code=403)
        given = request.headers.get(TOKEN_HEADER, "")
        if request.method in ("GET", "HEAD") and not given:
            given = request.query_params.get("token", "")
        if request.method not in ("GET", "HEAD", "POST") or not hmac.compare_digest(
            given.encode(), token.encode()
        ):
            return PlainTextResponse("Forbidden: open the address vigvision printed.", 403)
        response = await call_next(request)
        # A page of its own (the letter) may set a stricter or other policy.
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    async def refused(request: Request, problem: Exception) -> Response:
        # As the pages read every answer: an object with the one-line error.
        status = problem.status_code if isinstance(problem, HTTPException) else 500
        detail = problem.detail if isinstance(problem, HTTPException) else "unexpected error"
        return JSONResponse({"error": detail}, status_code=status)

    return Starlette(
        routes=list(routes),
        middleware=[Middleware(BaseHTTPMiddleware, dispatch=guard)],
        exception_handlers={HTTPException: refused},
    )


async def json_body(request: Request) -> dict[str, Any] | Response:
    """The request's JSON object, or the response that says why there is none."""
    if request.headers.get("content-type", "").split(";")[0] != "application/json":
        return JSONResponse({"error": "send JSON"}, status_code=415)
    raw = await request.body()
    if len(raw) > _MAX_BODY:
        return JSONResponse({"error": "too large"}, status_code=413)
    try:
        body = json.loads(raw)
    except ValueError:
        return JSONResponse({"error": "not JSON"}, status_code=400)
    return body if isinstance(body, dict) else JSONResponse({"error": "send an object"}, 400)


def page_and_files(page: Path, files: tuple[str, ...], token: str) -> list[BaseRoute]:
    """The page (with its token filled in, for the addresses it asks for) at ``/`` and
    the only other files it may load, beside it, at ``/static/NAME``."""

    async def html(request: Request) -> Response:
        text = page.read_text(encoding="utf-8")
        return Response(text.replace("{{TOKEN}}", token), media_type="text/html; charset=utf-8")

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in files:
            return PlainTextResponse("Not found.", status_code=404)
        return FileResponse(page.parent / name)

    return [Route("/", html), Route("/static/{name:path}", static)]


def loopback_listener(port: int) -> socket.socket:
    """A socket listening on 127.0.0.1 (``port`` 0: a free one), before any address is
    printed, so that a browser opened at once is never refused."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind(("127.0.0.1", port))
    except OSError as error:
        raise ConfigError(f"port {port} is taken", "leave --port out to use a free one") from error
    listener.listen(64)
    return listener
