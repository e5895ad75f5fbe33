from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Optional

import typer


class DiffFormat(str, Enum):
    text = "text"
    markdown = "markdown"
    json = "json"


def diff(
    paths: list[Path] = typer.Argument(None, help="OLD NEW map files or observed journeys (*.observed.json); with --rev, maps, folders or observed journeys to compare against REV (default: the current folder)."),
    rev: Optional[str] = typer.Option(None, "--rev", help="Compare each map with its version at this git revision."),
    format: DiffFormat = typer.Option(DiffFormat.text, "--format", "-f", help="Output format."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the diff to this file (atomically)."),
    fail_on_regression: bool = typer.Option(False, "--fail-on-regression", help="Exit 1 when an emotion drops or an error-level finding is introduced."),
    lint: bool = typer.Option(True, "--lint/--no-lint", help="Compare lint findings too."),
    share_change: float = typer.Option(0.05, "--share-change", min=0.0, max=1.0, help="Observed journeys: report an edge whose share of its source's exits moves by more than this (0.05 = 5 points); a conversion drop or drop-off rise larger than this is a regression."),
) -> None:
    """Semantic diff of journey maps (stages, touchpoints, emotions, pains, metrics, findings) or of observed journeys."""
    from cjm.commands.common import EXIT_FINDINGS, EXIT_OK, fail_usage, use_color
    from cjm.diff.command import DiffInputError, run_diff

    try:
        text, regressed, invalid = run_diff(paths or [], rev, format.value, lint=lint, share_change=share_change,
                                            color=output is None and format is DiffFormat.text and use_color())
    except DiffInputError as exc:
        fail_usage(str(exc))
    from cjm.io import write_output

    if invalid:
        typer.echo(invalid, err=True, nl=False)
        raise typer.Exit(EXIT_FINDINGS)
    try:
        write_output(str(output) if output else None, text)
    except OSError as exc:
        fail_usage(f"cannot write {output}: {exc.strerror or exc}")
    raise typer.Exit(EXIT_FINDINGS if fail_on_regression and regressed else EXIT_OK)
