"""The lint rule catalog, tested from data, and the checks that keep its documentation honest.

Every rule has ``tests/fixtures/rules/<CODE>.yml``: ``rule``, then ``cases`` with a
``name``, a ``map`` (YAML text), optional ``options`` and ``today``, and ``expect``:
the findings of that one rule as ``{code, line}`` (optionally ``col``, the whole
``message`` and ``hint``, null for none, and the ``path`` of the element, as JSON reports it:
``stages[0].touchpoints[1].next``), or ``[]``. An evidence rule's case adds ``observed``:
the parts of the observed file that matter, as YAML (the rest is filled in, see
``docs.complete_observed``).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cjm.cli import app
from cjm.format.diagnostics import Severity, format_path
from cjm.journey import Journey, channel_is_online
from cjm.lint import docs
from cjm.lint.engine import run_rules
from cjm.lint.registry import GROUPS, Rule, all_rules, today
from cjm.format.model import KNOWN_CHANNELS
from cjm.format.validate import read_map, validate_bytes

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "rules"
TODAY = "2026-11-22"
GROUP_HUNDREDS = {group: str(n) for n, group in enumerate(GROUPS, start=1)}


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setenv("CJM_TODAY", TODAY)


def lint(text: str, code: str, options: dict | None = None, observed: dict | None = None):
    loaded = validate_bytes(text.encode("utf-8"), Path("case.cjm.yaml"), "case.cjm.yaml")
    assert loaded.valid, [f"{d.location}: {d.message}" for d in loaded.diagnostics]
    evidence = docs.complete_observed(observed, loaded.journey) if observed is not None else None
    return run_rules(loaded, [all_rules()[code](**(options or {}))], observed=evidence)


def fixture_files() -> list[Path]:
    return sorted(FIXTURES.glob("CJM*.yml"))


def fixture_cases():
    for path in fixture_files():
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for case in data["cases"]:
            yield pytest.param(data["rule"], case, id=f"{path.stem}: {case['name']}")


@pytest.mark.parametrize("code, case", list(fixture_cases()))
def test_rule_fixture(code, case, monkeypatch):
    if "today" in case:
        monkeypatch.setenv("CJM_TODAY", case["today"])
    found = sorted(lint(case["map"], code, case.get("options"), case.get("observed")), key=lambda d: (d.line, d.col))
    expected = sorted(case["expect"], key=lambda e: (e["line"], e.get("col", 0)))
    shown = [f"{d.code} {d.line}:{d.col} {d.message}" for d in found]
    assert [(d.code, d.line) for d in found] == [(e["code"], e["line"]) for e in expected], shown
    for diag, want in zip(found, expected):
        if "col" in want:
            assert diag.col == want["col"], shown
        if "message" in want:
            assert want["message"] == diag.message, shown
        if "hint" in want:
            assert want["hint"] == diag.hint, (shown, diag.hint)
        if "path" in want:
            assert want["path"] == format_path(diag.path), (shown, diag.path)


def test_fixture_files_are_well_formed():
    for path in fixture_files():
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert data["rule"] == path.stem, path
        outcomes = {bool(case["expect"]) for case in data["cases"]}
        assert outcomes == {True, False}, f"{path.name} needs a failing and a passing case"
        for case in data["cases"]:
            assert set(case) <= {"name", "map", "options", "today", "observed", "expect"}, (path.name, case["name"])
            assert ("observed" in case) == all_rules()[data["rule"]].uses_observed, (path.name, case["name"])
            for want in case["expect"]:
                assert want["code"] == data["rule"], (path.name, case["name"])
                assert set(want) <= {"code", "line", "col", "message", "hint", "path"}, (path.name, case["name"])


def test_every_rule_has_a_fixture_and_every_fixture_a_rule():
    assert {p.stem for p in fixture_files()} == set(all_rules())


def test_catalog_size_and_groups():
    rules = all_rules()
    assert len(rules) >= 22
    assert {r.group for r in rules.values()} == set(GROUPS)


@pytest.mark.parametrize("rule", list(all_rules().values()), ids=lambda r: r.code)
def test_rule_metadata(rule: type[Rule]):
    assert re.fullmatch(r"CJM[1-9]\d\d", rule.code)
    assert rule.code[3] == GROUP_HUNDREDS[rule.group], "codes are grouped by hundreds, one hundred per group"
    assert re.fullmatch(r"[a-z]+(-[a-z]+)+", rule.name)
    assert isinstance(rule.severity, Severity)
    assert rule.summary and rule.summary.endswith(".")
    assert set(rule.option_help) == set(rule.options), "every option is documented"
    rule()  # the defaults are valid options


@pytest.mark.parametrize("rule", list(all_rules().values()), ids=lambda r: r.code)
def test_rule_documentation_examples_behave_as_documented(rule: type[Rule]):
    doc = rule.doc()
    assert len(doc.split("\n\n")[0]) > 20, "the documentation starts with what the rule checks"
    assert re.search(r'"[^"]+"', doc), "the documentation quotes the practice it comes from"
    found = docs.examples_with_observed(rule)
    assert found["Fails"] and found["Passes"], "a failing and a passing example"
    for kind, pairs in found.items():
        for example, observed in pairs:
            assert (observed is not None) == rule.uses_observed, f"an evidence rule's examples (only) show the observed file: {kind}"
            extra = lint(docs.complete_example(example), rule.code, observed=json.loads(observed) if observed else None)
            if kind == "Fails":
                assert extra, f"the failing example of {rule.code} passes"
            else:
                assert not extra, f"the passing example of {rule.code} reports {[d.message for d in extra]}"


def test_rule_names_are_unique():
    names = [r.name for r in all_rules().values()]
    assert len(names) == len(set(names))


def test_options_are_checked():
    drop = all_rules()["CJM202"]
    assert drop(threshold=1).config["threshold"] == 1
    with pytest.raises(ValueError, match="unknown option"):
        drop(treshold=1)
    with pytest.raises(ValueError, match="must be a number"):
        drop(threshold="2")
    with pytest.raises(ValueError, match="must be a number"):
        drop(threshold=True)
    with pytest.raises(ValueError, match="must be a whole number"):
        all_rules()["CJM501"](max_age_days=1.5)
    with pytest.raises(ValueError, match="'stage' or 'touchpoint'"):
        all_rules()["CJM305"](scope="map")
    with pytest.raises(ValueError, match="finite"):
        drop(threshold=float("nan"))
    with pytest.raises(ValueError, match="more than 0"):
        drop(threshold=0)
    with pytest.raises(ValueError, match="0 or more"):
        all_rules()["CJM304"](margin=-0.1)
    with pytest.raises(ValueError, match="0 or more"):
        all_rules()["CJM501"](max_age_days=-1)


SHARE = "from 0 up to (not including) 1, a share such as 0.1 for 10%"


@pytest.mark.parametrize("code, key, edges, outside, what", [
    ("CJM202", "threshold", [0.5, 4], [0, 4.5], "more than 0 and at most 4 (the whole scale)"),
    ("CJM304", "margin", [0, 0.2], [-0.1], "0 or more"),
    ("CJM305", "scope", ["stage", "touchpoint"], ["map"], "'stage' or 'touchpoint'"),
    ("CJM501", "max_age_days", [0, 30], [-1], "0 or more"),
    ("CJM601", "min_share", [0, 0.99], [1, -0.01], SHARE),
    ("CJM603", "max_share", [0, 0.5], [1], SHARE),
    ("CJM603", "min_journeys", [0, 5], [-1], "0 or more"),
    ("CJM604", "max_share", [0], [1], SHARE),
    ("CJM605", "min_events", [1, 3], [0], "1 or more"),
    ("CJM606", "max_drop_off", [0], [1], SHARE),
    ("CJM606", "min_emotion", [-2, 1.9], [2, -2.5], "from -2 up to (not including) 2"),
    ("CJM606", "min_journeys", [0], [-1], "0 or more"),
    ("CJM608", "max_gap", [0], [1], SHARE),
    ("CJM608", "min_users", [0], [-1], "0 or more"),
])
def test_each_option_accepts_its_edges_and_names_its_range(code, key, edges, outside, what):
    rule = all_rules()[code]
    for value in edges:
        assert rule(**{key: value}).config[key] == value
    for value in outside:
        with pytest.raises(ValueError) as refused:
            rule(**{key: value})
        assert str(refused.value) == f"option {key} of {code} must be {what}, got {value!r}"


def test_today_reads_cjm_today(monkeypatch):
    assert today().isoformat() == TODAY
    monkeypatch.delenv("CJM_TODAY")
    import datetime as dt

    assert today() == dt.date.today()
    for bad in ("2026-13-01", "20261122", "tomorrow"):
        monkeypatch.setenv("CJM_TODAY", bad)
        with pytest.raises(ValueError, match="CJM_TODAY"):
            today()


def test_channel_vocabulary():
    assert channel_is_online("Web") is True
    assert channel_is_online(" store ") is False
    assert channel_is_online("partner") is None
    assert channel_is_online(None) is None
    from cjm.journey import OFFLINE_CHANNELS, ONLINE_CHANNELS

    assert not OFFLINE_CHANNELS & ONLINE_CHANNELS
    assert OFFLINE_CHANNELS | ONLINE_CHANNELS <= set(KNOWN_CHANNELS)
    mismatch_doc = " ".join(all_rules()["CJM107"].doc().split())
    unknown_doc = " ".join(all_rules()["CJM108"].doc().split())
    assert all(re.search(rf"\b{c}\b", mismatch_doc) for c in OFFLINE_CHANNELS | ONLINE_CHANNELS)
    assert ", ".join(KNOWN_CHANNELS) in unknown_doc


def test_imported_personas_point_at_the_imports_key(tmp_path):
    (tmp_path / "cjm.toml").write_text("")
    (tmp_path / "people.cjm.yaml").write_text(
        "cjm: 1\nid: people\ntitle: People\npersonas:\n  - {id: walter, name: Walter, channels: [store]}\n")
    (tmp_path / "map.cjm.yaml").write_text(
        "cjm: 1\nid: branch\ntitle: Branch\nimports: [people.cjm.yaml]\npersonas:\n  - {id: amira, name: Amira}\n"
        "stages:\n  - id: open\n    name: Open\n    touchpoints:\n      - {id: form, name: Form, channel: web, personas: [walter]}\n")
    loaded = read_map(tmp_path / "map.cjm.yaml")
    assert loaded.valid, [d.message for d in loaded.diagnostics]
    rules = all_rules()
    mismatch = run_rules(loaded, [rules["CJM107"]()])
    assert [(d.line, d.col) for d in mismatch] == [(4, 1)]
    assert "persona 'walter' uses offline channel 'store'" in mismatch[0].message
    # Only the map's own personas must be served; an imported one may be used or not.
    assert [d.message for d in run_rules(loaded, [rules["CJM103"]()])] == ["persona 'amira' is served by no touchpoint"]


# What every rule finds in each example (on TODAY), as "CODE path-of-the-element"; an edit of an
# example that changes its findings updates this on purpose.
EXAMPLE_FINDINGS = {
    "bank-branch-service.cjm.yaml": [
        "CJM304 stages[0].touchpoints[0].metrics[0]", "CJM304 stages[0].touchpoints[2].metrics[0]",
        "CJM304 stages[1].touchpoints[0].metrics[0]", "CJM304 stages[1].touchpoints[1].metrics[0]",
        "CJM304 stages[1].touchpoints[1].metrics[1]", "CJM202 stages[2].touchpoints[1].emotion",
        "CJM304 stages[2].touchpoints[1].metrics[0]", "CJM305 stages[3]", "CJM202 stages[3].touchpoints[1].emotion",
        "CJM304 stages[3].touchpoints[1].metrics[0]", "CJM304 stages[3].touchpoints[2].metrics[0]",
        "CJM304 stages[3].touchpoints[3].metrics[0]", "CJM104 stages[4]", "CJM202 stages[4].touchpoints[0].emotion",
        "CJM304 stages[4].touchpoints[0].metrics[0]", "CJM304 stages[4].touchpoints[0].metrics[1]",
        "CJM202 stages[4].touchpoints[2].emotion", "CJM304 stages[4].touchpoints[2].metrics[0]",
        "CJM304 stages[5].touchpoints[0].metrics[0]", "CJM304 stages[6].touchpoints[0].metrics[0]",
        "CJM304 stages[6].touchpoints[1].metrics[0]",
    ],
    "ecom-shop.cjm.yaml": [
        "CJM304 stages[0].touchpoints[0].metrics[0]", "CJM304 stages[0].touchpoints[1].metrics[0]",
        "CJM304 stages[1].touchpoints[3].metrics[0]", "CJM403 stages[2].touchpoints[0].next[3]",
        "CJM403 stages[2].touchpoints[0].next[4]", "CJM403 stages[2].touchpoints[1].next[4]",
        "CJM304 stages[3].touchpoints[0].metrics[0]", "CJM403 stages[3].touchpoints[2].next[1]",
        "CJM304 stages[3].touchpoints[3].metrics[0]", "CJM202 stages[3].touchpoints[4].emotion",
        "CJM304 stages[3].touchpoints[4].metrics[0]", "CJM304 stages[3].touchpoints[5].metrics[0]",
    ],
    "online-shop-checkout.cjm.yaml": [
        "CJM304 stages[0].touchpoints[0].metrics[0]", "CJM304 stages[0].touchpoints[1].metrics[0]",
        "CJM304 stages[0].touchpoints[4].metrics[0]", "CJM304 stages[1].touchpoints[0].metrics[0]",
        "CJM304 stages[1].touchpoints[1].metrics[0]", "CJM202 stages[1].touchpoints[2].emotion",
        "CJM304 stages[1].touchpoints[2].metrics[0]", "CJM304 stages[1].touchpoints[3].metrics[0]",
        "CJM304 stages[1].touchpoints[5].metrics[0]", "CJM304 stages[1].touchpoints[6].metrics[0]",
        "CJM202 stages[2].touchpoints[1].emotion", "CJM304 stages[2].touchpoints[1].metrics[0]",
        "CJM304 stages[2].touchpoints[2].metrics[0]", "CJM304 stages[2].touchpoints[3].metrics[0]",
        "CJM304 stages[2].touchpoints[4].metrics[0]", "CJM304 stages[2].touchpoints[5].metrics[1]",
        "CJM304 stages[2].touchpoints[6].metrics[0]", "CJM304 stages[2].touchpoints[7].metrics[0]",
        "CJM304 stages[3].touchpoints[2].metrics[0]", "CJM304 stages[3].touchpoints[4].metrics[0]",
        "CJM202 stages[4].touchpoints[1].emotion", "CJM304 stages[4].touchpoints[1].metrics[0]",
        "CJM304 stages[4].touchpoints[1].metrics[1]", "CJM304 stages[4].touchpoints[2].metrics[0]",
        "CJM304 stages[4].touchpoints[3].metrics[0]", "CJM304 stages[4].touchpoints[4].metrics[0]",
        "CJM304 stages[4].touchpoints[4].metrics[1]",
    ],
    "shared-personas.cjm.yaml": [
        "CJM501", "CJM502",
    ],
    "saas-trial-to-paid.cjm.yaml": [
        "CJM107 personas[0].channels[4]", "CJM304 stages[0].touchpoints[2].metrics[0]",
        "CJM202 stages[1].touchpoints[2].emotion.priya", "CJM304 stages[1].touchpoints[2].metrics[0]",
        "CJM304 stages[1].touchpoints[3].metrics[0]", "CJM304 stages[2].touchpoints[2].metrics[0]",
        "CJM304 stages[2].touchpoints[2].metrics[1]", "CJM304 stages[2].touchpoints[3].metrics[0]",
        "CJM304 stages[2].touchpoints[4].metrics[0]", "CJM202 stages[2].touchpoints[5].emotion.priya",
        "CJM304 stages[2].touchpoints[5].metrics[0]", "CJM304 stages[2].touchpoints[6].metrics[0]",
        "CJM403 stages[2].touchpoints[6].next[1]", "CJM304 stages[3].touchpoints[0].metrics[0]",
        "CJM304 stages[3].touchpoints[1].metrics[0]", "CJM305 stages[4]",
        "CJM304 stages[4].touchpoints[2].metrics[0]", "CJM305 stages[5]",
        "CJM304 stages[5].touchpoints[0].metrics[0]", "CJM304 stages[5].touchpoints[1].metrics[0]",
        "CJM202 stages[6].touchpoints[1].emotion.priya", "CJM304 stages[6].touchpoints[1].metrics[1]",
        "CJM304 stages[6].touchpoints[2].metrics[0]",
    ],
}


def _dotted(path: tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + part
    return out


@pytest.mark.parametrize("path", sorted((ROOT / "examples").rglob("*.cjm.yaml")), ids=lambda p: p.name)
def test_rules_run_on_the_examples(path):
    loaded = read_map(path)
    assert loaded.valid
    Journey(loaded.journey, loaded.personas)
    findings = run_rules(loaded, [rule() for rule in all_rules().values()])
    assert sorted(f"{d.code} {_dotted(d.path)}".strip() for d in findings) == sorted(EXAMPLE_FINDINGS[path.name])
    lines = path.read_text(encoding="utf-8").count("\n")
    for diag in findings:
        assert Path(diag.file).resolve() == path.resolve() and 1 <= diag.line <= lines and diag.col >= 1, diag


# -- the rule reference and `cjm rules` --------------------------------------------------------


def test_reference_lists_every_rule_with_anchor():
    reference = docs.reference_markdown()
    for rule in all_rules().values():
        assert f"#### {rule.code} `{rule.name}`" in reference
        assert f"](#{rule.code.lower()}-{rule.name})" in reference
    assert "off by default" in reference


runner = CliRunner()


def test_cli_rules_lists_every_rule():
    result = runner.invoke(app, ["rules"])
    assert result.exit_code == 0, result.output
    for code, rule in all_rules().items():
        assert code in result.output and rule.name in result.output


def test_cli_rules_prints_one_rule_by_code_or_name():
    for key in ("CJM202", "cjm202", "emotion-drop"):
        result = runner.invoke(app, ["rules", key])
        assert result.exit_code == 0, result.output
        assert "CJM202" in result.output and "threshold" in result.output and "Fails" in result.output


def test_cli_rules_markdown():
    result = runner.invoke(app, ["rules", "--markdown"])
    assert result.exit_code == 0
    assert result.output == docs.reference_markdown()
    one = runner.invoke(app, ["rules", "CJM501", "--markdown"])
    assert one.output == docs.rule_markdown(all_rules()["CJM501"], level=1)


def test_cli_rules_lists_and_documents_the_suppression_checks():
    listing = runner.invoke(app, ["rules"])
    assert "CJM090" in listing.output and "invalid-suppression" in listing.output
    for key in ("CJM090", "unused-suppression"):
        result = runner.invoke(app, ["rules", key])
        assert result.exit_code == 0, result.output
        assert "CJM090" in result.output and "silences nothing" in result.output


@pytest.mark.parametrize("key", ["flow", "FLOW", "CJM4", "cjm40"])
def test_cli_rules_by_group_or_prefix(key):
    result = runner.invoke(app, ["rules", key])
    assert result.exit_code == 0
    assert "CJM401" in result.output and "CJM403" in result.output and "CJM101" not in result.output
    markdown = runner.invoke(app, ["rules", key, "--markdown"])
    assert [line for line in markdown.output.splitlines() if line.startswith("#### ")] == [
        "#### CJM401 `unreachable-touchpoint`", "#### CJM402 `dead-end`", "#### CJM403 `backward-next`"]


@pytest.mark.parametrize("key, suggestion", [("emotoin-drop", "emotion-drop"), ("CJM2O2", "CJM202"), ("zzz", None)])
def test_cli_rules_unknown_is_a_usage_error(key, suggestion):
    result = runner.invoke(app, ["rules", key])
    assert result.exit_code == 2
    assert f"unknown rule '{key}'" in result.output
    if suggestion:
        assert f"did you mean '{suggestion}'" in result.output
    else:
        assert "did you mean" not in result.output


def test_rules_command_imports_little():
    code = ("import sys, cjm.commands.rules; "
            "heavy = [m for m in ('rich.table', 'rich.markdown', 'pydantic', 'cjm.lint.registry') if m in sys.modules]; "
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("share, shown", [
    (0, "0%"), (0.0004, "<0.1%"), (0.0005, "0.1%"), (0.104, "10.4%"), (0.38, "38%"),
    (0.9994, "99.9%"), (0.9995, ">99.9%"), (0.99999, ">99.9%"), (1, "100%"), (1.5, "150%"),
])
def test_shares_in_messages_never_read_as_0_or_100_percent_unless_they_are(share, shown):
    from cjm.lint.rules.evidence import percent

    assert percent(share) == shown


def test_an_evidence_rule_called_without_an_observed_journey_finds_nothing():
    # The engine runs the CJM6xx rules only with an observed file; a direct call (a plugin, the
    # language server) on a journey without one gets no findings, not an error.
    loaded = validate_bytes(docs.complete_example(
        "stages:\n  - id: shop\n    name: Shop\n    touchpoints:\n      - {id: catalog, name: Catalog, events: [catalog]}\n"
    ).encode("utf-8"), Path("case.cjm.yaml"), "case.cjm.yaml")
    journey = Journey(loaded.journey, loaded.personas)
    evidence_rules = [rule for rule in all_rules().values() if rule.uses_observed]
    assert evidence_rules
    for rule in evidence_rules:
        assert list(rule().check(journey)) == [], rule.code


class _CountingSuccessors(dict):
    """``Journey.successors`` that counts what is asked of it, and stops a search that never ends."""

    def __init__(self, real: dict):
        super().__init__(real)
        self.asked: list[str] = []

    def get(self, key, default=None):
        self.asked.append(key)
        assert len(self.asked) <= 100, f"declares() is going round in circles: {self.asked[:12]}"
        return super().get(key, default)


def test_declares_follows_each_touchpoint_without_rules_once_even_round_a_loop():
    from cjm.lint.rules.evidence import declares

    # catalog -> hotline or chat (no rules) -> callback (no rules) -> back to hotline; cart is not reached.
    loaded = validate_bytes(docs.complete_example(
        "stages:\n  - id: shop\n    name: Shop\n    touchpoints:\n"
        "      - {id: catalog, name: Catalog, events: [catalog], next: [hotline, chat]}\n"
        "      - {id: hotline, name: Order hotline, channel: phone, next: [callback]}\n"
        "      - {id: chat, name: Chat, channel: phone, next: [callback]}\n"
        "      - {id: callback, name: Call back, channel: phone, next: [hotline]}\n"
        "      - {id: cart, name: Cart, events: [cart]}\n"
    ).encode("utf-8"), Path("case.cjm.yaml"), "case.cjm.yaml")
    assert loaded.valid, [d.message for d in loaded.diagnostics]
    journey = Journey(loaded.journey, loaded.personas)
    journey.successors = counting = _CountingSuccessors(journey.successors)
    assert declares(journey, "catalog", "cart") is False
    assert sorted(counting.asked) == ["callback", "catalog", "chat", "hotline"]
    counting.asked.clear()
    assert declares(journey, "catalog", "callback") is True
