"""``--format github``: GitHub Actions workflow commands, one annotation per finding.

``::error file=F,line=L,col=C,title=T::message``; notice for info. In the message
``%``, CR and LF are escaped; in the properties also ``:`` and ``,``, which would
otherwise end a property.
"""

from __future__ import annotations

from cjm.format.diagnostics import Diagnostic, Severity
from cjm.report import Report, repo_paths, repo_relative

COMMANDS = {Severity.error: "error", Severity.warning: "warning", Severity.info: "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(diag: Diagnostic, path: str | None = None) -> str:
    properties = {
        "file": path if path is not None else repo_relative(diag.file),
        "line": str(diag.line),
        "col": str(diag.col),
        "title": f"{diag.code} {diag.name}",
    }
    head = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    message = diag.message if not diag.hint else f"{diag.message}\nhint: {diag.hint}"
    return f"::{COMMANDS[diag.severity]} {head}::{escape_data(message)}"


def render(report: Report, *, color: bool = False) -> str:
    paths = repo_paths(report)
    return "".join(annotation(diag, paths[diag.file]) + "\n" for diag in report.diagnostics)
