from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from cjm.commands.common import EXIT_OK, fail_usage


def serve(
    paths: list[Path] = typer.Argument(None, metavar="PATH", help="Map files, or folders searched for *.cjm.yaml / *.cjm.yml. Default: the current folder."),
    port: int = typer.Option(8000, "--port", min=0, max=65535, help="Port to listen on; 0 picks a free one."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on. Anything but this machine (e.g. 0.0.0.0) lets others on the network read the maps."),
    allow_host: Optional[list[str]] = typer.Option(None, "--allow-host", metavar="NAME", help="Also accept requests for this host name (besides localhost, 127.0.0.1, [::1]). Repeat for several."),
    open_browser: bool = typer.Option(True, "--open/--no-open", help="Open the index in the browser."),
    observed: Optional[Path] = typer.Option(None, "--observed", metavar="FILE", help="Paint what customers did (a file from cjm evidence compute) on the diagram and the map page of the map it belongs to."),
    poll: bool = typer.Option(False, "--poll", help="Poll the folders instead of waiting for change notifications (Docker, WSL, network mounts)."),
    config: Optional[Path] = typer.Option(None, "--config", metavar="FILE", help="Lint configuration for every map instead of the nearest one."),
    dot_timeout: float = typer.Option(20.0, "--dot-timeout", min=0.01, metavar="SECONDS", help="Give up on a Graphviz layout that takes longer than this (the page says so)."),
    max_bytes: int = typer.Option(5 * 1024 * 1024, "--max-bytes", min=1, help="Refuse map files larger than this."),
) -> None:
    """Serve the maps live: the catalog and each journey map with its lint findings, redrawn in the browser on every save.

    Read-only, and for this machine only unless --host says otherwise. Exit 0 on Ctrl-C,
    2 on usage errors (a port in use, a missing extra).
    """
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
        import watchfiles  # noqa: F401
    except ImportError as exc:
        fail_usage(f"cjm serve needs the serve extra ({exc.name} is missing): pip install 'cjm[serve]'")
    from cjm.serve.run import run

    for path in paths or []:
        if not path.exists():
            fail_usage(f"{path}: no such file or folder")
    if observed is not None and not observed.is_file():
        fail_usage(f"--observed {observed}: no such file")
    if config is not None and not config.is_file():
        fail_usage(f"--config {config}: no such file")
    run(paths or [Path(".")], port=port, host=host, allow_hosts=allow_host or [], open_browser=open_browser,
        observed=observed, poll=poll, config=config, dot_timeout=dot_timeout, max_bytes=max_bytes)
    raise typer.Exit(EXIT_OK)
