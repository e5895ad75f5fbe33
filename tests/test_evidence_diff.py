"""``cjm diff`` of two observed journeys: what customers did differently between two files."""

from __future__ import annotations

import copy
import json
import re
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cjm.cli import app
from cjm.diff.command import is_observed_file
from cjm.evidence.diff import diff_observed
from cjm.evidence.observed import Observed, dump_observed
from cjm.lint.docs import complete_observed
from cjm.format.validate import validate_bytes

MAP = """\
cjm: 1
id: shop
title: Shop
analytics: {source: csv}
stages:
  - id: browse
    name: Browse
    touchpoints:
      - {id: catalog, name: Catalog, events: [catalog]}
      - {id: product, name: Product page, events: [product]}
  - id: buy
    name: Buy
    touchpoints:
      - {id: cart, name: Cart, events: [cart]}
"""


def tp(tp_id: str, stage: str, users: int, journeys: int, ends: int) -> dict:
    return {"id": tp_id, "stage": stage, "events": journeys * 2, "users": users, "journeys": journeys, "ends": ends,
            "drop_off": round(ends / journeys, 6)}


def edge(source: str | None, target: str | None, count: int, share: float) -> dict:
    return {"source": source, "target": target, "count": count, "users": count // 2, "share": share}


BEFORE = {
    "totals": {"events": 10000, "matched_events": 8000, "unmatched_events": 2000, "unmatched_share": 0.2,
               "users": 400, "journeys": 1000},
    "touchpoints": [tp("catalog", "browse", 400, 1000, 300), tp("product", "browse", 300, 700, 400),
                    tp("cart", "buy", 200, 300, 300)],
    "edges": [edge(None, "catalog", 1000, 1.0), edge("catalog", "product", 700, 0.7), edge("catalog", None, 300, 0.3),
              edge("product", "cart", 300, 0.428571), edge("product", None, 400, 0.571429), edge("cart", None, 300, 1.0)],
    "stages": [{"id": "browse", "users": 400, "journeys": 1000, "conversion": None},
               {"id": "buy", "users": 200, "journeys": 300, "conversion": 0.5}],
    "provenance": {"first_event": "2026-09-01T00:00:00Z", "last_event": "2026-09-30T23:59:00Z"},
}


def observed(parts: dict, map_text: str = MAP) -> Observed:
    loaded = validate_bytes(map_text.encode(), Path("shop.cjm.yaml"), "shop.cjm.yaml")
    assert loaded.valid, [d.message for d in loaded.diagnostics]
    return complete_observed(parts, loaded.journey)


def after(edit) -> dict:
    parts = copy.deepcopy(BEFORE)
    edit(parts)
    return parts


def checkout_got_worse(parts: dict) -> None:
    """Fewer journeys go from the product page to the cart; the buy stage converts worse."""
    parts["touchpoints"][1] = tp("product", "browse", 300, 700, 500)
    parts["edges"][3] = edge("product", "cart", 200, 0.285714)
    parts["edges"][4] = edge("product", None, 500, 0.714286)
    parts["stages"][1] = {"id": "buy", "users": 150, "journeys": 200, "conversion": 0.375}
    parts["totals"]["unmatched_share"] = 0.25


def test_the_same_file_is_unchanged():
    result = diff_observed("x", observed(BEFORE), observed(BEFORE))
    assert result.status == "unchanged" and not result.edges and not result.notes and not result.regressed
    assert [t.kind for t in result.touchpoints] == ["unchanged"] * 3


def test_a_worse_checkout_is_a_regression():
    result = diff_observed("x", observed(BEFORE), observed(after(checkout_got_worse)))
    assert result.status == "changed" and result.regressed
    assert [(s.id, s.conversion_delta) for s in result.conversion_drops] == [("buy", -0.125)]
    assert [(t.id, t.drop_off_delta) for t in result.drop_off_rises] == [("product", pytest.approx(0.142857))]
    assert [(e.label, e.kind, e.share_delta) for e in result.edges] == [
        ("product → cart", "changed", pytest.approx(-0.142857)), ("product → end", "changed", pytest.approx(0.142857))]
    users = {t.name: t.delta for t in result.totals}
    assert users == {"events": 0, "users": 0, "journeys": 0, "unmatched_share": 0.05}


def test_edges_that_appear_disappear_or_move_by_more_than_the_threshold():
    def edit(parts):
        parts["edges"][1] = edge("catalog", "product", 650, 0.65)   # exactly 5 points: not more
        parts["edges"][2] = edge("catalog", None, 250, 0.25)        # 5 points too
        parts["edges"].insert(2, edge("catalog", "cart", 100, 0.1))  # appeared
        del parts["edges"][-1]                                       # cart -> end disappeared
    result = diff_observed("x", observed(BEFORE), observed(after(edit)))
    assert [(e.label, e.kind) for e in result.edges] == [("catalog → cart", "appeared"), ("cart → end", "disappeared")]
    stricter = diff_observed("x", observed(BEFORE), observed(after(edit)), share_change=0.04)
    assert [(e.label, e.kind) for e in stricter.edges] == [
        ("catalog → product", "changed"), ("catalog → cart", "appeared"), ("catalog → end", "changed"), ("cart → end", "disappeared")]
    assert not result.regressed  # edges alone are news, not a regression


def test_touchpoints_and_stages_that_come_and_go():
    def edit(parts):
        parts["touchpoints"][2] = tp("basket", "buy", 200, 300, 300)
        parts["stages"].append({"id": "after", "users": 20, "journeys": 20, "conversion": 0.1})
    result = diff_observed("x", observed(BEFORE), observed(after(edit)))
    assert [(t.id, t.kind) for t in result.touchpoints] == [
        ("catalog", "unchanged"), ("product", "unchanged"), ("basket", "added"), ("cart", "removed")]
    assert [(s.id, s.users_old, s.users_new) for s in result.stages] == [("browse", 400, 400), ("buy", 200, 200), ("after", None, 20)]


def test_notes_say_what_makes_the_files_hard_to_compare():
    new = after(lambda p: p["provenance"].update(grain="user", min_users=10, first_event="2026-10-01T00:00:00Z",
                                                  rules_sha256="0" * 64))
    new_map = MAP.replace("id: shop", "id: store")
    notes = diff_observed("x", observed(BEFORE), observed(new, new_map)).notes
    assert notes == [
        "the files are observed journeys of different maps ('shop', 'store')",
        "the files were computed from different event rules: a touchpoint's counts may have moved because its rules did",
        "one journey is a session in the old file and a user in the new one",
        "rare edges were left out below 5 users in the old file and 10 in the new one",
        "events from 2026-09-01T00:00:00Z to 2026-09-30T23:59:00Z before, from 2026-10-01T00:00:00Z to 2026-09-30T23:59:00Z now",
    ]


# -- the command ------------------------------------------------------------------------------------

runner = CliRunner()


def diff(*args: str):
    return runner.invoke(app, ["diff", *args], catch_exceptions=False)


@pytest.fixture
def files(tmp_path: Path, monkeypatch) -> tuple[Path, Path]:
    monkeypatch.chdir(tmp_path)
    old, new = tmp_path / "sept.observed.json", tmp_path / "oct.observed.json"
    old.write_text(dump_observed(observed(BEFORE)), encoding="utf-8")
    new.write_text(dump_observed(observed(after(checkout_got_worse))), encoding="utf-8")
    return old, new


def test_text(files):
    result = diff(*map(str, files))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("oct.observed.json: changed\n")
    assert "product → cart │ 42.9%" in out and "-14.3 pts" in out
    assert "│ 50%" in out and "37.5%" in out and "-12.5 pts" in out  # conversion of 'buy'
    assert re.search(r"events no rule maps\s+│ 20%\s+│ 25%\s+│ \+5 pts", out)
    assert "1,000 → 1,000 journeys; 0 edges appeared, 0 disappeared, 2 moved more than 5 pts; " \
           "conversion down at 1 stage, drop-off up at 1 touchpoint" in out


def test_markdown_and_json(files):
    markdown = diff(*map(str, files), "-f", "markdown").stdout
    assert markdown.startswith("**cjm diff** (observed journeys): 1,000 → 1,000 journeys")
    assert "### oct.observed.json (changed) ⚠️ regression" in markdown
    assert "| changed | product → cart | 42.9% | 28.6% | -14.3 pts | 300 | 200 |" in markdown
    document = json.loads(diff(*map(str, files), "-f", "json").stdout)
    assert document["kind"] == "observed" and document["regressed"] is True
    [one] = document["observed"]
    assert [(e["source"], e["target"], e["kind"]) for e in one["edges"]] == [("product", "cart", "changed"), ("product", None, "changed")]
    assert {s["id"]: s["conversion_delta"] for s in one["stages"]} == {"browse": None, "buy": -0.125}


def test_fail_on_regression_and_the_threshold(files):
    assert diff(*map(str, files), "--fail-on-regression").exit_code == 1
    assert diff(*map(str, files), "--fail-on-regression", "--share-change", "0.2").exit_code == 0
    assert diff(str(files[0]), str(files[0]), "--fail-on-regression").exit_code == 0


def test_an_observed_file_is_known_by_its_name_or_its_first_key(files, tmp_path: Path):
    renamed = tmp_path / "october.json"
    renamed.write_text(files[1].read_text(encoding="utf-8"), encoding="utf-8")
    assert is_observed_file(renamed) and is_observed_file(files[0])
    assert not is_observed_file(tmp_path / "missing.json")
    (tmp_path / "shop.cjm.yaml").write_text(MAP, encoding="utf-8")
    assert not is_observed_file(tmp_path / "shop.cjm.yaml")
    assert diff(str(files[0]), str(renamed)).exit_code == 0


def test_a_map_and_an_observed_file_are_not_compared(files, tmp_path: Path):
    (tmp_path / "shop.cjm.yaml").write_text(MAP, encoding="utf-8")
    result = diff("shop.cjm.yaml", str(files[1]))
    assert result.exit_code == 2
    assert "shop.cjm.yaml: not an observed journey" in result.stderr
    missing = diff(str(files[0]), "gone.observed.json")
    assert missing.exit_code == 2 and "gone.observed.json: no such file" in missing.stderr


def test_a_broken_observed_file_prints_its_problems_and_exits_1(files):
    text = files[1].read_text(encoding="utf-8").replace('"share": 0.285714', '"share": 2.85714')
    files[1].write_text(text, encoding="utf-8")
    line = next(n for n, t in enumerate(text.splitlines(), 1) if "2.85714" in t)
    result = diff(*map(str, files))
    assert result.exit_code == 1 and result.stdout == ""
    assert f"oct.observed.json:{line}:" in result.stderr and "not a valid observed journey" in result.stderr


def git(folder: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=folder, check=True,
                   capture_output=True)


def test_against_a_git_revision(files, tmp_path: Path):
    old, new = files
    tracked = tmp_path / "shop.observed.json"
    tracked.write_text(old.read_text(encoding="utf-8"), encoding="utf-8")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "shop.observed.json")
    git(tmp_path, "commit", "-q", "-m", "september")
    tracked.write_text(new.read_text(encoding="utf-8"), encoding="utf-8")
    result = diff("--rev", "HEAD", "shop.observed.json", "-f", "json")
    assert result.exit_code == 0, result.output
    [one] = json.loads(result.stdout)["observed"]
    assert one["file"] == "shop.observed.json" and one["regressed"] is True
    fresh = tmp_path / "fresh.observed.json"
    fresh.write_text(new.read_text(encoding="utf-8"), encoding="utf-8")
    added = diff("--rev", "HEAD", "fresh.observed.json")
    assert added.exit_code == 0 and "fresh.observed.json: added" in added.stdout
    assert "a new observed file: nothing to compare with" in added.stdout
    assert diff("--rev", "no-such-rev", "shop.observed.json").exit_code == 2
