"""Small rules and maps for the lint engine's tests.

The engine is tested against these rules, not the real catalog, so that each
test knows exactly which findings a map has. ``use_test_rules`` swaps them into
the registry for one test.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Iterator

import pytest
from typer.testing import CliRunner

from cjm.format.diagnostics import Severity
from cjm.journey import Journey
from cjm.lint import registry
from cjm.lint.registry import Finding, Rule


class FlaggedTouchpoint(Rule):
    """A touchpoint whose name holds ``FLAG`` (reported at the touchpoint)."""

    code = "CJM191"
    name = "flagged-touchpoint"
    group = "coverage"
    severity = Severity.warning
    summary = "A touchpoint whose name holds FLAG."

    def check(self, journey: Journey) -> Iterator[Finding]:
        for step in journey.steps:
            if "FLAG" in step.touchpoint.name:
                yield Finding(step.path, f"touchpoint '{step.id}' is flagged")


class NotedStage(Rule):
    """A stage whose name holds ``NOTE`` (reported at the stage, as an error)."""

    code = "CJM192"
    name = "noted-stage"
    group = "coverage"
    severity = Severity.error
    summary = "A stage whose name holds NOTE."

    def check(self, journey: Journey) -> Iterator[Finding]:
        for index, stage in enumerate(journey.map.stages):
            if "NOTE" in stage.name:
                yield Finding(("stages", index), f"stage '{stage.id}' is noted")


class LowEmotion(Rule):
    """An emotion below ``threshold`` (reported at the touchpoint's ``emotion``).

    Its hint has characters that output formats must escape: 50%: a, b.
    """

    code = "CJM291"
    name = "low-emotion"
    group = "emotion"
    severity = Severity.warning
    summary = "An emotion below the threshold."
    options = {"threshold": 0.0, "min_steps": 1}
    hint = "plan an opportunity: 50%: a, b"

    def check(self, journey: Journey) -> Iterator[Finding]:
        for step in journey.steps:
            score = journey.emotion(step)
            if score is not None and score < self.config["threshold"]:
                yield Finding(step.path + ("emotion",), f"emotion {score:g} at '{step.id}' is low", at_key=False)


class OwnerMissing(Rule):
    """The map has no ``owner`` (reported at the map's first line)."""

    code = "CJM591"
    name = "owner-missing"
    group = "upkeep"
    severity = Severity.info
    summary = "The map has no owner."

    def check(self, journey: Journey) -> Iterator[Finding]:
        if not journey.map.owner:
            yield Finding(("owner",), "the map has no owner")


class StageCount(Rule):
    """How many stages the map has: a report, not a gap, so it is opt-in."""

    code = "CJM391"
    name = "stage-count"
    group = "measure"
    severity = Severity.info
    summary = "How many stages the map has."
    default_enabled = False

    def check(self, journey: Journey) -> Iterator[Finding]:
        yield Finding(("stages",), f"the map has {len(journey.map.stages)} stages")


TEST_RULES = (FlaggedTouchpoint, NotedStage, LowEmotion, StageCount, OwnerMissing)


@pytest.fixture
def test_rules(monkeypatch: pytest.MonkeyPatch) -> dict[str, type[Rule]]:
    """The registry holds exactly the test rules for this test."""
    import cjm.lint.rules

    rules = {rule.code: rule for rule in TEST_RULES}
    monkeypatch.setattr(registry, "RULES", rules)
    monkeypatch.setattr(cjm.lint.rules, "ALL_RULE_MODULES", ())
    return rules


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty repository folder as the current folder, outside any GitHub Actions run."""
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    for name in ("GITHUB_ACTIONS", "GITHUB_WORKSPACE", "NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


# Findings of the test rules on MAP: CJM191 at line 9 (touchpoint 'home'), CJM291 at
# line 19 (emotion of 'cart'), nothing else (the map has an owner; no stage is noted).
MAP = """\
cjm: 1
id: shop
title: Shop
owner: Web team
stages:
  - id: browse
    name: Browse
    touchpoints:
      - id: home
        name: Home FLAG
        channel: web
        emotion: 1
      - id: search
        name: Search
        channel: web
        emotion: 0
      - id: cart
        name: Cart
        emotion: -1
  - id: buy
    name: Buy
    touchpoints:
      - id: pay
        name: Pay
        emotion: 0
"""
HOME_LINE, CART_EMOTION_LINE = 9, 19


def write(folder: Path, relative: str, text: str) -> Path:
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text) if text.startswith("\n") else text, encoding="utf-8")
    return path


def run_cli(*args: str, env: dict[str, str] | None = None):
    """``cjm ARGS`` in this process; returns the click Result (exit_code, stdout, stderr)."""
    from cjm.cli import app

    return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)


def codes_at(output: str) -> list[tuple[str, int]]:
    """(code, line) pairs from concise output."""
    out = []
    for line in output.splitlines():
        location, rest = line.split(": ", 1)
        out.append((rest.split()[1], int(location.split(":")[1])))
    return out
