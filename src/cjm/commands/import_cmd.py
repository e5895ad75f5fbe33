"""``cjm import mermaid FILE.mmd [-o map.cjm.yaml] [--force]``: other formats -> a map.

Exit codes follow the project's rule: 1 when the input is not valid for the importer (like an
invalid map), 2 for usage errors, an unreadable input or an output that exists without --force.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

app = typer.Typer(
    name="import",
    help="Turn a journey written in another format into a map (*.cjm.yaml).",
    no_args_is_help=True,
)


@app.command("mermaid")
def mermaid(
    file: Path = typer.Argument(..., metavar="FILE.mmd", help="A Mermaid journey diagram."),
    output: Optional[str] = typer.Option(
        None, "--output", "-o", metavar="MAP|-",
        help="Where to write the map; '-' for standard output. Default: FILE's name with .cjm.yaml, beside it."),
    force: bool = typer.Option(False, "--force", help="Overwrite the output file when it exists."),
) -> None:
    """Import a Mermaid `journey` diagram: sections become stages, tasks touchpoints, actors personas."""
    from cjm.commands.common import EXIT_FINDINGS, fail_usage
    from cjm.importers import importer
    from cjm.io import write_output
    from cjm.project import display_name
    from cjm.report import Report
    from cjm.report.text import render as text_report
    from cjm.format.validate import validate_bytes

    try:
        raw = file.read_bytes()
    except OSError as exc:
        fail_usage(f"cannot read {file}: {exc.strerror or exc}")
    target = output if output is not None else str(_default_output(file))
    if target != "-" and Path(target).exists() and not force:
        fail_usage(f"{target} already exists; use --force to overwrite it")

    shown = display_name(file)
    result = importer("mermaid").import_bytes(raw, shown, file)
    diagnostics = result.diagnostics
    if result.yaml_text is not None and not diagnostics:
        out_path = Path(target) if target != "-" else file.with_suffix(".cjm.yaml")
        checked = validate_bytes(result.yaml_text.encode("utf-8"), out_path, display_name(out_path))
        if not checked.valid:  # an importer bug, never the user's: say so rather than write a bad map
            diagnostics = [d for d in checked.diagnostics]
    if diagnostics:
        report = Report(command="import", files=[shown], diagnostics=diagnostics, invalid_files=[shown])
        typer.echo(text_report(report, color=False), err=True, nl=False)
        raise typer.Exit(EXIT_FINDINGS)
    try:
        write_output(target, result.yaml_text)
    except OSError as exc:
        fail_usage(f"cannot write {target}: {exc.strerror or exc}")
    if target != "-":
        typer.echo(f"wrote {target}; next: cjm validate {target}")


def _default_output(file: Path) -> Path:
    name = file.name[: -len(file.suffix)] if file.suffix else file.name
    return file.with_name(f"{name}.cjm.yaml")
