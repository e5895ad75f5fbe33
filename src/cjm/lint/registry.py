"""Lint rules and their registry.

A rule is a class with a code (``CJM`` + 3 digits, grouped by hundreds), a
kebab-case name, a group, a default severity, options with defaults, and a
docstring that is its user documentation (what it checks, why it matters, with
a failing and a passing example). ``check`` reads the validated map through a
``Journey`` (and, for the evidence rules, the observed journey it carries) and
yields ``Finding``s at model paths; it never touches YAML.

Rules register themselves with ``@register``; ``cjm.lint.rules.ALL_RULE_MODULES``
lists the modules that hold them, so the registry is explicit and greppable.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import math
import os
from dataclasses import dataclass
from typing import Any, ClassVar, Iterator

from cjm.format.diagnostics import Path, Severity
from cjm.journey import Journey

GROUPS = {
    "coverage": "Coverage: every stage, persona and channel is on the map",
    "emotion": "Emotions: how the customer feels, where it drops, and what is planned",
    "measure": "Truth and measurement: moments of truth, metrics and objectives",
    "flow": "Flow: where customers go next, and where they fall off",
    "upkeep": "Upkeep: a living document, reviewed and owned",
    "evidence": "Evidence: the map against what customers did (with `--observed`)",
    "blueprint": "Service blueprint: what the business does behind the moments the customer sees",
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
    option_help: ClassVar[dict[str, str]] = {}
    hint: ClassVar[str | None] = None
    # False for a rule whose findings are expected on a healthy map (a report, not a gap):
    # it runs only when selected, e.g. ``extend-select = ["CJM304"]``.
    default_enabled: ClassVar[bool] = True
    # True for a rule that reads ``journey.observed`` (the evidence group): it runs only when
    # lint is given an observed file for the map (``--observed``).
    uses_observed: ClassVar[bool] = False

    def __init__(self, **options: Any):
        unknown = set(options) - set(self.options)
        if unknown:
            raise ValueError(f"unknown option(s) for {self.code}: {', '.join(sorted(unknown))}")
        for key, value in options.items():
            _check_option_type(self.code, key, value, self.options[key])
        self.config = {**self.options, **options}
        self.check_options()

    def check_options(self) -> None:
        """Checks beyond an option's type (ranges, choices); a rule overrides it and calls ``require``."""

    def require(self, key: str, ok: bool, what: str) -> None:
        if not ok:
            raise ValueError(f"option {key} of {self.code} must be {what}, got {self.config[key]!r}")

    def check(self, journey: Journey) -> Iterator[Finding]:
        raise NotImplementedError

    @classmethod
    def doc(cls) -> str:
        """The docstring, dedented: Markdown with a failing and a passing example."""
        return inspect.cleandoc(cls.__doc__ or "")


def _check_option_type(code: str, key: str, value: Any, default: Any) -> None:
    """An option takes the type of its default (an int is fine where a number is wanted)."""
    wanted = type(default)
    ok = isinstance(value, wanted) and not (isinstance(value, bool) and wanted is not bool)
    if wanted is float and isinstance(value, int) and not isinstance(value, bool):
        ok = True
    if ok and wanted is float and not math.isfinite(value):
        raise ValueError(f"option {key} of {code} must be a finite number, got {value!r}")
    if not ok:
        names = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}
        raise ValueError(f"option {key} of {code} must be {names.get(wanted, wanted.__name__)}, got {value!r}")


def today() -> dt.date:
    """The date rules compare against: ``CJM_TODAY=YYYY-MM-DD`` when set (reproducible runs), else today."""
    raw = os.environ.get("CJM_TODAY", "").strip()
    if not raw:
        return dt.date.today()
    try:
        if len(raw) == 10:
            return dt.date.fromisoformat(raw)
    except ValueError:
        pass
    raise ValueError(f"CJM_TODAY must be a date such as 2026-03-31 (YYYY-MM-DD), got '{raw}'")


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
