"""Lint rules and their registry.

A rule is a class with a code (``CJM`` + 3 digits, grouped by hundreds), a
kebab-case name, a group, a default severity, options with defaults, and a
docstring that is its user documentation (what it checks, why it matters, with
a failing and a passing example). ``check`` reads the validated map through a
``Journey`` and yields ``Finding``s at model paths; it never touches YAML.

Rules register themselves with ``@register``; ``cjm.lint.rules.ALL_RULE_MODULES``
lists the modules that hold them, so the registry is explicit and greppable.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, ClassVar, Iterator

from cjm.diagnostics import Path, Severity
from cjm.journey import Journey

GROUPS = {
    "coverage": "Coverage: every stage, persona and channel is on the map",
    "emotion": "Emotions: how the customer feels, where it drops, and what is planned",
    "measure": "Truth and measurement: moments of truth, metrics and objectives",
    "flow": "Flow: where customers go next, and where they fall off",
    "upkeep": "Upkeep: a living document, reviewed and owned",
}


@dataclass(frozen=True)
class Finding:
    """What a rule reports: a message at a model path. Positions are resolved elsewhere."""

    path: Path
    message: str
    hint: str | None = None
    at_key: bool = True


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]
    group: ClassVar[str]
    severity: ClassVar[Severity] = Severity.warning
    summary: ClassVar[str]
    options: ClassVar[dict[str, Any]] = {}
    hint: ClassVar[str | None] = None

    def __init__(self, **options: Any):
        unknown = set(options) - set(self.options)
        if unknown:
            raise ValueError(f"unknown option(s) for {self.code}: {', '.join(sorted(unknown))}")
        self.config = {**self.options, **options}

    def check(self, journey: Journey) -> Iterator[Finding]:
        raise NotImplementedError

    @classmethod
    def doc(cls) -> str:
        return (cls.__doc__ or "").strip()


RULES: dict[str, type[Rule]] = {}


def register(rule: type[Rule]) -> type[Rule]:
    if rule.code in RULES:
        raise ValueError(f"duplicate rule code {rule.code}")
    if rule.group not in GROUPS:
        raise ValueError(f"{rule.code}: unknown group {rule.group}")
    RULES[rule.code] = rule
    return rule


def all_rules() -> dict[str, type[Rule]]:
    """Every registered rule by code, importing the rule modules on first use."""
    from cjm.lint.rules import ALL_RULE_MODULES

    for module in ALL_RULE_MODULES:
        importlib.import_module(module)
    return dict(sorted(RULES.items()))


def rule_by_name_or_code(key: str) -> type[Rule] | None:
    rules = all_rules()
    if key.upper() in rules:
        return rules[key.upper()]
    return next((r for r in rules.values() if r.name == key.lower()), None)
