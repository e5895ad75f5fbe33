"""cjm's diagnostics as LSP diagnostics: code, ``source: cjm``, severity, the rule's page, and a
range in the client's position encoding."""

from __future__ import annotations

import re
from functools import lru_cache

from lsprotocol import types

from cjm.format.diagnostics import Diagnostic, Severity, SourceMap
from cjm.links import rule_url
from cjm.lsp.positions import Text

SEVERITY = {Severity.error: types.DiagnosticSeverity.Error, Severity.warning: types.DiagnosticSeverity.Warning,
            Severity.info: types.DiagnosticSeverity.Information}
_TOKEN_END = re.compile(r"[^\s,:\[\]{}#]*")


def extent(diag: Diagnostic, source: SourceMap, lines: list[str]) -> tuple[tuple[int, int], tuple[int, int]]:
    """0-based start and end, in code points, of what a diagnostic is about: the value that starts
    where it points (when on one line), else the word there."""
    line, col = diag.line - 1, diag.col - 1
    text = lines[line] if 0 <= line < len(lines) else ""
    raw = getattr(source.spans, "raw", None)
    span = raw.get(diag.path) if raw is not None and diag.path else None
    if span is None and diag.path and raw is None and diag.path in source.spans:
        whole = source.spans[diag.path]
        span = (whole.start.line - 1, whole.start.col - 1, whole.end.line - 1, whole.end.col - 1)
    if span is not None:
        start_line, start_col, end_line, end_col = span[:4]
        if (start_line, start_col) == (line, col) and end_line == line and end_col > col:
            return (line, col), (line, end_col)
    found = _TOKEN_END.match(text, col) if col <= len(text) else None
    end = found.end() if found is not None and found.end() > col else min(col + 1, len(text))
    if end <= col and text:  # at the end of a line (a problem at the end of the file): the line's last character
        return (line, max(0, len(text) - 1)), (line, len(text))
    return (line, col), (line, max(end, col))


@lru_cache(maxsize=512)
def _url(code: str, docs_base: str | None) -> str:
    return rule_url(code, docs_base)


def to_json(diag: Diagnostic, source: SourceMap, text: Text, docs_base: str | None) -> dict:
    """The LSP diagnostic as plain JSON data (what :func:`to_lsp` gives, without the objects: a
    map with thousands of findings is published without building and converting them)."""
    start, end = extent(diag, source, text.lines)
    (first_line, first_char), (last_line, last_char) = text.point(*start), text.point(*end)
    return {
        "range": {"start": {"line": first_line, "character": first_char},
                  "end": {"line": last_line, "character": last_char}},
        "message": diag.message + (f"\nhint: {diag.hint}" if diag.hint else ""),
        "severity": int(SEVERITY.get(diag.severity, types.DiagnosticSeverity.Warning)),
        "code": diag.code,
        "codeDescription": {"href": _url(diag.code, docs_base)},
        "source": "cjm",
        "data": {"name": diag.name, "path": list(diag.path)},
    }


def to_lsp(diag: Diagnostic, source: SourceMap, text: Text, docs_base: str | None) -> types.Diagnostic:
    start, end = extent(diag, source, text.lines)
    message = diag.message + (f"\nhint: {diag.hint}" if diag.hint else "")
    return types.Diagnostic(
        range=text.range(start, end),
        message=message,
        severity=SEVERITY.get(diag.severity, types.DiagnosticSeverity.Warning),
        code=diag.code,
        code_description=types.CodeDescription(href=_url(diag.code, docs_base)),
        source="cjm",
        data={"name": diag.name, "path": list(diag.path)},
    )


def problem_to_json(problem: str) -> dict:
    """A broken lint configuration, shown at the top of each map it stops."""
    return {"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
            "message": f"the lint configuration cannot be used: {problem}",
            "severity": int(types.DiagnosticSeverity.Error), "source": "cjm", "code": "config"}
