"""What every command shares: exit codes, colour, usage errors, map discovery, report output."""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import NoReturn, TextIO

import typer

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2


class ReportFormat(str, Enum):
    text = "text"
    concise = "concise"
    json = "json"
    sarif = "sarif"
    github = "github"


def use_color(stream: TextIO | None = None) -> bool:
    stream = stream or sys.stdout
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return stream.isatty() and os.environ.get("TERM") != "dumb"


def fail_usage(message: str) -> NoReturn:
    """Exit 2 with one clear line on standard error."""
    typer.echo(f"cjm: error: {message}", err=True)
    raise typer.Exit(EXIT_USAGE)


def find_maps(paths: list[Path]) -> list[Path]:
    from cjm.project import UsageError, discover_maps

    try:
        maps = discover_maps(paths or [Path(".")])
    except UsageError as exc:
        fail_usage(str(exc))
    if not maps:
        where = ", ".join(str(p) for p in paths) if paths else "the current folder"
        fail_usage(f"no maps (*.cjm.yaml, *.cjm.yml) found in {where}")
    return maps


def emit_report(report, fmt: str, output: Path | None) -> None:
    """Render ``report`` in ``fmt`` and write it to standard output or, atomically, to ``output``."""
    from cjm.io import write_output
    from cjm.report import reporter

    color = output is None and fmt == "text" and use_color()
    text = reporter(fmt)(report, color=color)
    try:
        write_output(str(output) if output else None, text)
    except OSError as exc:
        fail_usage(f"cannot write {output}: {exc.strerror or exc}")


def read_observed_option(path: Path):
    """An observed journey named on the command line (``--observed FILE``). A missing or broken
    file exits 2: its problems at file:line:col on standard error."""
    from cjm.evidence.observed import read_observed
    from cjm.project import display_name

    file = display_name(path)
    try:
        loaded = read_observed(path, file)
    except OSError as exc:
        fail_usage(f"cannot read observed file {file}: {exc.strerror or exc}")
    if not loaded.ok:
        from cjm.evidence.observed import problems_text

        typer.echo(problems_text([loaded]), err=True, nl=False)
        raise typer.Exit(EXIT_USAGE)
    return loaded.observed
