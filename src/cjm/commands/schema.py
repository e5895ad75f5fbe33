from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def schema(
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the schema to this file (atomically) instead of standard output."),
) -> None:
    """Print the JSON Schema of the map format (draft-07, for editors and CI)."""
    from cjm.commands.common import fail_usage
    from cjm.io import write_output
    from cjm.format.schema import schema_text

    try:
        write_output(str(output) if output else None, schema_text())
    except OSError as exc:
        fail_usage(f"cannot write {output}: {exc.strerror or exc}")
