"""``cjm lint --observed FILE``: the evidence rules (CJM6xx) end to end.

The rules themselves are tested from data (tests/fixtures/rules/CJM6xx.yml, run by
test_rules.py); here: which map gets the evidence, what a bad observed file does, exit codes,
configuration options, suppressions, and worker processes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cjm.evidence.observed import dump_observed
from cjm.lint.docs import complete_observed
from cjm.format.validate import read_map
from lint_testing import codes_at, project, run_cli, write  # noqa: F401

SHOP = """\
cjm: 1
id: shop
title: Shop
owner: Web team
reviewed: 2026-11-01
analytics:
  source: csv
stages:
  - id: browse
    name: Browse
    touchpoints:
      - {id: catalog, name: Catalog, channel: web, emotion: 1, events: [catalog]}
      - {id: product, name: Product page, channel: web, emotion: 1, events: [product]}
  - id: buy
    name: Buy
    touchpoints:
      - {id: cart, name: Cart, channel: web, emotion: 0, events: [cart]}
"""
CATALOG_LINE, PRODUCT_LINE, BROWSE_LINE, ANALYTICS_LINE = 12, 13, 9, 6

# catalog -> cart skips the product page (25% of catalog's exits); 70% of the journeys that reach
# browse end there; the product page (emotion 1) loses 60%; 30% of events match no rule.
EVIDENCE = {
    "totals": {"events": 10000, "matched_events": 7000, "unmatched_events": 3000, "unmatched_share": 0.3,
               "users": 400, "journeys": 1000},
    "touchpoints": [
        {"id": "catalog", "stage": "browse", "events": 4000, "users": 400, "journeys": 1000, "ends": 400, "drop_off": 0.4},
        {"id": "product", "stage": "browse", "events": 2000, "users": 300, "journeys": 500, "ends": 300, "drop_off": 0.6},
        {"id": "cart", "stage": "buy", "events": 1000, "users": 200, "journeys": 300, "ends": 300, "drop_off": 1.0},
    ],
    "edges": [
        {"source": None, "target": "catalog", "count": 1000, "users": 400, "share": 1.0},
        {"source": "catalog", "target": "product", "count": 500, "users": 300, "share": 0.5},
        {"source": "catalog", "target": "cart", "count": 100, "users": 90, "share": 0.1},
        {"source": "catalog", "target": None, "count": 400, "users": 250, "share": 0.4},
        {"source": "product", "target": "cart", "count": 200, "users": 150, "share": 0.4},
        {"source": "product", "target": None, "count": 300, "users": 200, "share": 0.6},
        {"source": "cart", "target": None, "count": 300, "users": 200, "share": 1.0},
    ],
    "stages": [{"id": "browse", "users": 400, "journeys": 1000, "conversion": None},
               {"id": "buy", "users": 200, "journeys": 300, "conversion": 0.5}],
    "unmatched": [{"event": "search", "events": 3000, "users": 350}],
}
EXPECTED = {("CJM603", BROWSE_LINE), ("CJM604", ANALYTICS_LINE), ("CJM606", PRODUCT_LINE)}


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setenv("CJM_TODAY", "2026-11-22")


def observed_file(folder: Path, map_path: Path, name: str = "shop.observed.json", **changes) -> Path:
    """The observed file of the map at ``map_path``: EVIDENCE with ``changes`` on top."""
    loaded = read_map(map_path)
    assert loaded.valid, [d.message for d in loaded.diagnostics]
    path = folder / name
    path.write_text(dump_observed(complete_observed({**EVIDENCE, **changes}, loaded.journey)), encoding="utf-8")
    return path


def lint(*args: str):
    return run_cli("lint", "--format", "concise", "--select", "evidence", *args)


def test_the_evidence_rules_run_with_the_observed_file(project: Path) -> None:
    shop = write(project, "shop.cjm.yaml", SHOP)
    observed = observed_file(project, shop)
    result = lint("shop.cjm.yaml", "--observed", str(observed))
    assert result.exit_code == 0, result.output  # warnings only
    assert set(codes_at(result.stdout)) == EXPECTED
    assert "70% of the journeys that reach stage 'browse' end there (700 of 1,000); most at 'catalog' (400)" in result.stdout


def test_without_an_observed_file_no_evidence_rule_runs(project: Path) -> None:
    write(project, "shop.cjm.yaml", SHOP)
    result = lint("shop.cjm.yaml")
    assert result.exit_code == 0 and result.stdout == ""


def test_options_come_from_the_configuration_and_fail_on_applies(project: Path) -> None:
    shop = write(project, "shop.cjm.yaml", SHOP)
    observed = observed_file(project, shop)
    write(project, "cjm.toml", """
        [lint]
        fail-on = "warning"
        [lint.options.CJM601]
        min_share = 0.05
        [lint.options.stage-drop-off]
        max_share = 0.8
        [lint.severity]
        CJM604 = "info"
        """)
    result = lint("shop.cjm.yaml", "--observed", str(observed))
    found = set(codes_at(result.stdout))
    assert found == EXPECTED - {("CJM603", BROWSE_LINE)} | {("CJM601", CATALOG_LINE)}
    assert "info CJM604" in result.stdout
    assert result.exit_code == 1


def test_the_observed_file_applies_only_to_the_map_with_its_id(project: Path) -> None:
    shop = write(project, "shop.cjm.yaml", SHOP)
    write(project, "other.cjm.yaml", SHOP.replace("id: shop", "id: other"))
    observed = observed_file(project, shop)
    result = lint("shop.cjm.yaml", "other.cjm.yaml", "--observed", str(observed))
    assert result.exit_code == 0
    assert {line.split(":")[0] for line in result.stdout.splitlines()} == {"shop.cjm.yaml"}


def test_one_observed_file_per_map(project: Path) -> None:
    shop = write(project, "shop.cjm.yaml", SHOP)
    other = write(project, "other.cjm.yaml", SHOP.replace("id: shop", "id: other"))
    first = observed_file(project, shop)
    second = observed_file(project, other, "other.observed.json")
    result = lint("shop.cjm.yaml", "other.cjm.yaml", "--observed", str(first), "--observed", str(second))
    assert {line.split(":")[0] for line in result.stdout.splitlines()} == {"shop.cjm.yaml", "other.cjm.yaml"}
    again = observed_file(project, shop, "again.observed.json")
    twice = lint("shop.cjm.yaml", "--observed", str(first), "--observed", str(again))
    assert twice.exit_code == 2 and twice.stdout == ""
    assert "shop.observed.json and again.observed.json are both observed journeys of map 'shop'" in twice.stderr


def test_an_observed_file_for_no_map_linted_is_a_usage_error(project: Path) -> None:
    shop = write(project, "shop.cjm.yaml", SHOP)
    observed = observed_file(project, shop)
    write(project, "other.cjm.yaml", SHOP.replace("id: shop", "id: other"))
    result = lint("other.cjm.yaml", "--observed", str(observed))
    assert result.exit_code == 2 and result.stdout == ""
    assert "no map linted has the id of the observed journey in shop.observed.json (map 'shop')" in result.stderr


def test_an_invalid_map_is_reported_whatever_the_observed_file(project: Path) -> None:
    shop = write(project, "shop.cjm.yaml", SHOP)
    observed = observed_file(project, shop)
    shop.write_text(SHOP.replace("emotion: 0", "emotion: 9"), encoding="utf-8")
    result = lint("shop.cjm.yaml", "--observed", str(observed))
    assert result.exit_code == 1
    assert "error CJM010" in result.stdout


@pytest.mark.parametrize(("text", "where"), [
    ('{"cjm_observed": 1, "map": "shop",\n  "totals": [}\n', "shop.observed.json:2:"),
    (None, "shop.observed.json:"),  # a share above 1, found at its line
])
def test_a_broken_observed_file_exits_2_with_its_problems(project: Path, text: str | None, where: str) -> None:
    shop = write(project, "shop.cjm.yaml", SHOP)
    path = observed_file(project, shop)
    if text is None:
        document = json.loads(path.read_text(encoding="utf-8"))
        document["edges"][1]["share"] = 1.5
        text = json.dumps(document, indent=2)
    path.write_text(text, encoding="utf-8")
    result = lint("shop.cjm.yaml", "--observed", str(path))
    assert result.exit_code == 2 and result.stdout == ""
    assert where in result.stderr
    assert "shop.observed.json: not a valid observed journey" in result.stderr
    if "1.5" in text:
        line = next(n for n, t in enumerate(text.splitlines(), 1) if '"share": 1.5' in t)
        assert f"shop.observed.json:{line}:" in result.stderr


def test_a_missing_observed_file_exits_2(project: Path) -> None:
    write(project, "shop.cjm.yaml", SHOP)
    result = lint("shop.cjm.yaml", "--observed", "nowhere.observed.json")
    assert result.exit_code == 2
    assert "cannot read observed file nowhere.observed.json" in result.stderr


def test_suppressions_of_evidence_rules_are_unused_only_when_the_rules_ran(project: Path) -> None:
    text = SHOP.replace("  - id: browse\n", "  - id: browse   # cjm: disable=CJM603,CJM601\n")
    shop = write(project, "shop.cjm.yaml", text)
    observed = observed_file(project, shop)
    without = run_cli("lint", "--format", "concise", "--select", "evidence,CJM090", "shop.cjm.yaml")
    assert without.stdout == ""
    with_evidence = run_cli("lint", "--format", "concise", "--select", "evidence,CJM090", "shop.cjm.yaml",
                            "--observed", str(observed))
    found = codes_at(with_evidence.stdout)
    assert ("CJM603", BROWSE_LINE) not in found  # silenced
    assert ("CJM090", BROWSE_LINE) in found and "CJM601 (undeclared-transition) finds nothing" in with_evidence.stdout


def test_stale_evidence_once_the_rules_change(project: Path) -> None:
    shop = write(project, "shop.cjm.yaml", SHOP)
    observed = observed_file(project, shop)
    assert ("CJM607", ANALYTICS_LINE) not in codes_at(lint("shop.cjm.yaml", "--observed", str(observed)).stdout)
    shop.write_text(SHOP.replace("events: [cart]", "events: [cart, basket]"), encoding="utf-8")
    assert ("CJM607", ANALYTICS_LINE) in codes_at(lint("shop.cjm.yaml", "--observed", str(observed)).stdout)


def test_worker_processes_get_the_observed_file(project: Path) -> None:
    shop = write(project, "maps/shop.cjm.yaml", SHOP)
    for n in range(70):  # enough maps for worker processes (cjm.workers.PARALLEL_FROM)
        write(project, f"maps/other{n:02}.cjm.yaml", SHOP.replace("id: shop", f"id: other{n:02}"))
    observed = observed_file(project, shop)
    result = lint("maps", "--jobs", "2", "--observed", str(observed))
    assert result.exit_code == 0, result.output
    assert {(line.split(":")[0], code) for line, (code, _) in zip(result.stdout.splitlines(), codes_at(result.stdout))} == {
        ("maps/shop.cjm.yaml", code) for code, _ in EXPECTED}


# -- computed, not hand-made: the rules read what `cjm evidence compute` writes -----------------

COMPUTED_MAP = """\
cjm: 1
id: shoes
title: Shoe shop
analytics:
  source: csv
  grain: user
  min_users: 1
  columns: {properties: [page]}
