"""A progress bar for long runs on a terminal, and nowhere else.

Linting or rendering many maps on a terminal shows a bar on standard error::

    with progress(paths, "Linting", describe=lambda p: p.name, machine_output=fmt != "text") as maps:
        for path in maps:
            ...

The bar is shown only when there are more than ``THRESHOLD`` items, both standard
output and standard error are terminals, no CI is detected (``CI`` or
``GITHUB_ACTIONS`` set), ``TERM`` is not ``dumb`` and the output is not for
machines (json, sarif, github, concise). It is transient: when the loop ends it
disappears, so what the command prints afterwards reads as if it had never been
there. Otherwise the items pass through untouched and rich is never imported.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from typing import Callable, Iterable, Iterator, Mapping, Sequence, TextIO, TypeVar

T = TypeVar("T")

THRESHOLD = 5
MACHINE_FORMATS = frozenset({"json", "sarif", "github", "concise"})
CI_VARIABLES = ("CI", "GITHUB_ACTIONS")


def is_machine_format(fmt: str) -> bool:
    return fmt in MACHINE_FORMATS


def in_ci(environ: Mapping[str, str] | None = None) -> bool:
    environ = os.environ if environ is None else environ
    return any(environ.get(name, "").strip().lower() not in ("", "0", "false", "no") for name in CI_VARIABLES)


def _is_terminal(stream: TextIO | None) -> bool:
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError):  # closed or replaced streams
        return False


def progress_wanted(
    count: int,
    *,
    machine_output: bool = False,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    environ: Mapping[str, str] | None = None,
) -> bool:
    """Whether a bar over ``count`` items should show; the streams and environment default to the real ones."""
    environ = os.environ if environ is None else environ
    if count <= THRESHOLD or machine_output or in_ci(environ):
        return False
    if environ.get("TERM") == "dumb":
        return False
    return _is_terminal(stdout or sys.stdout) and _is_terminal(stderr or sys.stderr)


@contextmanager
def progress(
    items: Sequence[T],
    label: str,
    *,
    describe: Callable[[T], str] | None = None,
    machine_output: bool = False,
    enabled: bool | None = None,
    console=None,
) -> Iterator[Iterable[T]]:
    """Iterate ``items`` with a bar when :func:`progress_wanted` (or ``enabled=True``) says so.

    ``describe`` names the item being worked on next to the bar; ``console`` is a
    ``rich.console.Console`` to draw on (default: standard error).
    """
    show = progress_wanted(len(items), machine_output=machine_output) if enabled is None else enabled
    if not show:
        yield iter(items)
        return

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[current]}", markup=False),
        console=console or Console(stderr=True),
        transient=True,
        redirect_stdout=False,
        redirect_stderr=False,
    )
    task = bar.add_task(label, total=len(items), current="")

    def advancing() -> Iterator[T]:
        for item in items:
            bar.update(task, current=describe(item) if describe else "")
            yield item
            bar.advance(task)

    with bar:
        # Messages written to standard error meanwhile ("a -> b", warnings) print above the bar.
        saved = sys.stderr
        sys.stderr = _text_proxy(bar.console, saved)
        try:
            yield advancing()
        finally:
            sys.stderr.flush()
            sys.stderr = saved


def _text_proxy(console, stream: TextIO) -> TextIO:
    """rich's FileProxy, with the stream's encoding showing.

    Without it, click's ``echo`` finds no encoding on the proxy, reaches through
    to the real stream's binary buffer and writes past the proxy, into the bar.
    """
    from rich.file_proxy import FileProxy

    class TextProxy(FileProxy):
        @property
        def encoding(self) -> str:
            return getattr(self.rich_proxied_file, "encoding", None) or "utf-8"

        @property
        def errors(self) -> str:
            return getattr(self.rich_proxied_file, "errors", None) or "strict"

    return TextProxy(console, stream)
