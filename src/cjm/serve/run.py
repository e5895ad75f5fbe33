"""Start the server: bind the socket (a port in use is one line and exit 2), print the URL, run
uvicorn until Ctrl-C. Live channels are closed at shutdown and the grace period is short, so
Ctrl-C ends the process within a second or two even with tabs open."""

from __future__ import annotations

import contextlib
import errno
import socket
import sys
from pathlib import Path

import typer

from cjm.commands.common import EXIT_USAGE

LOCAL_BINDS = ("127.0.0.1", "localhost", "::1")


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            _fail(f"port {port} on {host} is already in use; stop what uses it, or pick another with --port (0: any free port)")
        if isinstance(exc, socket.gaierror) or exc.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
            _fail(f"cannot listen on {host}: {exc.strerror or exc}")
        _fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    sock.listen(128)
    sock.setblocking(False)
    return sock


def _fail(message: str):
    typer.echo(f"cjm: error: {message}", err=True)
    raise typer.Exit(EXIT_USAGE)


def run(paths: list[Path], *, port: int, host: str, allow_hosts: list[str], open_browser: bool,
        observed: Path | None, poll: bool, config: Path | None, dot_timeout: float, max_bytes: int) -> None:
    import uvicorn

    from cjm.format.load import Limits
    from cjm.serve.app import LOCAL_HOSTS, Server, build_app
    from cjm.serve.site import ServedSite
    from cjm.serve.watcher import FolderWatch
    from cjm.serve.worker import Worker
    from cjm.workspace import Workspace

    sock = bind(host, port)
    actual = sock.getsockname()[1]
    if host not in LOCAL_BINDS:
        typer.echo(f"cjm: warning: listening on {host}: anyone who can reach this machine can read the maps. "
                   "Requests must still name an allowed host (--allow-host NAME).", err=True)
    workspace = Workspace(limits=Limits(max_bytes=max_bytes), config=config, observed=observed, dot_timeout=dot_timeout)
    worker = Worker()
    site = ServedSite(paths, workspace)
    server = Server(site, worker)

    async def handle(changed: set[Path]) -> bool:
        update = await worker.run(site.apply, changed)
        if update.slugs or update.index:
            server.publish(update.slugs, update.index)
        return update.folders

    async def folders():
        found = await worker.run(site.watch_folders)
        site.remember_watched(found)
        return found

    watch = FolderWatch(folders, site.relevant, handle, poll=poll)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        import asyncio

        task = asyncio.ensure_future(watch.run())
        try:
            yield
        finally:
            watch.stop.set()
            for queue in list(server.hub.queues):
                queue.put_nowait({"type": "bye"})
            task.cancel()
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(task, 1)

    allowed = {*LOCAL_HOSTS, *(h.lower() for h in allow_hosts)}
    shown = "127.0.0.1" if host in ("127.0.0.1", "localhost", "0.0.0.0") else ("[::1]" if host in ("::1", "::") else host)
    url = f"http://{shown}:{actual}/"
    typer.echo(f"cjm serve: {len(site.maps)} map{'s' if len(site.maps) != 1 else ''} at {url} (Ctrl-C to stop)")
    sys.stdout.flush()
    if open_browser:
        import webbrowser

        with contextlib.suppress(Exception):
            webbrowser.open(url)
    uv_config = uvicorn.Config(build_app(server, allowed, lifespan), log_level="warning", access_log=False,
                               timeout_graceful_shutdown=1, ws="websockets-sansio", ws_ping_interval=20, lifespan="on")
    try:
        uvicorn.Server(uv_config).run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        worker.stop()
    typer.echo("cjm serve: stopped", err=True)
