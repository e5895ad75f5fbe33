"""``--format text``: for people. Grouped per file, the source line with a caret, a summary.

With nothing to show, the summary is printed as plain text without importing rich,
which keeps ``cjm validate`` on valid maps quick to start.
"""

from __future__ import annotations

import io
import re
from itertools import groupby

from cjm.diagnostics import Diagnostic
from cjm.report import Report

SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
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


def _excerpt(diag: Diagnostic):
    from rich.text import Text

    out = Text()
    if diag.source_line is None:
        return out
    gutter = len(str(diag.line)) + 1
    shown = _visible(diag.source_line.expandtabs(1))
    if len(shown) > 160:
        shown = shown[:157] + "..."
    out.append(f"{diag.line:>{gutter}} │ ", style="dim")
    out.append(shown + "\n")
    out.append(f"{'':>{gutter}} │ ", style="dim")
    col = min(diag.col, len(shown) + 1)
    out.append(" " * (col - 1) + "^" * _caret_width(shown, col) + "\n", style=SEVERITY_STYLE[diag.severity.value])
    return out


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
    from rich.console import Console
    from rich.text import Text

    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=color, no_color=not color, width=200,
                      highlight=False, soft_wrap=True, emoji=False, markup=False)
    for file, diags in groupby(report.diagnostics, key=lambda d: d.file):
        for diag in diags:
            head = Text()
            head.append(f"{diag.location}: ", style="bold")
            head.append(diag.severity.value, style=SEVERITY_STYLE[diag.severity.value])
            head.append(f" {diag.code} ", style="bold")
            head.append(f"[{diag.name}] ", style="dim")
            head.append(diag.message)
            console.print(head)
            console.print(_excerpt(diag), end="")
            if diag.hint:
                hint = Text("  = hint: ", style="dim")
                hint.append(diag.hint)
                console.print(hint)
        console.print()
    console.print(Text(_summary(report), style="bold"))
    return buffer.getvalue()
