"""Renderers: one module per view, found by ``--view`` name.

Each view module exposes ``FORMATS`` (the ``--format`` names it can write, first
is its default) and ``render(journey, fmt, options) -> bytes``. Renderers get a
valid map only (``cjm.journey.Journey``) and never write files: the command
writes their bytes with ``cjm.io.write_atomic``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from types import ModuleType

VIEWS: dict[str, str] = {
    "diagram": "cjm.render.diagram",
    "curve": "cjm.render.curve",
    "map": "cjm.render.html_map",
    "journey": "cjm.render.mermaid",
    "blueprint": "cjm.render.blueprint",
    "flow": "cjm.render.flow",
}
TEXT_FORMATS = frozenset({"dot", "svg", "html", "md", "mermaid"})


class RenderError(Exception):
    """A map could not be rendered (missing tool, time limit); the message names why."""


class MissingTool(RenderError):
    """A program or library the format needs is not installed: no map of this format can be rendered."""


# file name extension per --format, where it is not the format's own name
EXTENSIONS = {"mermaid": "mmd"}


def extension(fmt: str) -> str:
    return EXTENSIONS.get(fmt, fmt)


@dataclass(frozen=True)
class RenderOptions:
    persona: str | None = None
    show_pains: bool = True
    theme: str = "light"
    dpi: int = 96
    dot_timeout: float = 20.0
    findings: tuple = field(default_factory=tuple)  # lint diagnostics, for views that show them
    with_lint: bool = False  # findings were asked for (--with-lint), so an empty list means none found
    observed: object = None  # a cjm.evidence.observed.Observed (--observed FILE), for the views that paint it
    evidence: object = None  # a cjm.render.overlay.EvidenceOptions: segment, compare, filters of the evidence
    layout: str = "columns"  # the diagram's layout: columns (stages as columns that wrap into rows) or line
    paper: str = "a4"  # the map page as PDF or PNG: a4, a3, letter, or poster (one page as large as the map)
    landscape: bool = False


def view_module(name: str) -> ModuleType:
    return importlib.import_module(VIEWS[name])