stages:
  - id: browse
    name: Browse
    touchpoints:
      - id: catalog
        name: Catalog
        emotion: 1
        events: [{event: view, where: [{property: page, contains: shoes}]}]
        next: [product]
      - id: product
        name: Product page
        events: [{event: view, where: [{property: page, prefix: /p/}]}]
        next: [cart, wishlist]
      - {id: wishlist, name: Wishlist, events: [wishlist_add], next: [cart]}
  - id: buy
    name: Buy
    touchpoints:
      - {id: cart, name: Cart, events: [cart]}
"""
# Line of: catalog's `next`, catalog's `emotion`, product's `events`, wishlist's `events`, `analytics`.
COMPUTED_FINDINGS = {("CJM601", 17), ("CJM606", 15), ("CJM605", 20), ("CJM602", 22), ("CJM604", 4)}


def shoe_log() -> str:
    """18 users: 3 see a shoe product page (it matches catalog and product, so catalog takes it),
    3 more go catalog -> product -> cart, 4 skip from the catalog to the cart, 8 leave at the
    catalog; everyone also searches, which no rule maps."""
    pages = {
        "overlap": [("view", "/c/shoes"), ("view", "/p/shoes-red"), ("view", "/p/hat"), ("cart", "")],
        "buy": [("view", "/c/shoes"), ("view", "/p/hat"), ("cart", "")],
        "skip": [("view", "/c/shoes"), ("cart", "")],
        "leave": [("view", "/c/shoes")],
    }
    who = ["overlap"] * 3 + ["buy"] * 3 + ["skip"] * 4 + ["leave"] * 8
    rows = ["user_id,timestamp,event,page"]
    for n, kind in enumerate(who):
        steps = [("search", "/search"), *pages[kind]]
        rows += [f"u{n:02},2026-10-01T10:{minute:02}:00Z,{event},{page}" for minute, (event, page) in enumerate(steps)]
    return "\n".join(rows) + "\n"


def test_the_rules_on_a_computed_observed_file(project: Path) -> None:
    pytest.importorskip("duckdb", reason="the evidence extra (duckdb, ibis) is not installed")
    pytest.importorskip("ibis", reason="the evidence extra (duckdb, ibis) is not installed")
    from cjm.evidence.compute import compute_observed

    shop = write(project, "shoes.cjm.yaml", COMPUTED_MAP)
    log = write(project, "log.csv", shoe_log())
    loaded = read_map(shop)
    assert loaded.valid, [d.message for d in loaded.diagnostics]
    computed = compute_observed(loaded.journey, [str(log)])
    assert [(o.touchpoint, o.also, o.events) for o in computed.overlaps] == [("catalog", "product", 3)]
    path = project / "shoes.observed.json"
    path.write_text(dump_observed(computed), encoding="utf-8")
    result = lint("shoes.cjm.yaml", "--observed", str(path))
    assert set(codes_at(result.stdout)) == COMPUTED_FINDINGS, result.stdout
    assert "22.2% of the journeys at 'catalog' go on to 'cart' (4 times, 4 users)" in result.stdout
    assert "but 44.4% of the journeys that reach it end there (8 of 18)" in result.stdout
    assert "32.7% of the events in the log match no touchpoint's rules (18 of 55); the commonest: 'search' (18)" in result.stdout


def test_the_example_with_its_committed_observed_file(monkeypatch) -> None:
    root = Path(__file__).resolve().parent.parent
    monkeypatch.chdir(root)
    result = lint("examples/ecom-shop.cjm.yaml", "--observed", "examples/ecom-shop.observed.json")
    assert result.exit_code == 0
    found = codes_at(result.stdout)
    assert found and all(code.startswith("CJM6") for code, _ in found)
    assert "CJM607" not in {code for code, _ in found}  # computed from the map's own rules
