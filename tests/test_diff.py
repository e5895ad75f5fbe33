"""cjm diff: a semantic diff of two versions of a map, from files or a git revision."""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cjm.cli import app
from cjm.diff.maps import diff_journeys, finding_changes
from cjm.format.diagnostics import Diagnostic, Severity
from cjm.journey import Journey
from cjm.format.validate import validate_bytes

BASE = {
    "cjm": 1, "id": "shop", "title": "Shop", "owner": "Team",
    "personas": [{"id": "rosa", "name": "Rosa"}, {"id": "sam", "name": "Sam"}],
    "stages": [
        {"id": "aware", "name": "Awareness", "touchpoints": [
            {"id": "ad", "name": "Ad", "emotion": 1, "pains": ["Too loud"]},
            {"id": "search", "name": "Search", "emotion": {"rosa": 0, "sam": 1}},
        ]},
        {"id": "buy", "name": "Purchase", "touchpoints": [
            {"id": "checkout", "name": "Checkout", "emotion": -1, "moment_of_truth": True,
             "metrics": [{"name": "conversion", "value": 50, "target": 70}]},
        ]},
    ],
}


def journey_of(data: dict) -> Journey:
    loaded = validate_bytes(yaml.safe_dump(data, sort_keys=False).encode(), Path("m.cjm.yaml"), "m.cjm.yaml")
    assert loaded.valid, loaded.diagnostics
    return Journey(loaded.journey, loaded.personas)


def changed(edit) -> dict:
    data = copy.deepcopy(BASE)
    edit(data)
    return data


def test_unchanged_map_has_an_empty_diff():
    result = diff_journeys("m", journey_of(BASE), journey_of(BASE))
    assert result.status == "unchanged" and result.empty and not result.regressed


def test_elements_added_removed_renamed_and_moved():
    def edit(d):
        aware, buy = d["stages"]
        aware["touchpoints"][0]["name"] = "Video ad"           # renamed (same id)
        buy["touchpoints"].append(aware["touchpoints"].pop(1))  # moved between stages
        d["stages"].append({"id": "after", "name": "After", "touchpoints": [{"id": "mail", "name": "Mail"}]})
        d["stages"][0]["name"] = "Discover"
    result = diff_journeys("m", journey_of(BASE), journey_of(changed(edit)))
    kinds = {(c.kind, c.element, c.id) for c in result.elements}
    assert ("renamed", "touchpoint", "ad") in kinds
    assert ("moved", "touchpoint", "search") in kinds
    assert ("added", "stage", "after") in kinds and ("added", "touchpoint", "mail") in kinds
    assert ("renamed", "stage", "aware") in kinds
    removed = diff_journeys("m", journey_of(changed(edit)), journey_of(BASE))
    assert ("removed", "stage", "after") in {(c.kind, c.element, c.id) for c in removed.elements}


def test_emotion_changes_per_persona_and_stage_average():
    def edit(d):
        d["stages"][0]["touchpoints"][1]["emotion"] = {"rosa": -2, "sam": 1}
        d["stages"][1]["touchpoints"][0]["emotion"] = 1
    result = diff_journeys("m", journey_of(BASE), journey_of(changed(edit)))
    by_key = {(e.touchpoint, e.persona): e.delta for e in result.emotions}
    assert by_key == {("search", "rosa"): -2, ("checkout", "rosa"): 2, ("checkout", "sam"): 2}
    averages = {s.stage: s.delta for s in result.stage_averages}
    assert averages["aware"] == pytest.approx(-0.5) and averages["buy"] == pytest.approx(2)
    assert result.regressed and len(result.emotion_drops) == 1


def test_pains_metrics_and_moments_of_truth():
    def edit(d):
        ad = d["stages"][0]["touchpoints"][0]
        ad["pains"] = ["Shown too often"]
        ad["opportunities"] = ["Cap frequency"]
        checkout = d["stages"][1]["touchpoints"][0]
        checkout["moment_of_truth"] = False
        checkout["metrics"][0]["value"] = 65
        d["stages"][0]["touchpoints"][1]["moment_of_truth"] = True
    result = diff_journeys("m", journey_of(BASE), journey_of(changed(edit)))
    texts = {(t.kind, t.field, t.text) for t in result.texts}
    assert texts == {("added", "pains", "Shown too often"), ("resolved", "pains", "Too loud"),
                     ("added", "opportunities", "Cap frequency")}
    assert [(m.metric, m.trend) for m in result.metrics] == [("conversion", "toward")]
    assert {(m.kind, m.id) for m in result.moments} == {("lost", "checkout"), ("gained", "search")}


def test_metric_moving_away_from_a_lower_is_better_target():
    def with_metric(value):
        def edit(d):
            d["stages"][1]["touchpoints"][0]["metrics"] = [{"name": "wait", "value": value, "target": 30, "direction": "lower"}]
        return changed(edit)
    result = diff_journeys("m", journey_of(with_metric(60)), journey_of(with_metric(90)))
    assert result.metrics[0].trend == "away"


def _diag(code: str, severity: Severity, message: str, line: int) -> Diagnostic:
    return Diagnostic(code, "x", message, "m", line, 1, severity)


