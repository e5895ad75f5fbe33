"""The ``cjm`` command line: a typer app that registers one thin module per command."""

from __future__ import annotations

from typing import Optional

import typer

from cjm import __version__
from cjm.startup import turn_off_pydantic_plugins
from cjm.commands import diff, evidence, import_cmd, init, lint, lsp, render, rules, schema, serve, site, validate

app = typer.Typer(
    name="cjm",
    help="Customer journey maps as code: validate, lint and render *.cjm.yaml files.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cjm {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Optional[bool] = typer.Option(None, "--version", "-V", callback=_version, is_eager=True, help="Show the version and exit."),
) -> None:
    """Customer journey maps as code."""


app.command()(validate.validate)
app.command()(render.render)
app.command()(schema.schema)
app.command()(init.init)
app.command()(diff.diff)
app.command()(lint.lint)
app.command()(site.site)
app.command()(rules.rules)
app.command()(serve.serve)
app.command()(lsp.lsp)
app.add_typer(import_cmd.app, name="import")
app.add_typer(evidence.app, name="evidence")


def main() -> None:
    turn_off_pydantic_plugins()  # before typer parses the options: it builds pydantic adapters for them
    app()
