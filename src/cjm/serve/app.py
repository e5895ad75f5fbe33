"""The Starlette app of ``cjm serve``.

Routes are fixed; a slug or an asset name is looked up in a table, never joined to a path, so
nothing on disk is reachable by URL. Pages are a shell (the one script, with a nonce) around a
sandboxed frame that shows the renderers' output unchanged; the script swaps a new render into
the frame in place when the live channel (a WebSocket) says a map changed.
"""

from __future__ import annotations

import asyncio
import html
import json
import secrets
import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from cjm.serve.site import PAGE_VIEWS, VIEWS, ServedSite
from cjm.serve.worker import Worker

LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]", "::1")
ASSETS = {"live.js": "text/javascript; charset=utf-8", "serve.css": "text/css; charset=utf-8"}
COMMON_HEADERS = {"x-content-type-options": "nosniff", "referrer-policy": "no-referrer", "cache-control": "no-store"}
# what the frame shows: the renderers' pages, which need no script and load nothing
FRAME_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'none'; "
             "base-uri 'none'; form-action 'none'; frame-ancestors 'self'")


def shell_csp(nonce: str, host: str) -> str:
    return (f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'self'; img-src 'self' data:; "
            f"connect-src 'self' ws://{host}; frame-src 'self'; base-uri 'none'; form-action 'none'; "
            "frame-ancestors 'none'")


