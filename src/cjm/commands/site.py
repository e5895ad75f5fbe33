from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer

from cjm.commands.common import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, fail_usage, find_maps


class SiteTheme(str, Enum):
    light = "light"
    dark = "dark"


def site(
    paths: list[Path] = typer.Argument(None, help="Map files, or folders searched for *.cjm.yaml / *.cjm.yml. Default: the current folder."),
    output: Path = typer.Option(..., "--output", "-o", help="Folder to write the site to. It is replaced as a whole, so it must be new, empty, or a site cjm wrote before."),
    theme: SiteTheme = typer.Option(SiteTheme.light, "--theme", help="Colours of the map pages, diagrams and curves."),
    config: Path = typer.Option(None, "--config", help="Lint configuration (cjm.toml or pyproject.toml) instead of the nearest one to each map."),
    max_bytes: int = typer.Option(5 * 1024 * 1024, "--max-bytes", min=1, help="Refuse map files larger than this."),
) -> None:
    """Write a static catalog of every map: an index linking to each map's page, diagram and curve.

    Links are relative, so the folder can be published as it is or opened from disk.
    Exit 0 when every map is valid, 1 when some are invalid (they are listed on the
    index with their problems), 2 on usage errors.
    """
    from cjm import __version__
    from cjm.io import replace_folder
    from cjm.format.load import Limits
    from cjm.progress import progress
    from cjm.site import SITE_MARKER, build_site, plan
    from cjm.format.validate import read_map

    _check_output(output, SITE_MARKER)
    maps = find_maps(paths or [])
    lint = _linter(maps, config)
    limits = Limits(max_bytes=max_bytes)
    planned = plan(read_map(path, limits) for path in maps)
    with progress(planned, "Building site", describe=lambda item: item[0].file) as todo:
        result = build_site(todo, lint, theme=theme.value, version=__version__)
    try:
        replace_folder(output, result.files)
    except OSError as exc:
        fail_usage(f"cannot write {output}: {exc.strerror or exc}")
    invalid = len(result.invalid)
    pages = sum(1 for name in result.files if name.startswith("maps/"))
    note = f", {invalid} invalid (listed on the index)" if invalid else ""
    typer.echo(f"wrote {output / 'index.html'}: {len(result.entries)} maps{note}, {pages} pages")
    raise typer.Exit(EXIT_FINDINGS if invalid else EXIT_OK)


def _check_output(output: Path, marker: str) -> None:
    """Refuse to replace a folder that cjm did not write: the site replaces it whole."""
    if not output.exists():
        return
    if not output.is_dir():
        fail_usage(f"{output}: exists and is not a folder")
    if not (output / marker).is_file() and any(output.iterdir()):
        fail_usage(f"{output}: a folder that is not empty and was not written by cjm site; "
                   f"choose a new or empty folder (the site replaces it as a whole)")


def _linter(maps: list[Path], config: Path | None):
    """Lint as ``cjm lint`` does: each map with its nearest configuration (or ``--config``).

    Every configuration is read before any map, so a mistake there is a usage error
    before anything is written.
    """
    from cjm.lint.config import ConfigError
    from cjm.lint.engine import Linter

    try:
        linter = Linter(config=config)
        for path in maps:
            linter.settings_for(path)
    except ConfigError as exc:
        for problem in exc.problems:
            typer.echo(f"cjm: error: {problem}", err=True)
        raise typer.Exit(EXIT_USAGE)
    return lambda loaded: linter.lint_map(loaded, linter.settings_for(loaded.path))
