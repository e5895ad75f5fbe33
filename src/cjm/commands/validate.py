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
    jobs: int = typer.Option(0, "--jobs", "-j", min=0, help="Worker processes for many maps; 0: one per CPU, 1: none."),
) -> None:
    """Check maps against the format: YAML syntax, schema, ids and references."""
    import gc

    from cjm.format.load import Limits
    from cjm.report import Report
    from cjm.format.validate import validate_files

    # Validation allocates many objects and makes almost no reference cycles: collect less often.
    gc.set_threshold(100_000, 50, 100)
    verdicts = validate_files(find_maps(paths or []), Limits(max_bytes=max_bytes), jobs)
    report = Report(
        command="validate",
        files=[v.file for v in verdicts],
        diagnostics=[d for v in verdicts for d in v.diagnostics],
        invalid_files=[v.file for v in verdicts if not v.valid],
    )
    emit_report(report, format.value, output)
    if any(d.code == "CJM000" for d in report.diagnostics):
        raise typer.Exit(EXIT_USAGE)  # a named file could not be read at all
    raise typer.Exit(EXIT_FINDINGS if report.invalid_files else EXIT_OK)
