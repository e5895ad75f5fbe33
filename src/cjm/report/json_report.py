"""``--format json``: a stable, documented document (see README, "JSON output").

{"version": 1, "command": "validate"|"lint",
 "summary": {"files": N, "invalid_files": N, "error": N, "warning": N, "info": N},
 "files": [{"file": "...", "valid": bool}],
 "diagnostics": [{"file", "line", "column", "severity", "code", "name", "message", "path", "hint"}]}
"""

from __future__ import annotations

import json

from cjm.report import Report

SCHEMA_VERSION = 1


def render(report: Report, *, color: bool = False) -> str:
    invalid = set(report.invalid_files)
    document = {
        "version": SCHEMA_VERSION,
        "command": report.command,
        "summary": {"files": len(report.files), "invalid_files": len(invalid), **report.counts},
        "files": [{"file": f, "valid": f not in invalid} for f in report.files],
        "diagnostics": [d.as_dict() for d in report.diagnostics],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
