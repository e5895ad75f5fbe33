from __future__ import annotations

import typer

from cjm.commands.common import fail_usage


def lsp(
    stdio: bool = typer.Option(False, "--stdio", help="Speak LSP over standard input and output (the only transport; accepted for editors that pass it)."),
) -> None:
    """Run the language server for editors: diagnostics as you type, hover, completion, go to
    definition, references, rename and quick fixes for *.cjm.yaml files.

    Speaks the Language Server Protocol over stdio; an editor starts it (see the editors page of
    the documentation). Needs the lsp extra: pip install 'cjm\\[lsp]'.
    """
    try:
        import lsprotocol  # noqa: F401
        import pygls  # noqa: F401
    except ImportError as exc:
        fail_usage(f"cjm lsp needs the lsp extra ({exc.name} is missing): pip install 'cjm[lsp]'")
    from cjm.lsp.server import main

    main()
