from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from cjm.commands.common import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, emit_report, find_maps


class ValidateFormat(str, Enum):
    text = "text"
    json = "json"


def validate(
    paths: list[Path] = typer.Argument(None, help="Map files, or folders searched for *.cjm.yaml / *.cjm.yml. Default: the current folder."),
    format: ValidateFormat = typer.Option(ValidateFormat.text, "--format", "-f", help="Output format."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the report to this file (atomically)."),
    max_bytes: int = typer.Option(5 * 1024 * 1024, "--max-bytes", min=1, help="Refuse map files larger than this."),
) -> None:
    """Check maps against the format: YAML syntax, schema, ids and references."""
    from cjm.load import Limits
    from cjm.report import Report
    from cjm.validate import read_map

    limits = Limits(max_bytes=max_bytes)
    loaded = [read_map(path, limits) for path in find_maps(paths or [])]
    report = Report(
        command="validate",
        files=[m.file for m in loaded],
        diagnostics=[d for m in loaded for d in m.diagnostics],
        invalid_files=[m.file for m in loaded if not m.valid],
    )
    emit_report(report, format.value, output)
    if any(d.code == "CJM000" for d in report.diagnostics):
        raise typer.Exit(EXIT_USAGE)  # a named file could not be read at all
    raise typer.Exit(EXIT_FINDINGS if report.invalid_files else EXIT_OK)
