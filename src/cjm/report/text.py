"""``--format text``: for people. Grouped per file, the source line with a caret, a summary.

With nothing to show, the summary is printed as plain text without importing rich,
which keeps ``cjm validate`` on valid maps quick to start. Lines are built as styled
pieces and joined directly: rich only says which escape codes a style has, since
rendering every line through a rich Console is far too slow for tens of thousands of
findings.
"""

from __future__ import annotations

import re
from itertools import groupby

from cjm.format.diagnostics import Diagnostic
from cjm.report import Report

SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
WIDTH = 160  # longest source excerpt shown
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _visible(line: str) -> str:
    """Control characters as their Unicode pictures (U+2400...), one column each like the original."""
    return CONTROL.sub(lambda m: "\u2421" if m.group() == "\x7f" else chr(0x2400 + ord(m.group())), line)


def _caret_width(line: str, col: int) -> int:
    rest = line[col - 1:]
    width = 0
    for char in rest:
        if char in " :,]}\t" and width:
            break
        width += 1
    return max(1, min(width, 60))


class _Painter:
    """Wraps text in a style's escape codes (as rich renders them), or leaves it plain."""

    def __init__(self, color: bool):
        self.color = color
        self._codes: dict[str, tuple[str, str]] = {}

    def __call__(self, text: str, style: str | None = None) -> str:
        if not self.color or not style or not text:
            return text
        if style not in self._codes:
            from rich.color import ColorSystem
            from rich.style import Style

            before, _, after = Style.parse(style).render("\0", color_system=ColorSystem.STANDARD).partition("\0")
            self._codes[style] = (before, after)
        before, after = self._codes[style]
        return "\n".join(before + part + after if part else part for part in text.split("\n"))


def _excerpt(diag: Diagnostic, paint: _Painter) -> str:
    if diag.source_line is None:
        return ""
    gutter = len(str(diag.line)) + 1
    shown = _visible(diag.source_line.expandtabs(1))
    col = diag.col
    if col > WIDTH - 20:  # a long line: show the part around the column
        cut = col - WIDTH // 2
        shown, col = "..." + shown[cut:], col - cut + 3
    if len(shown) > WIDTH:
        shown = shown[:WIDTH - 3] + "..."
    col = min(col, len(shown) + 1)
    caret = " " * (col - 1) + "^" * _caret_width(shown, col)
    return (paint(f"{diag.line:>{gutter}} │ ", "dim") + shown + "\n"
            + paint(f"{'':>{gutter}} │ ", "dim") + paint(caret, SEVERITY_STYLE[diag.severity.value]) + "\n")


def _summary(report: Report) -> str:
    counts = report.counts
    maps = len(report.files)
    noun = "map" if maps == 1 else "maps"
    if report.command == "validate":
        invalid = len(report.invalid_files)
        if not invalid:
            return f"{maps} {noun} valid"
        errors = counts["error"]
        return f"{invalid} of {maps} {noun} invalid ({errors} error{'s' if errors != 1 else ''})"
    total = len(report.diagnostics)
    if not total:
        return f"All checks passed: {maps} {noun}, no findings"
    parts = [f"{counts[s]} {s}{'s' if counts[s] != 1 and s != 'info' else ''}" for s in ("error", "warning", "info") if counts[s]]
    files = len({d.file for d in report.diagnostics})
    return f"Found {total} finding{'s' if total != 1 else ''} ({', '.join(parts)}) in {files} of {maps} {noun}"


def render(report: Report, *, color: bool = False) -> str:
    if not report.diagnostics:
        return _summary(report) + "\n"
    paint = _Painter(color)
    out: list[str] = []
    for file, diags in groupby(report.diagnostics, key=lambda d: d.file):
        for diag in diags:
            out.append(paint(f"{diag.location}: ", "bold") + paint(diag.severity.value, SEVERITY_STYLE[diag.severity.value])
                       + paint(f" {diag.code} ", "bold") + paint(f"[{diag.name}] ", "dim") + diag.message + "\n")
            out.append(_excerpt(diag, paint))
            if diag.hint:
                out.append(paint("  = hint: " + diag.hint, "dim") + "\n")
        out.append("\n")
    out.append(paint(_summary(report), "bold") + "\n")
    return "".join(out)
