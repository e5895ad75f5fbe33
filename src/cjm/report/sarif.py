"""``--format sarif``: SARIF 2.1.0, as GitHub code scanning reads it.

One run; ``tool.driver.rules`` describes every code (summary, documentation as
text and Markdown, default level, and ``helpUri``, the code's page, when that is an
absolute address: see ``cjm.links``); each result names its rule by id and index,
its effective level, and a location by repository-relative URI (base
``%SRCROOT%``) and start line/column (columns count Unicode code points).
"""

from __future__ import annotations

import json
from urllib.parse import quote

from cjm import __version__
from cjm.format.diagnostics import Diagnostic, Severity
from cjm.links import docs_base, is_absolute, rule_url
from cjm.report import Report, RuleInfo, repo_paths

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/cjm/"
LEVELS = {Severity.error: "error", Severity.warning: "warning", Severity.info: "note"}


def _prose(text: str) -> str:
    """The documentation's opening paragraphs, up to its first heading, example or list."""
    out = []
    for paragraph in text.strip().split("\n\n"):
        if paragraph.startswith("    ") or paragraph.lstrip().startswith(("#", "```", "**", "- ", "* ", "|")):
            break
        out.append(" ".join(paragraph.split()))
    return "\n\n".join(out)


def _descriptor(info: RuleInfo, docs: str | None) -> dict:
    help_text = info.help or info.summary
    page = rule_url(info.code, docs)
    return {
        "id": info.code,
        "name": info.name,
        "shortDescription": {"text": info.summary},
        "fullDescription": {"text": _prose(help_text) or info.summary},
        "help": {"text": help_text, "markdown": help_text},
        "defaultConfiguration": {"level": LEVELS[info.default_severity]},
        **({"helpUri": page} if is_absolute(page) else {}),
    }


def _uri(path: str) -> tuple[str, bool]:
    """(URI, whether it is relative to %SRCROOT%) for a ``repo_relative`` path."""
    if path.startswith("/"):
        return "file://" + quote(path), False
    return quote(path), True


def _result(diag: Diagnostic, index: int, path: str) -> dict:
    uri, relative = _uri(path)
    artifact = {"uri": uri, "uriBaseId": "%SRCROOT%"} if relative else {"uri": uri}
    text = diag.message if not diag.hint else f"{diag.message}\nHint: {diag.hint}"
    return {
        "ruleId": diag.code,
        "ruleIndex": index,
        "level": LEVELS[diag.severity],
        "message": {"text": text},
        "locations": [{"physicalLocation": {
            "artifactLocation": artifact,
            "region": {"startLine": diag.line, "startColumn": diag.col},
        }}],
    }


def render(report: Report, *, color: bool = False) -> str:
    infos = dict(report.rules)
    for diag in report.diagnostics:
        infos.setdefault(diag.code, RuleInfo(diag.code, diag.name, diag.name, default_severity=diag.severity))
    codes = sorted(infos)
    index = {code: i for i, code in enumerate(codes)}
    paths = repo_paths(report)
    docs = docs_base()
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "cjm",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [_descriptor(infos[code], docs) for code in codes],
            }},
            "columnKind": "unicodeCodePoints",
            "invocations": [{"executionSuccessful": True}],
            "results": [_result(diag, index[diag.code], paths[diag.file]) for diag in report.diagnostics],
        }],
    }
    # No indentation: json's fast encoder only runs without it (pretty-print with `jq .`).
    return json.dumps(document, ensure_ascii=False) + "\n"
