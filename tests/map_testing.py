"""Helpers for the loader, model, check and import tests: small maps in, positioned problems out."""

from __future__ import annotations

import textwrap
from pathlib import Path

from cjm.format.diagnostics import Diagnostic
from cjm.format.load import Limits, Parsed, parse_text
from cjm.format.validate import LoadedMap, validate_bytes

# Three lines every small map starts with; what a test appends begins on line 4.
HEAD = "cjm: 1\nid: m\ntitle: T\n"


def yaml_text(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def small_map(body: str) -> str:
    """``HEAD`` followed by ``body`` (dedented)."""
    return HEAD + yaml_text(body)


def parse(text: str | bytes, limits: Limits = Limits()) -> Parsed:
    raw = text if isinstance(text, bytes) else yaml_text(text).encode("utf-8")
    return parse_text(raw, "m.cjm.yaml", limits)


def validate(text: str | bytes, path: Path | None = None, limits: Limits = Limits()) -> LoadedMap:
    raw = text if isinstance(text, bytes) else yaml_text(text).encode("utf-8")
    path = path or Path("m.cjm.yaml")
    return validate_bytes(raw, path, path.name, limits)


def problems(result: LoadedMap | Parsed) -> list[tuple[str, int, int]]:
    """(code, line, column) of every diagnostic, in file order."""
    return sorted((d.code, d.line, d.col) for d in result.diagnostics)


def only(result: LoadedMap | Parsed, code: str | None = None) -> Diagnostic:
    """The one diagnostic (of ``code``) the file has; fails when there are none or several."""
    found = [d for d in result.diagnostics if code is None or d.code == code]
    assert len(found) == 1, [f"{d.location} {d.code} {d.message}" for d in result.diagnostics]
    return found[0]


def generated_map(touchpoints: int) -> str:
    """The text of a map of ``touchpoints`` touchpoints, as the benchmarks generate it
    (benchmarks/generate.py, loaded by path: tests/corpus has a generate.py of its own)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_generate", Path(__file__).parents[1] / "benchmarks" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_map(touchpoints)
