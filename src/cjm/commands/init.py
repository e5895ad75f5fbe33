from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

SCHEMA_NAME = "cjm-map.v1.schema.json"


def init(
    path: Path = typer.Argument(Path("journey.cjm.yaml"), help="Where to write the starter map (a file, or a folder for journey.cjm.yaml)."),
    schema: Optional[str] = typer.Option(
        None, "--schema", metavar="PATH|URL",
        help="The JSON Schema the map's editor modeline names. A path is written there when missing "
             f"(default: schemas/{SCHEMA_NAME} in the project's root); a URL is named as it is."),
) -> None:
    """Write a commented starter map that validates, reviewed today, with a modeline that gives
    editors (yaml-language-server) the format's JSON Schema, offline. Never overwrites a map."""
    import datetime
    from importlib.resources import files

    from cjm.commands.common import fail_usage

    if path.is_dir():
        path = path / "journey.cjm.yaml"
    if schema is not None and schema.startswith(("http://", "https://")):
        modeline_target = schema
    else:
        schema_path = Path(schema) if schema is not None else _default_schema_path(path)
        modeline_target = _write_schema(schema_path, path)
    starter = files("cjm").joinpath("templates/starter.cjm.yaml").read_text(encoding="utf-8")
    starter = starter.replace("@SCHEMA@", modeline_target).replace("@TODAY@", datetime.date.today().isoformat())
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "xb") as handle:  # "x": fails rather than replace a file
            try:
                handle.write(starter.encode("utf-8"))
            except BaseException:
                path.unlink()  # no half-written map left behind
                raise
    except FileExistsError:
        fail_usage(f"{path} already exists; cjm init never overwrites a file")
    except OSError as exc:
        fail_usage(f"cannot write {path}: {exc.strerror or exc}")
    typer.echo(f"wrote {path}; next: cjm validate {path}")


def _default_schema_path(map_path: Path) -> Path:
    from cjm.project import find_root

    return find_root(map_path.parent if map_path.parent.exists() else Path(".")) / "schemas" / SCHEMA_NAME


def _write_schema(schema_path: Path, map_path: Path) -> str:
    """Write the schema when it is missing and say how the map reaches it: a path relative to the
    map's folder, which is how yaml-language-server reads a modeline's path."""
    import os

    from cjm.commands.common import fail_usage
    from cjm.format.schema import schema_text
    from cjm.io import write_output
    from cjm.project import display_name

    if schema_path.is_dir():
        schema_path = schema_path / SCHEMA_NAME
    shown = display_name(schema_path)
    text = schema_text()
    if not schema_path.exists():
        try:
            schema_path.parent.mkdir(parents=True, exist_ok=True)
            write_output(str(schema_path), text)
        except OSError as exc:
            fail_usage(f"cannot write {shown}: {exc.strerror or exc}")
        typer.echo(f"wrote {shown} (the map format's JSON Schema, for editors)")
    elif schema_path.read_text(encoding="utf-8", errors="replace") != text:
        typer.echo(f"kept {shown}, which differs from this cjm's schema; refresh it with: cjm schema -o {shown}")
    map_folder = (map_path.parent if str(map_path.parent) else Path(".")).resolve()
    return Path(os.path.relpath(schema_path.resolve(), map_folder)).as_posix()
