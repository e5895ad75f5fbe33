from __future__ import annotations

from pathlib import Path

import typer


def init(
    path: Path = typer.Argument(Path("journey.cjm.yaml"), help="Where to write the starter map (a file, or a folder for journey.cjm.yaml)."),
) -> None:
    """Write a commented starter map that validates. Never overwrites a file."""
    from importlib.resources import files

    from cjm.commands.common import fail_usage

    if path.is_dir():
        path = path / "journey.cjm.yaml"
    starter = files("cjm").joinpath("templates/starter.cjm.yaml").read_bytes()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "xb") as handle:  # "x": fails rather than replace a file
            try:
                handle.write(starter)
            except BaseException:
                path.unlink()  # no half-written map left behind
                raise
    except FileExistsError:
        fail_usage(f"{path} already exists; cjm init never overwrites a file")
    except OSError as exc:
        fail_usage(f"cannot write {path}: {exc.strerror or exc}")
    typer.echo(f"wrote {path}; next: cjm validate {path}")
