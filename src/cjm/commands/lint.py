from __future__ import annotations

import os
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from cjm.commands.common import (
    EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, ReportFormat, emit_report, fail_usage, find_maps, read_observed_option,
)


class FailOn(str, Enum):
    error = "error"
    warning = "warning"
    info = "info"


def _selectors(values: list[str] | None) -> tuple[str, ...] | None:
    """``--select CJM2,owner-missing --select CJM301`` -> ("CJM2", "owner-missing", "CJM301")."""
    if values is None:
        return None
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


def _observed_by_map(paths: list[Path]) -> tuple[dict, dict[str, str]]:
    """The observed journeys by map id, and the file each came from."""
    from cjm.project import display_name

    observed, files = {}, {}
    for path in paths:
        one = read_observed_option(path)
        if one.map in observed:
            fail_usage(f"{files[one.map]} and {display_name(path)} are both observed journeys of map {one.map!r}; give one")
        observed[one.map], files[one.map] = one, display_name(path)
    return observed, files


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
    observed: Optional[list[Path]] = typer.Option(None, "--observed", metavar="FILE", help="An observed journey (from `cjm evidence compute`): the map with its id is also checked against it (evidence rules, CJM6xx). Repeat for several maps."),
) -> None:
    """Lint maps for gaps: coverage, emotions, measurement, flow and upkeep (plus validation problems); with --observed, against what customers did."""
    from cjm.format.diagnostics import Severity
    from cjm.lint.config import ConfigError
    from cjm.lint.engine import Overrides, lint_paths
    from cjm.format.load import Limits
    from cjm.progress import is_machine_format

    if format is None:
        format = ReportFormat.github if os.environ.get("GITHUB_ACTIONS") == "true" else ReportFormat.text
    maps = find_maps(paths or [])
    evidence, evidence_files = _observed_by_map(observed or [])
    overrides = Overrides(
        select=_selectors(select),
        extend_select=_selectors(extend_select) or (),
        ignore=_selectors(ignore) or (),
        fail_on=Severity(fail_on.value) if fail_on else None,
    )
    try:
        run = lint_paths(maps, overrides=overrides, config=config, limits=Limits(max_bytes=max_bytes),
                         show_progress=not is_machine_format(format.value), jobs=jobs, observed=evidence)
    except ConfigError as exc:
        for problem in exc.problems:
            typer.echo(f"cjm: error: {problem}", err=True)
        raise typer.Exit(EXIT_USAGE)
    unused = [f"{file} (map {map_id!r})" for map_id, file in evidence_files.items() if map_id not in run.with_evidence]
    if unused and not run.report.invalid_files:  # an invalid map may be the one: its report says why
        fail_usage(f"no map linted has the id of the observed journey in {', '.join(unused)}")
    emit_report(run.report, format.value, output)
    raise typer.Exit(EXIT_FINDINGS if run.failed and not exit_zero else EXIT_OK)
