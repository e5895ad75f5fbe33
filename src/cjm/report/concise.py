"""``--format concise``: one finding a line, ``file:line:col: severity CODE message``, nothing else."""

from __future__ import annotations

from cjm.report import Report


def render(report: Report, *, color: bool = False) -> str:
    lines = [f"{d.location}: {d.severity.value} {d.code} {_one_line(d.message)}" for d in report.diagnostics]
    return "".join(line + "\n" for line in lines)


def _one_line(text: str) -> str:
    return " ".join(text.split())
