from __future__ import annotations

import os
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from cjm.commands.common import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, ReportFormat, emit_report, find_maps


class FailOn(str, Enum):
    error = "error"
    warning = "warning"
    info = "info"


def _selectors(values: list[str] | None) -> tuple[str, ...] | None:
    """``--select CJM2,owner-missing --select CJM301`` -> ("CJM2", "owner-missing", "CJM301")."""
    if values is None:
        return None
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


def lint(
    paths: list[Path] = typer.Argument(None, metavar="PATH", help="Map files, or folders searched for *.cjm.yaml / *.cjm.yml. Default: the current folder."),
    format: Optional[ReportFormat] = typer.Option(None, "--format", "-f", help="Output format. Default: text; github when GITHUB_ACTIONS=true."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", metavar="FILE", help="Write the report to this file (atomically)."),
    select: Optional[list[str]] = typer.Option(None, "--select", metavar="RULES", help="Only these rules (codes, prefixes, names, groups, ALL; comma-separated). Replaces the configuration's selection."),
    extend_select: Optional[list[str]] = typer.Option(None, "--extend-select", metavar="RULES", help="Rules to add to the selection (comma-separated)."),
    ignore: Optional[list[str]] = typer.Option(None, "--ignore", metavar="RULES", help="Rules to turn off (comma-separated)."),
    config: Optional[Path] = typer.Option(None, "--config", metavar="FILE", help="Use this configuration file for every map instead of the nearest one (a pyproject.toml is read at its tool.cjm.lint table, any other file at its lint table)."),
    fail_on: Optional[FailOn] = typer.Option(None, "--fail-on", help="Lowest severity that makes the exit code 1. Default: error (or fail-on in the configuration)."),
    exit_zero: bool = typer.Option(False, "--exit-zero", help="Exit 0 even when there are findings (usage and configuration errors still exit 2)."),
    max_bytes: int = typer.Option(5 * 1024 * 1024, "--max-bytes", min=1, help="Refuse map files larger than this."),
    jobs: int = typer.Option(0, "--jobs", "-j", min=0, help="Worker processes for many maps; 0: one per CPU, 1: none."),
) -> None:
    """Lint maps for gaps: coverage, emotions, measurement, flow and upkeep (plus validation problems)."""
    from cjm.diagnostics import Severity
    from cjm.lint.config import ConfigError
    from cjm.lint.engine import Overrides, lint_paths
    from cjm.load import Limits
    from cjm.progress import is_machine_format

    if format is None:
        format = ReportFormat.github if os.environ.get("GITHUB_ACTIONS") == "true" else ReportFormat.text
    maps = find_maps(paths or [])
    overrides = Overrides(
        select=_selectors(select),
        extend_select=_selectors(extend_select) or (),
        ignore=_selectors(ignore) or (),
        fail_on=Severity(fail_on.value) if fail_on else None,
    )
    try:
        run = lint_paths(maps, overrides=overrides, config=config, limits=Limits(max_bytes=max_bytes),
                         show_progress=not is_machine_format(format.value), jobs=jobs)
    except ConfigError as exc:
        for problem in exc.problems:
            typer.echo(f"cjm: error: {problem}", err=True)
        raise typer.Exit(EXIT_USAGE)
    emit_report(run.report, format.value, output)
    raise typer.Exit(EXIT_FINDINGS if run.failed and not exit_zero else EXIT_OK)