def host_name(value: str) -> str:
    """``localhost:8000`` -> ``localhost``; ``[::1]:8000`` -> ``[::1]``."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[: value.find("]") + 1] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class Guard:
    """ASGI middleware: a Host header that names this server (DNS rebinding), and for the live
    channel an Origin of this very page; anything else is refused before the app sees it."""

    def __init__(self, app, allowed_hosts: set[str]):
        self.app = app
        self.allowed = {h.lower() for h in allowed_hosts}

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = headers.get("host", "")
        ok = host_name(host) in self.allowed
        if ok and scope["type"] == "websocket":
            origin = urlsplit(headers.get("origin", ""))
            ok = origin.scheme == "http" and origin.netloc.lower() == host.lower()
        if ok:
            return await self.app(scope, receive, send)
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        response = PlainTextResponse("cjm serve: this host or origin is not allowed\n", status_code=403,
                                     headers=COMMON_HEADERS)
        await response(scope, receive, send)


@dataclass
class Hub:
    """The open live channels; each gets every change as a JSON message."""

    queues: set[asyncio.Queue] = field(default_factory=set)

    def publish(self, message: dict) -> None:
        for queue in list(self.queues):
            if queue.qsize() < 100:  # a tab that does not read is not worth a growing queue
                queue.put_nowait(message)


class Failed(Exception):
    """A request whose work failed unexpectedly (already reported on standard error)."""


class Server:
    def __init__(self, site: ServedSite, worker: Worker):
        self.site = site
        self.worker = worker
        self.hub = Hub()
        self.id = secrets.token_hex(8)
        self.assets = {name: resources.files("cjm.serve").joinpath("assets", name).read_bytes() for name in ASSETS}
        from jinja2 import Environment, PackageLoader, StrictUndefined

        self.env = Environment(loader=PackageLoader("cjm.serve", "assets"), autoescape=True, undefined=StrictUndefined)

    async def work(self, fn, *args):
        """``fn(*args)`` in the workspace's thread. An unexpected failure is one line on standard
        error and a 500 for this request; the server keeps serving."""
        try:
            return await self.worker.run(fn, *args)
        except Exception as exc:  # noqa: BLE001
            print(f"cjm serve: error: {getattr(fn, '__name__', 'request')}: {type(exc).__name__}: {exc}", file=sys.stderr)
            raise Failed from exc

    # --- pages ------------------------------------------------------------------------

    def _shell(self, request: Request, **page) -> Response:
        nonce = secrets.token_urlsafe(18)
        text = self.env.get_template("shell.html.j2").render(nonce=nonce, views=PAGE_VIEWS, **page)
        headers = {**COMMON_HEADERS, "content-security-policy": shell_csp(nonce, request.headers.get("host", ""))}
        return Response(text, media_type="text/html; charset=utf-8", headers=headers)

    async def index(self, request: Request) -> Response:
        return self._shell(request, page="index", slug="", title="Journey maps", frame="/catalog")

    async def map_page(self, request: Request) -> Response:
        slug = request.path_params["slug"]
        path = self.site.maps.get(slug)
        if path is None:
            return not_found()
        return self._shell(request, page="map", slug=slug, title=path.name, frame="")

    async def catalog(self, request: Request) -> Response:
        text = await self.work(self.site.catalog)
        return frame_response(text.encode("utf-8"), "text/html; charset=utf-8")

    async def state(self, request: Request) -> Response:
        slug = request.path_params["slug"]
        view, persona = _view(request), request.query_params.get("persona") or None
        state = await self.work(self.site.state, slug, view, persona)
        if state is None:
            return JSONResponse({"gone": True, "slug": slug}, status_code=404, headers=COMMON_HEADERS)
        return JSONResponse(state, headers=COMMON_HEADERS)

    async def render(self, request: Request) -> Response:
        slug, view = request.path_params["slug"], request.path_params["view"]
        if slug not in self.site.maps or view not in VIEWS:
            return not_found()
        rendered = await self.work(self.site.render, slug, view, request.query_params.get("persona") or None)
        if rendered.status == 422:  # cannot be drawn: say so in the frame
            from cjm.serve.site import message_page

            body = message_page(f"This view cannot be drawn: {rendered.body.decode('utf-8', 'replace')}")
            return frame_response(body, "text/html; charset=utf-8", 422)
        return frame_response(rendered.body, rendered.content_type, rendered.status)

    async def rule(self, request: Request) -> Response:
        code = request.path_params["code"].upper()
        text = await self.work(rule_text, code)
        if text is None:
            return not_found()
        page = (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(code)} - cjm rules'
                f'</title></head><body style="font: 15px/1.5 system-ui, sans-serif; margin: 2rem; max-width: 60rem">'
                f'<pre style="white-space: pre-wrap; font: inherit">{html.escape(text)}</pre></body></html>')
        return frame_response(page.encode("utf-8"), "text/html; charset=utf-8")

    async def asset(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in self.assets:
            return not_found()
        return Response(self.assets[name], media_type=ASSETS[name], headers=COMMON_HEADERS)

    # --- the live channel ---------------------------------------------------------------

    async def live(self, websocket: WebSocket) -> None:
        await websocket.accept()
        queue: asyncio.Queue = asyncio.Queue()
        self.hub.queues.add(queue)
        receiving = getting = None
        try:
            await websocket.send_text(json.dumps({"type": "hello", "server": self.id}))
            receiving = asyncio.ensure_future(websocket.receive())
            while True:
                getting = asyncio.ensure_future(queue.get())
                done, _ = await asyncio.wait({receiving, getting}, return_when=asyncio.FIRST_COMPLETED)
                if receiving in done:
                    getting.cancel()
                    if receiving.result().get("type") == "websocket.disconnect":
                        return
                    receiving = asyncio.ensure_future(websocket.receive())  # the page says nothing we need
                    continue
                await websocket.send_text(json.dumps(getting.result()))
        except (WebSocketDisconnect, RuntimeError, OSError):
            return
        finally:
            self.hub.queues.discard(queue)
            for task in (receiving, getting):
                if task is not None:
                    task.cancel()

    def publish(self, slugs: frozenset[str], index: bool) -> None:
        self.hub.publish({"type": "changed", "maps": sorted(slugs), "index": index,
                          "versions": {s: self.site.versions[s] for s in slugs}})


def _view(request: Request) -> str:
    view = request.query_params.get("view", "map")
    return view if view in VIEWS else "map"


def not_found() -> Response:
    return PlainTextResponse("not found\n", status_code=404, headers=COMMON_HEADERS)


def frame_response(body: bytes, content_type: str, status: int = 200) -> Response:
    return Response(body, status_code=status, media_type=content_type,
                    headers={**COMMON_HEADERS, "content-security-policy": FRAME_CSP})


def rule_text(code: str) -> str | None:
    from cjm.lint.docs import rule_markdown
    from cjm.lint.registry import all_rules
    from cjm.lint.select import VALIDATION_CODES, catalog

    rules = all_rules()
    if code in rules:
        return rule_markdown(rules[code], level=1)
    if code in VALIDATION_CODES:
        name, summary = VALIDATION_CODES[code]
        return f"# {code} {name}\n\n{summary}\n"
    info = catalog().get(code)
    return f"# {code} {info.name}\n\n{info.doc or info.summary}\n" if info else None


def build_app(server: Server, allowed_hosts: set[str], lifespan=None):
    routes = [
        Route("/", server.index),
        Route("/catalog", server.catalog),
        Route("/maps/{slug}/", server.map_page),
        Route("/api/maps/{slug}", server.state),
        Route("/render/{slug}/{view}", server.render),
        Route("/rules/{code}", server.rule),
        Route("/_cjm/{name}", server.asset),
        Route("/favicon.ico", lambda request: Response(status_code=204, headers=COMMON_HEADERS)),
        WebSocketRoute("/live", server.live),
    ]
    async def failed(request, exc):
        return PlainTextResponse("cjm serve: this could not be done; the server says why on its standard error\n",
                                 status_code=500, headers=COMMON_HEADERS)

    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={Failed: failed})
    return Guard(app, allowed_hosts)
