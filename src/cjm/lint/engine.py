"""Run rules over a valid map and turn their findings into positioned diagnostics."""

from __future__ import annotations

from typing import Iterable

from cjm.diagnostics import Diagnostic, Severity, diagnostic_at
from cjm.journey import Journey
from cjm.lint.registry import Rule
from cjm.validate import LoadedMap


def run_rules(loaded: LoadedMap, rules: Iterable[Rule], severities: dict[str, Severity] | None = None) -> list[Diagnostic]:
    """Every finding of ``rules`` on a valid map, at its file:line:col."""
    if loaded.journey is None:
        return []
    journey = Journey(loaded.journey, loaded.personas)
    severities = severities or {}
    out: list[Diagnostic] = []
    for rule in rules:
        severity = severities.get(rule.code, rule.severity)
        for finding in rule.check(journey):
            out.append(diagnostic_at(
                loaded.source, loaded.file, finding.path, code=rule.code, name=rule.name,
                message=finding.message, severity=severity, hint=finding.hint or rule.hint,
                at_key=finding.at_key,
            ))
    return out
