"""Reports of diagnostics, one module per output format, found by ``--format`` name.

Each module has ``render(report: Report, *, color: bool) -> str``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Callable

from cjm.format.diagnostics import Diagnostic, Severity, count_by_severity, sort_key

REPORTERS: dict[str, str] = {
    "text": "cjm.report.text",
    "concise": "cjm.report.concise",
    "json": "cjm.report.json_report",
    "sarif": "cjm.report.sarif",
    "github": "cjm.report.github",
}


@dataclass(frozen=True)
class RuleInfo:
    """What a report may say about a code: its name, summary and help text."""

    code: str
    name: str
    summary: str
    help: str = ""
    default_severity: Severity = Severity.error


@dataclass
class Report:
    command: str
    files: list[str]
    diagnostics: list[Diagnostic]
    invalid_files: list[str] = field(default_factory=list)
    rules: dict[str, RuleInfo] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.diagnostics = sorted(self.diagnostics, key=sort_key)

    @property
    def counts(self) -> dict[str, int]:
        return count_by_severity(self.diagnostics)


def repo_relative(file: str, root=None) -> str:
    """A reported file as a path from the repository root (``repo_root()`` unless given),
    POSIX style; absolute when the file lies outside it. Code scanning and annotations
    resolve paths this way."""
    import os
    from pathlib import Path

    absolute = Path(os.path.abspath(file))
    try:
        return absolute.relative_to(root or repo_root()).as_posix()
    except ValueError:
        return absolute.as_posix()


def repo_root():
    """GITHUB_WORKSPACE when set, else the folder holding .git above the current one, else the current folder."""
    import os
    from pathlib import Path

    workspace = os.environ.get("GITHUB_WORKSPACE")
    if workspace:
        return Path(os.path.abspath(workspace))
    cwd = Path.cwd()
    for folder in (cwd, *cwd.parents):
        if (folder / ".git").exists():
            return folder
    return cwd


def repo_paths(report: "Report") -> dict[str, str]:
    """Each reported file's ``repo_relative`` path, worked out once per file."""
    root = repo_root()
    return {file: repo_relative(file, root) for file in {d.file for d in report.diagnostics}}


def reporter(name: str) -> Callable[..., str]:
    if name not in REPORTERS:
        raise KeyError(name)
    return importlib.import_module(REPORTERS[name]).render