def test_findings_compare_by_code_and_message_not_line():
    old = [_diag("CJM101", Severity.warning, "stage 'a' has no touchpoints", 3)]
    new = [_diag("CJM101", Severity.warning, "stage 'a' has no touchpoints", 9),
           _diag("CJM301", Severity.error, "moment of truth 'x' has no metric", 4)]
    changes = finding_changes(old, new)
    assert [(c.kind, c.code) for c in changes] == [("introduced", "CJM301")]
    assert [(c.kind, c.code) for c in finding_changes(new, old)] == [("fixed", "CJM301")]


# -- the command ---------------------------------------------------------------------------

runner = CliRunner()


def write(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def test_two_files_json_and_fail_on_regression(tmp_path):
    old = write(tmp_path / "old.cjm.yaml", BASE)
    new = write(tmp_path / "new.cjm.yaml", changed(lambda d: d["stages"][1]["touchpoints"][0].update(emotion=-2)))
    result = runner.invoke(app, ["diff", str(old), str(new), "--format", "json", "--no-lint"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["regressed"] is True
    assert document["maps"][0]["emotions"][0]["delta"] == -1
    result = runner.invoke(app, ["diff", str(old), str(new), "--fail-on-regression", "--no-lint"])
    assert result.exit_code == 1
    result = runner.invoke(app, ["diff", str(new), str(old), "--fail-on-regression", "--no-lint"])
    assert result.exit_code == 0


def test_markdown_escapes_map_text(tmp_path):
    old = write(tmp_path / "old.cjm.yaml", BASE)
    hostile = "a | b <script>alert(1)</script>\n```"
    new = write(tmp_path / "new.cjm.yaml", changed(lambda d: d["stages"][0]["touchpoints"][0].update(pains=[hostile])))
    result = runner.invoke(app, ["diff", str(old), str(new), "-f", "markdown", "--no-lint"])
    assert result.exit_code == 0
    row = next(line for line in result.output.splitlines() if "alert" in line)
    assert "<script>" not in row and "a \\| b" in row
    assert row.count("|") - row.count("\\|") == 5  # four cells, nothing split by the pipe in the text


def test_usage_errors_exit_2(tmp_path):
    one = write(tmp_path / "one.cjm.yaml", BASE)
    assert runner.invoke(app, ["diff", str(one)]).exit_code == 2
    assert runner.invoke(app, ["diff", str(one), str(tmp_path / "missing.cjm.yaml")]).exit_code == 2


def test_invalid_map_exits_1_with_its_diagnostics(tmp_path):
    old = write(tmp_path / "old.cjm.yaml", BASE)
    bad = tmp_path / "bad.cjm.yaml"
    bad.write_text("cjm: 1\nid: x\ntitle: [\n")
    result = runner.invoke(app, ["diff", str(old), str(bad), "--no-lint"])
    assert result.exit_code == 1
    assert "bad.cjm.yaml:" in result.output and "Traceback" not in result.output


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args], cwd=cwd, check=True, capture_output=True)


def test_rev_reports_changed_added_and_deleted_maps(tmp_path, monkeypatch):
    git(tmp_path, "init", "-q")
    write(tmp_path / "kept.cjm.yaml", BASE)
    write(tmp_path / "gone.cjm.yaml", BASE)
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "maps")
    (tmp_path / "gone.cjm.yaml").unlink()
    write(tmp_path / "new.cjm.yaml", BASE)
    write(tmp_path / "kept.cjm.yaml", changed(lambda d: d["stages"][1]["touchpoints"][0].update(emotion=1)))
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["diff", "--rev", "HEAD", "-f", "json", "--no-lint"])
    assert result.exit_code == 0, result.output
    status = {m["file"]: m["status"] for m in json.loads(result.output)["maps"]}
    assert status == {"gone.cjm.yaml": "deleted", "kept.cjm.yaml": "changed", "new.cjm.yaml": "added"}
    bad_rev = runner.invoke(app, ["diff", "--rev", "no-such-rev"])
    assert bad_rev.exit_code == 2 and "unknown revision" in bad_rev.output


def test_lint_findings_introduced_and_fixed(tmp_path):
    old = write(tmp_path / "old.cjm.yaml", BASE)
    worse = changed(lambda d: d["stages"][0]["touchpoints"][0].update(emotion=-2))
    new = write(tmp_path / "new.cjm.yaml", worse)
    result = runner.invoke(app, ["diff", str(old), str(new), "-f", "json"])
    assert result.exit_code == 0, result.output
    introduced = {f["code"] for f in json.loads(result.output)["maps"][0]["findings"] if f["kind"] == "introduced"}
    assert "CJM204" in introduced  # a negative touchpoint with no opportunity planned
    back = runner.invoke(app, ["diff", str(new), str(old), "-f", "json"])
    fixed = {f["code"] for f in json.loads(back.output)["maps"][0]["findings"] if f["kind"] == "fixed"}
    assert "CJM204" in fixed


def test_bad_lint_configuration_is_a_usage_error(tmp_path):
    (tmp_path / "cjm.toml").write_text("[lint]\nselect = ['CJM999']\n")
    old = write(tmp_path / "old.cjm.yaml", BASE)
    result = runner.invoke(app, ["diff", str(old), str(old)])
    assert result.exit_code == 2 and "CJM999" in result.output
