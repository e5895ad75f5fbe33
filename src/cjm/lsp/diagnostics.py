"""cjm's diagnostics as LSP diagnostics: code, ``source: cjm``, severity, the rule's page, and a
range in the client's position encoding."""

from __future__ import annotations

import re

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
    if diag.path and diag.path in source.spans:
        span = source.spans[diag.path]
        if (span.start.line, span.start.col) == (diag.line, diag.col) and span.end.line == diag.line and span.end.col > diag.col:
            return (line, col), (line, span.end.col - 1)
    found = _TOKEN_END.match(text, col) if col <= len(text) else None
    end = found.end() if found is not None and found.end() > col else min(col + 1, len(text))
    if end <= col and text:  # at the end of a line (a problem at the end of the file): the line's last character
        return (line, max(0, len(text) - 1)), (line, len(text))
    return (line, col), (line, max(end, col))


def to_lsp(diag: Diagnostic, source: SourceMap, text: Text, docs_base: str | None) -> types.Diagnostic:
    start, end = extent(diag, source, text.lines)
    message = diag.message + (f"\nhint: {diag.hint}" if diag.hint else "")
    return types.Diagnostic(
        range=text.range(start, end),
        message=message,
        severity=SEVERITY.get(diag.severity, types.DiagnosticSeverity.Warning),
        code=diag.code,
        code_description=types.CodeDescription(href=rule_url(diag.code, docs_base)),
        source="cjm",
        data={"name": diag.name, "path": list(diag.path)},
    )


def problem_to_lsp(problem: str) -> types.Diagnostic:
    """A broken lint configuration, shown at the top of each map it stops."""
    return types.Diagnostic(range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)),
                            message=f"the lint configuration cannot be used: {problem}",
                            severity=types.DiagnosticSeverity.Error, source="cjm", code="config")
