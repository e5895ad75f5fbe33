"""``compute_observed`` on small hand-written logs: rule operators, touchpoint assignment, ordering
and ties, journeys (sessions, gap cutting, grains), edges and their times, stages, variants,
suppression, inputs and their errors; then edge counts, and every part of the observed journey (flows
and segments included), against a reference in plain Python on seeded random logs."""

from __future__ import annotations

import csv
import gzip
import random
import textwrap
from collections import defaultdict
from pathlib import Path

import pytest

pytest.importorskip("duckdb", reason="the evidence computation needs duckdb (pip install 'cjm[evidence]')")
ibis = pytest.importorskip("ibis", reason="the evidence computation needs ibis (pip install 'cjm[evidence]')")
pa = pytest.importorskip("pyarrow", reason="the evidence computation needs pyarrow (pip install 'cjm[evidence]')")

from cjm.evidence.compute import EvidenceError, compute_observed, parse_time  # noqa: E402
from cjm.evidence.matching import condition_expr, glob_regex  # noqa: E402
from cjm.evidence.observed import dump_observed  # noqa: E402
from cjm.evidence.source import SourceError  # noqa: E402
from cjm.format.model_events import Condition  # noqa: E402
from cjm.format.validate import validate_bytes  # noqa: E402

HEADER = ["user_id", "timestamp", "event", "page"]


def journey_map(tmp_path: Path, stages: str, analytics: str = "source: csv\ncolumns: {properties: [page]}\nmin_users: 1"):
    """A map with ``analytics`` and ``stages`` (YAML text); fails the test when it is invalid."""
    text = ("cjm: 1\nid: shop\ntitle: Shop\nanalytics:\n" + textwrap.indent(textwrap.dedent(analytics).strip(), "  ")
            + "\nstages:\n" + textwrap.indent(textwrap.dedent(stages).strip(), "  ") + "\n")
    path = tmp_path / "shop.cjm.yaml"
    path.write_text(text)
    loaded = validate_bytes(text.encode(), path, path.name)
    assert loaded.valid, [f"{d.location} {d.message}" for d in loaded.diagnostics]
    return loaded.journey


def write_log(path: Path, rows: list[tuple], header: list[str] = HEADER) -> str:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "wt", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return str(path)


# Three stages; `note` has no rules, so it is never a touchpoint of the observed journey.
SHOP = """
- id: browse
  name: Browse
  touchpoints:
    - {id: home, name: Home, events: [home_view]}
    - id: product
      name: Product
      events: [{event: page_view, where: [{property: page, prefix: /p/}]}]
- id: think
  name: Think
  touchpoints:
    - {id: note, name: No rules}
- id: buy
  name: Buy
  touchpoints:
    - id: cart
      name: Cart
      events: [add_to_cart, {event: page_view, where: [{property: page, equals: /cart}]}]
    - {id: order, name: Order, events: [purchase]}
"""


def edge_map(observed) -> dict[tuple, tuple[int, int]]:
    return {(e.source, e.target): (e.count, e.users) for e in observed.edges}


# --- rule operators ------------------------------------------------------------------------------

VALUES = ["/p/1", "/P/2", "/cart", "", None, "12", "3.5", " 7 ", "abc", "a.b", "/p/(1)x", "x\ny"]
OPERANDS = {
    "equals": ["/cart", "/CART", ""], "in": [["/cart", "abc"], ["/P/2"]], "prefix": ["/p/", "/P"],
    "suffix": ["t", "T"], "contains": ["ar", "(1)"], "glob": ["/p/*", "?b?", "/p/(1)*", "x*"],
    "regex": [r"^/p/\d$", "B", r"a\.b", "^y"], "exists": [True, False],
    "gt": [5, 3.5], "gte": [12, 3.5], "lt": [4], "lte": [3.5],
}


def _expected(value: str | None, operator: str, operand, negated: bool, folded: bool) -> bool:
    """What the rule means, said in plain Python."""
    import fnmatch
    import re

    def number(text):
        try:
            return float(text)
        except (TypeError, ValueError):
            return None

    fold = str.lower if folded else (lambda text: text)
    if operator == "exists":
        holds = (value not in (None, "")) == operand
    elif operator in ("gt", "gte", "lt", "lte"):
        n = number(value)
        holds = n is not None and {"gt": n > operand, "gte": n >= operand, "lt": n < operand, "lte": n <= operand}[operator]
    elif value is None:
        holds = False
    elif operator == "regex":
        holds = re.search(operand, value, re.IGNORECASE if folded else 0) is not None
    elif operator == "glob":
        holds = re.match(fnmatch.translate(operand), value, re.IGNORECASE if folded else 0) is not None
    elif operator == "in":
        holds = fold(value) in [fold(o) for o in operand]
    else:
        test = {"equals": str.__eq__, "prefix": str.startswith, "suffix": str.endswith, "contains": str.__contains__}
        holds = test[operator](fold(value), fold(operand))
    return holds != negated


def test_every_operator_with_negated_and_case_insensitive_means_what_it_says():
    table = ibis.memtable({"event": ["e"] * len(VALUES), "p_page": VALUES}, schema={"event": "string", "p_page": "string"})
    checked = {}
    for operator, operands in OPERANDS.items():
        for operand in operands:
            for negated in (False, True):
                for folded in (False, True):
                    condition = Condition.model_validate({"property": "page", operator: operand,
                                                          "negated": negated, "case_insensitive": folded})
                    checked[f"{operator}={operand!r} negated={negated} ci={folded}"] = (
                        condition_expr(table, condition), [_expected(v, operator, operand, negated, folded) for v in VALUES])
    backend = ibis.duckdb.connect()
    results = backend.to_pyarrow(table.select(**{f"c{i}": expr for i, (expr, _) in enumerate(checked.values())})).to_pydict()
    wrong = {name: [v for v, got, want in zip(VALUES, results[f"c{i}"], want) if got != want]
             for i, (name, (_, want)) in enumerate(checked.items())}
    assert {name: values for name, values in wrong.items() if values} == {}
    assert len(checked) == 4 * sum(len(o) for o in OPERANDS.values())


def test_the_event_name_is_testable_as_a_property():
    table = ibis.memtable({"event": ["page_view", "Page_View", "scroll"], "p_page": ["/", "/", "/"]})
    condition = Condition.model_validate({"property": "event", "suffix": "_view", "case_insensitive": True})
    got = ibis.duckdb.connect().to_pyarrow(table.select(hit=condition_expr(table, condition))).to_pydict()["hit"]
    assert got == [True, True, False]


def test_glob_patterns_escape_what_regexes_would_read():
    assert glob_regex("/p/(1)*.html?") == r"(?s)^/p/\(1\).*\.html.$"


# --- assignment, order and ties -------------------------------------------------------------------

def test_first_matching_touchpoint_wins_and_overlaps_are_counted(tmp_path):
    stages = """
    - id: s
      name: S
      touchpoints:
        - id: product
          name: Product
          events: [{event: page_view, where: [{property: page, prefix: /p/}]}]
        - {id: any-page, name: Any page, events: [page_view]}
        - id: deep
          name: Deep product page
          events: [{event: page_view, where: [{property: page, glob: "/p/*/*"}]}]
    """
    log = write_log(tmp_path / "log.csv", [
        ("u1", "2026-01-01 10:00:00", "page_view", "/p/1"),
        ("u1", "2026-01-01 10:00:01", "page_view", "/p/1/reviews"),
        ("u1", "2026-01-01 10:00:02", "page_view", "/about"),
        ("u2", "2026-01-01 10:00:00", "page_view", "/p/2/reviews"),
    ])
    observed = compute_observed(journey_map(tmp_path, stages), [log])
    counts = {t.id: t.events for t in observed.touchpoints}
    assert counts == {"product": 3, "any-page": 1, "deep": 0}
    assert [(o.touchpoint, o.also, o.events) for o in observed.overlaps] == [
        ("product", "any-page", 3), ("product", "deep", 2)]
    assert observed.touchpoint("deep").drop_off is None  # never reached


def test_ties_in_time_go_by_event_name_then_touchpoint_order(tmp_path):
    stages = """
    - id: s
      name: S
      touchpoints:
        - {id: first, name: First, events: [{event: view, where: [{property: page, equals: /a}]}]}
        - {id: apple, name: Apple, events: [zebra_event]}
        - {id: second, name: Second, events: [{event: view, where: [{property: page, equals: /b}]}]}
        - {id: zebra, name: Zebra, events: [aardvark_event]}
    """
    same = "2026-01-01 10:00:00"
    log = write_log(tmp_path / "log.csv", [
        # the name decides (aardvark < zebra), against the file's order and the map's
        ("u1", same, "zebra_event", ""), ("u1", same, "aardvark_event", ""),
        # the same name at the same time: the touchpoint's place in the map decides
        ("u2", same, "view", "/b"), ("u2", same, "view", "/a"),
    ])
    observed = compute_observed(journey_map(tmp_path, stages), [log], grain="user")
    edges = edge_map(observed)
    assert edges[("zebra", "apple")] == (1, 1)
    assert edges[("first", "second")] == (1, 1)
    assert observed.provenance.order == "ts, event, touchpoint order"


def test_seq_orders_events_with_the_same_time_before_the_event_name(tmp_path):
    analytics = "source: csv\ncolumns: {seq: n}\nmin_users: 1"
    stages = "- id: s\n  name: S\n  touchpoints:\n    - {id: a, name: A, events: [a]}\n    - {id: b, name: B, events: [b]}"
    same = "2026-01-01 10:00:00"
    log = write_log(tmp_path / "log.csv", [("u1", same, "a", "2"), ("u1", same, "b", "1"),
                                           ("u2", same, "a", ""), ("u2", same, "b", ""),
                                           ("u3", same, "a", "1"), ("u3", same, "b", "")],
                    header=["user_id", "timestamp", "event", "n"])
    observed = compute_observed(journey_map(tmp_path, stages, analytics), [log], grain="user")
    edges = edge_map(observed)
    assert edges[("b", "a")] == (2, 2)  # u1: seq 1 before seq 2, although a < b; u3: no seq comes first
    assert edges[("a", "b")] == (1, 1)  # u2: no seq on either, the name decides
    assert observed.provenance.order == "ts, seq, event, touchpoint order"


# --- journeys -------------------------------------------------------------------------------------

def test_sessions_are_cut_after_the_gap_counted_over_every_event(tmp_path):
    log = write_log(tmp_path / "log.csv", [
        ("u1", "2026-01-01 10:00:00", "home_view", "/"),
        ("u1", "2026-01-01 10:25:00", "scroll", "/"),  # unmatched, but it keeps the session going
        ("u1", "2026-01-01 10:50:00", "page_view", "/p/1"),
        ("u1", "2026-01-01 11:20:01", "purchase", "/thanks"),  # 30 min 1 s later: a new session
        ("u1", "2026-01-01 11:50:01", "home_view", "/"),  # exactly 30 min: the same session
    ])
    observed = compute_observed(journey_map(tmp_path, SHOP), [log])
    assert observed.provenance.grain == "session" and observed.provenance.session_gap_minutes == 30
    assert observed.totals.journeys == 2
    assert edge_map(observed) == {(None, "home"): (1, 1), ("home", "product"): (1, 1), ("product", None): (1, 1),
                                  (None, "order"): (1, 1), ("order", "home"): (1, 1), ("home", None): (1, 1)}
    by_user = compute_observed(journey_map(tmp_path, SHOP), [log], grain="user")
    assert by_user.totals.journeys == 1 and by_user.provenance.session_gap_minutes is None
    assert edge_map(by_user)[("product", "order")] == (1, 1)


def test_a_session_column_makes_the_journeys_and_the_gap_is_not_used(tmp_path):
    analytics = "source: csv\ncolumns: {session: sid, properties: [page]}\nmin_users: 1\nsession_gap_minutes: 1"
    log = write_log(tmp_path / "log.csv", [
        ("u1", "s1", "2026-01-01 10:00:00", "home_view", "/"),
        ("u1", "s1", "2026-01-01 12:00:00", "purchase", "/"),  # hours later, same session
        ("u1", "s2", "2026-01-01 12:00:30", "home_view", "/"),
    ], header=["user_id", "sid", "timestamp", "event", "page"])
    observed = compute_observed(journey_map(tmp_path, SHOP, analytics), [log])
    assert observed.totals.journeys == 2 and observed.provenance.session_gap_minutes is None
    assert ("home", "order") in edge_map(observed) and ("order", "home") not in edge_map(observed)


def test_repeats_are_one_step_and_times_run_from_the_last_event_of_a_step(tmp_path):
    rows = []
    for user, (first, second) in {"u1": (10, 20), "u2": (20, 30), "u3": (30, 70), "u4": (40, 61)}.items():
        rows += [(user, "2026-01-01 10:00:00", "home_view", "/"),
                 (user, f"2026-01-01 10:00:{first:02d}", "home_view", "/"),  # the same step
                 (user, f"2026-01-01 10:00:{second:02d}" if second < 60 else f"2026-01-01 10:01:{second - 60:02d}",
                  "page_view", "/p/1")]
    observed = compute_observed(journey_map(tmp_path, SHOP), [write_log(tmp_path / "log.csv", rows)])
    [move] = [e for e in observed.edges if (e.source, e.target) == ("home", "product")]
    # gaps 10, 10, 40, 21 s: median (10 + 21) / 2, mean 81 / 4
    assert (move.count, move.median_us, move.mean_us) == (4, 15_500_000, 20_250_000)
    starts = [e for e in observed.edges if e.source is None or e.target is None]
    assert all(e.median_us is None and e.mean_us is None for e in starts)
    assert observed.touchpoint("home").events == 8 and observed.totals.journeys == 4


def test_half_microsecond_medians_round_up(tmp_path):
    rows = [("u1", "2026-01-01T10:00:00.000000Z", "home_view", "/"), ("u1", "2026-01-01T10:00:00.000001Z", "page_view", "/p/1"),
            ("u2", "2026-01-01T10:00:00.000000Z", "home_view", "/"), ("u2", "2026-01-01T10:00:00.000002Z", "page_view", "/p/1")]
    observed = compute_observed(journey_map(tmp_path, SHOP), [write_log(tmp_path / "log.csv", rows)])
    [move] = [e for e in observed.edges if e.source == "home" and e.target == "product"]
    assert (move.median_us, move.mean_us) == (2, 2)  # 1.5 us both


# --- counts, stages, variants, suppression ----------------------------------------------------------

def _shop_log(tmp_path: Path, name: str = "log.csv") -> str:
    rows = []
    paths = {"u1": ["home_view", "page_view", "add_to_cart", "purchase"], "u2": ["home_view", "page_view", "add_to_cart"],
             "u3": ["home_view", "page_view"], "u4": ["home_view", "scroll"], "u5": ["purchase", "scroll", "scroll"]}
    for user, events in paths.items():
        for second, event in enumerate(events):
            rows.append((user, f"2026-01-0{int(user[1])} 10:00:{second:02d}", event, "/p/1" if event == "page_view" else "/"))
    return write_log(tmp_path / name, rows)


def test_touchpoints_stages_variants_and_unmatched_events(tmp_path):
    observed = compute_observed(journey_map(tmp_path, SHOP), [_shop_log(tmp_path)])
    totals = observed.totals
    assert (totals.events, totals.matched_events, totals.unmatched_events, totals.users, totals.journeys) == (14, 11, 3, 5, 5)
    assert totals.unmatched_share == round(3 / 14, 6)
    assert [(t.id, t.stage, t.events, t.users, t.journeys, t.ends, t.drop_off) for t in observed.touchpoints] == [
        ("home", "browse", 4, 4, 4, 1, 0.25), ("product", "browse", 3, 3, 3, 1, round(1 / 3, 6)),
        ("cart", "buy", 2, 2, 2, 1, 0.5), ("order", "buy", 2, 2, 2, 2, 1.0)]
    assert [(s.id, s.users, s.journeys, s.conversion) for s in observed.stages] == [
        ("browse", 4, 4, None), ("think", None, None, None), ("buy", 3, 3, 0.5)]  # u1, u2 of u1-u4 (u5 skipped browse)
    assert [(v.path, v.journeys, v.share) for v in observed.variants] == [
        (["home"], 1, 0.2), (["home", "product"], 1, 0.2), (["home", "product", "cart"], 1, 0.2),
        (["home", "product", "cart", "order"], 1, 0.2), (["order"], 1, 0.2)]  # ties: path text ascending
    assert [(u.event, u.events, u.users) for u in observed.unmatched] == [("scroll", 3, 2)]
    assert edge_map(observed)[(None, "home")] == (4, 4) and edge_map(observed)[("order", None)] == (2, 2)
    # edges in map order: sources with the start first, targets with the end last
    order = [(e.source, e.target) for e in observed.edges]
    assert order == [(None, "home"), (None, "order"), ("home", "product"), ("home", None), ("product", "cart"),
                     ("product", None), ("cart", "order"), ("cart", None), ("order", None)]
    shares = {(e.source, e.target): e.share for e in observed.edges}
    assert shares[(None, "home")] == 0.8 and shares[("home", "product")] == 0.75


def test_min_users_leaves_out_rare_edges_variants_and_names_but_not_counts(tmp_path):
    analytics = "source: csv\ncolumns: {properties: [page]}\nmin_users: 2"
    observed = compute_observed(journey_map(tmp_path, SHOP, analytics), [_shop_log(tmp_path)])
    assert all(e.users >= 2 for e in observed.edges)
    assert edge_map(observed) == {(None, "home"): (4, 4), ("home", "product"): (3, 3), ("product", "cart"): (2, 2),
                                  ("order", None): (2, 2)}
    # shares were taken before anything was left out
    assert {(e.source, e.target): e.share for e in observed.edges}[("home", "product")] == 0.75
    assert observed.suppressed.edges == 5 and observed.suppressed.variants == 5 and observed.suppressed.unmatched == 0
    assert observed.variants == [] and [u.event for u in observed.unmatched] == ["scroll"]
    assert observed.touchpoint("order").events == 2 and observed.totals.users == 5  # aggregates stay
    assert observed.provenance.min_users == 2


def test_since_and_until_cut_the_log_and_are_recorded(tmp_path):
    map_ = journey_map(tmp_path, SHOP)
    observed = compute_observed(map_, [_shop_log(tmp_path)], since="2026-01-02", until="2026-01-04T00:00:00+00:00")
    assert observed.totals.users == 2 and observed.totals.events == 5  # u2 and u3
    assert (observed.provenance.since, observed.provenance.until) == ("2026-01-02T00:00:00Z", "2026-01-04T00:00:00Z")
    assert (observed.provenance.first_event, observed.provenance.last_event) == ("2026-01-02T10:00:00Z", "2026-01-03T10:00:01Z")
    until_only = compute_observed(map_, [_shop_log(tmp_path)], until="2026-01-02 10:00:01")
    assert until_only.totals.events == 5  # u1's four, and u2's first (the bound is exclusive)
    with pytest.raises(EvidenceError, match="--since must be before --until"):
        compute_observed(map_, [_shop_log(tmp_path)], since="2026-01-03", until="2026-01-02")
    with pytest.raises(EvidenceError, match="not an ISO date"):
        compute_observed(map_, [_shop_log(tmp_path)], since="yesterday")


def test_an_empty_window_gives_an_empty_but_valid_journey(tmp_path):
    observed = compute_observed(journey_map(tmp_path, SHOP), [_shop_log(tmp_path)], since="2030-01-01")
    assert observed.totals.events == 0 and observed.totals.unmatched_share == 0.0
    assert observed.edges == [] and observed.variants == [] and observed.provenance.first_event is None
    assert [s.users for s in observed.stages] == [0, None, 0]
    assert (observed.suppressed.edges, observed.suppressed.variants, observed.suppressed.unmatched) == (0, 0, 0)


def test_unmatched_names_with_as_many_events_come_in_name_order(tmp_path):
    rows = [("u1", "2026-01-01T10:00:00Z", "zeta", ""), ("u1", "2026-01-01T10:01:00Z", "alpha", ""),
            ("u2", "2026-01-01T10:02:00Z", "home_view", ""), ("u2", "2026-01-01T10:03:00Z", "mid", ""),
            ("u2", "2026-01-01T10:04:00Z", "mid", "")]
    observed = compute_observed(journey_map(tmp_path, SHOP), [write_log(tmp_path / "log.csv", rows)])
    assert [(u.event, u.events) for u in observed.unmatched] == [("mid", 2), ("alpha", 1), ("zeta", 1)]


# --- inputs ---------------------------------------------------------------------------------------

def test_csv_gz_parquet_and_globs_give_the_same_journey_and_output_is_deterministic(tmp_path):
    map_ = journey_map(tmp_path, SHOP)
    plain = _shop_log(tmp_path)
    with open(plain, newline="") as handle:
        rows = list(csv.reader(handle))
    gzipped = write_log(tmp_path / "log.csv.gz", [tuple(r) for r in rows[1:]])
    import pyarrow.parquet as pq

    columns = list(zip(*rows[1:]))
    parquet = tmp_path / "log.parquet"
    pq.write_table(pa.table({name: list(values) for name, values in zip(rows[0], columns)}), parquet)
    (tmp_path / "parts").mkdir()
    write_log(tmp_path / "parts" / "a.csv", [tuple(r) for r in rows[1:8]])
    write_log(tmp_path / "parts" / "b.csv", [tuple(r) for r in rows[8:]])

    def body(observed) -> dict:
        document = observed.model_dump(mode="json")
        document["provenance"].pop("inputs")
        return document

    reference = compute_observed(map_, [plain])
    for inputs in ([gzipped], [str(parquet)], [str(tmp_path / "parts" / "*.csv")], [str(tmp_path / "parts")],
                   [str(tmp_path / "**" / "b.csv"), str(tmp_path / "parts" / "a.csv")]):
        assert body(compute_observed(map_, inputs)) == body(reference), inputs
    globbed = compute_observed(map_, [str(tmp_path / "parts" / "*.csv"), str(tmp_path / "parts" / "a.csv")])
    assert [i.path for i in globbed.provenance.inputs] == [str(tmp_path / "parts" / "a.csv"), str(tmp_path / "parts" / "b.csv")]
    assert dump_observed(compute_observed(map_, [plain])) == dump_observed(reference)
    [given] = reference.provenance.inputs
    assert given.bytes == Path(plain).stat().st_size and len(given.sha256) == 64


def test_times_in_iso_with_zones_and_in_epoch_units(tmp_path):
    analytics = "source: csv\ncolumns: {properties: [page]}\nmin_users: 1\nts_unit: ms"
    rows = [("u1", "1767261600000", "home_view", "/"), ("u1", "2026-01-01T11:00:01+01:00", "page_view", "/p/1")]
    observed = compute_observed(journey_map(tmp_path, SHOP, analytics), [write_log(tmp_path / "log.csv", rows)])
    [move] = [e for e in observed.edges if e.source == "home" and e.target == "product"]
    assert move.median_us == 1_000_000
    assert observed.provenance.first_event == "2026-01-01T10:00:00Z"
    assert parse_time("2026-01-01T10:00:00Z", "--since") == 1_767_261_600_000_000


def test_a_missing_column_names_the_file_and_suggests(tmp_path):
    log = write_log(tmp_path / "log.csv", [("u1", "2026-01-01 10:00:00", "home_view", "/")],
                    header=["user_id", "timestamp", "event", "pages"])
    with pytest.raises(SourceError) as raised:
        compute_observed(journey_map(tmp_path, SHOP), [log])
    message = str(raised.value)
    assert message.startswith(f"{log}: no column 'page'") and "did you mean 'pages'?" in message
    assert "the file has: user_id, timestamp, event, pages" in message


def test_unreadable_times_missing_files_and_unknown_kinds_are_errors(tmp_path):
    map_ = journey_map(tmp_path, SHOP)
    log = write_log(tmp_path / "log.csv", [("u1", "2026-01-01 10:00:00", "home_view", "/"), ("u1", "last tuesday", "purchase", "/")])
    with pytest.raises(SourceError, match=r"1 event\(s\) have a time in 'timestamp' that cannot be read, e.g. 'last tuesday'"):
        compute_observed(map_, [log])
    with pytest.raises(SourceError, match="no such file"):
        compute_observed(map_, [str(tmp_path / "absent.csv")])
    with pytest.raises(SourceError, match="no files match"):
        compute_observed(map_, [str(tmp_path / "*.parquet")])
    (tmp_path / "nothing").mkdir()
    with pytest.raises(SourceError, match="a folder without .csv, .csv.gz or .parquet files"):
        compute_observed(map_, [str(tmp_path / "nothing")])
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(SourceError, match="empty.csv: the file is empty"):
        compute_observed(map_, [str(tmp_path / "empty.csv")])
    (tmp_path / "semicolons.csv").write_text("user_id;timestamp;event;page\nu1;2026-01-01;home_view;/\n")
    with pytest.raises(SourceError, match="the columns of a CSV log are separated by commas"):
        compute_observed(map_, [str(tmp_path / "semicolons.csv")])
    (tmp_path / "log.json").write_text("{}")
    with pytest.raises(SourceError, match=r"not an event log this reads \(.csv, .csv.gz, .parquet\)"):
        compute_observed(map_, [str(tmp_path / "log.json")])


def test_a_map_without_analytics_or_without_rules_cannot_give_evidence(tmp_path):
    text = "cjm: 1\nid: bare\ntitle: Bare\nstages:\n  - {id: s, name: S, touchpoints: [{id: t, name: T, events: [x]}]}\n"
    bare = validate_bytes(text.encode(), tmp_path / "bare.cjm.yaml", "bare.cjm.yaml").journey
    with pytest.raises(EvidenceError, match="no `analytics` block"):
        compute_observed(bare, [_shop_log(tmp_path)])
    no_rules = journey_map(tmp_path, "- id: s\n  name: S\n  touchpoints: [{id: t, name: T}]")
    with pytest.raises(EvidenceError, match="no touchpoint with `events` rules"):
        compute_observed(no_rules, [_shop_log(tmp_path)])


# --- against a reference ----------------------------------------------------------------------------

RANDOM_MAP = """
- id: s
  name: S
  touchpoints:
    - {id: ta, name: A, events: [c, {event: b, where: [{property: page, equals: x}]}]}
    - {id: tb, name: B, events: [b]}
    - {id: tc, name: C, events: [a]}
"""
RULE_ORDER = ["ta", "tb", "tc"]


def _touchpoint(event: str, page: str) -> str | None:
    if event == "c" or (event == "b" and page == "x"):
        return "ta"
    return {"b": "tb", "a": "tc"}.get(event)


def reference_edges(rows: list[tuple], grain: str, gap_s: int) -> dict[tuple, tuple[int, int]]:
    """Directly-follows edges with start (None ->) and end (-> None), in a few lines of plain Python."""
    by_actor = defaultdict(list)
    for user, second, event, page in rows:
        tp = _touchpoint(event, page)
        by_actor[user].append((second, event, RULE_ORDER.index(tp) if tp else len(RULE_ORDER), tp))
    counts, users = defaultdict(int), defaultdict(set)
    for user, events in by_actor.items():
        events.sort()
        journeys, last_time = [], None
        for second, _, _, tp in events:
            if grain == "user" and not journeys or grain == "session" and (last_time is None or second - last_time > gap_s):
                journeys.append([])
            last_time = second
            if tp and (not journeys[-1] or journeys[-1][-1] != tp):
                journeys[-1].append(tp)
        for steps in filter(None, journeys):
            for pair in zip([None, *steps], [*steps, None]):
                counts[pair] += 1
                users[pair].add(user)
    return {pair: (counts[pair], len(users[pair])) for pair in counts}


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("grain", ["user", "session"])
def test_edges_equal_a_plain_python_reference_on_random_logs(tmp_path, seed, grain):
    generator = random.Random(seed)
    rows = []
    for _ in range(600):
        user = f"u{generator.randrange(25)}"
        second = generator.randrange(0, 6 * 3600, 7)  # coarse times: many ties
        rows.append((user, second, generator.choice("aabbccx"), generator.choice(["x", "y"])))
    log = write_log(tmp_path / "log.csv", [(u, f"{1767261600 + s}", e, p) for u, s, e, p in rows])
    analytics = "source: csv\ncolumns: {properties: [page]}\nmin_users: 1\nsession_gap_minutes: 20\nts_unit: s"
    observed = compute_observed(journey_map(tmp_path, RANDOM_MAP, analytics), [log], grain=grain)
    assert edge_map(observed) == reference_edges(rows, grain, 20 * 60)
    assert observed.totals.journeys == sum(count for (source, _), (count, _) in edge_map(observed).items() if source is None)


@pytest.mark.parametrize("segments", [None, ["page"]])
def test_medians_by_ranking_equal_the_median_aggregate(tmp_path, monkeypatch, segments):
    """`cjm evidence sql` computes medians by ranking (for warehouses without a median aggregate):
    on the same log they are DuckDB's medians, edge by edge and segment by segment (odd and even
    numbers of times, ties, edges with a single time)."""
    from dataclasses import replace

    from cjm.evidence import compute

    generator = random.Random(5)
    rows = [(f"u{generator.randrange(12)}", f"{1767261600 + generator.randrange(0, 4 * 3600, 13)}",
             generator.choice("aabbccx"), generator.choice(["x", "y"])) for _ in range(300)]
    log = write_log(tmp_path / "log.csv", rows)
    journey = journey_map(tmp_path, RANDOM_MAP, "source: csv\ncolumns: {properties: [page]}\nmin_users: 1\nts_unit: s")

    def medians(observed):
        views = [observed] + [view for segment in observed.segments for view in segment.values]
        return [[(e.source, e.target, e.count, e.median_us) for e in view.edges] for view in views]

    exact = medians(compute_observed(journey, [log], segments=segments))
    plan_for = compute.plan_for
    monkeypatch.setattr(compute, "plan_for", lambda *args: replace(plan_for(*args), median_by_rank=True))
    assert medians(compute_observed(journey, [log], segments=segments)) == exact
    timed = [edge for view in exact for edge in view if edge[3] is not None]
    assert {count % 2 for *_, count, _ in timed} == {0, 1} and len(exact) == (1 if segments is None else 3)


# --- everything against a reference -----------------------------------------------------------------
# Four touchpoints in three stages (the middle one without rules), a rule that two touchpoints share
# (b on page x), journeys longer than the flow's six step columns, and min_users at 1 and 12: every
# part of the observed journey (totals, touchpoints, overlaps, stages, edges, variants, both flows,
# suppression and the segments) equals what a plain-Python reading of the same log gives.

RICH_MAP = """
- id: s1
  name: S1
  touchpoints:
    - {id: ta, name: A, events: [c, {event: b, where: [{property: page, equals: x}]}]}
    - {id: tb, name: B, events: [b]}
- id: s2
  name: S2
  touchpoints:
    - {id: tn, name: No rules}
- id: s3
  name: S3
  touchpoints:
    - {id: tc, name: C, events: [a]}
    - {id: td, name: D, events: [d]}
"""
RICH_ORDER = ["ta", "tb", "tc", "td"]
RICH_STAGE = {"ta": 0, "tb": 0, "tc": 2, "td": 2}
STEP_COLUMNS = 6
TOP = 20


def _rich_touchpoint(event: str, page: str) -> str | None:
    if event == "c" or (event == "b" and page == "x"):
        return "ta"
    return {"b": "tb", "a": "tc", "d": "td"}.get(event)


def reference_journeys(rows: list[tuple], grain: str, gap_s: int) -> list[tuple[str, list[str], str]]:
    """(user, steps, the page of the journey's first matched event) of every journey."""
    by_actor = defaultdict(list)
    for user, second, event, page in rows:
        tp = _rich_touchpoint(event, page)
        by_actor[user].append((second, event, RICH_ORDER.index(tp) if tp else len(RICH_ORDER), tp, page))
    found = []
    for user, events in sorted(by_actor.items()):
        events.sort(key=lambda e: e[:3])
        journeys, last_time = [], None
        for second, _, _, tp, page in events:
            if grain == "user" and not journeys or grain == "session" and (last_time is None or second - last_time > gap_s):
                journeys.append(([], None))
            last_time = second
            steps, first_page = journeys[-1]
            if tp and first_page is None:
                journeys[-1] = (steps, page)
            if tp and (not steps or steps[-1] != tp):
                steps.append(tp)
        found += [(user, steps, page) for steps, page in journeys if steps]
    return found


def _kept(counts: dict, users: dict, min_users: int) -> tuple[dict, int]:
    kept = {key: (counts[key], len(users[key])) for key in counts if len(users[key]) >= min_users}
    return kept, len(counts) - len(kept)


def reference_view(journeys: list[tuple[str, list[str], str]], min_users: int) -> dict:
    """The parts of the observed journey that depend on the journeys alone."""
    edge_count, edge_users, edge_journeys = defaultdict(int), defaultdict(set), defaultdict(set)
    variant_count, variant_users = defaultdict(int), defaultdict(set)
    reach, reach_users, ends = defaultdict(int), defaultdict(set), defaultdict(int)
    stage_users, stage_journeys = defaultdict(set), defaultdict(int)
    flows = {"step": (defaultdict(lambda: [0, 0, 0]), defaultdict(int), defaultdict(set)),
             "stage": (defaultdict(lambda: [0, 0, 0]), defaultdict(int), defaultdict(set))}
    for number, (user, steps, _) in enumerate(journeys):
        for pair in zip([None, *steps], [*steps, None]):
            edge_count[pair] += 1
            edge_users[pair].add(user)
            edge_journeys[pair].add(number)
        variant_count[tuple(steps)] += 1
        variant_users[tuple(steps)].add(user)
        for tp in set(steps):
            reach[tp] += 1
            reach_users[tp].add(user)
        ends[steps[-1]] += 1
        for stage in {RICH_STAGE[tp] for tp in steps}:
            stage_users[stage].add(user)
            stage_journeys[stage] += 1
        entries = sorted({RICH_STAGE[tp]: tp for tp in reversed(steps)}.items())  # each stage at its first step
        sequences = {"step": list(enumerate(steps[:STEP_COLUMNS], 1)), "stage": entries}
        for kind, sequence in sequences.items():
            nodes, links, link_users = flows[kind]
            for i, (column, tp) in enumerate(sequence):
                node = nodes[column, tp]
                node[0] += 1
                node[1] += i == 0
                if kind == "step" and i == len(sequence) - 1 and len(steps) > STEP_COLUMNS:
                    continue  # goes on past the last column
                if i == len(sequence) - 1:
                    node[2] += 1
                elif kind == "stage" or column < STEP_COLUMNS:
                    links[column, tp, sequence[i + 1][1]] += 1
                    link_users[column, tp, sequence[i + 1][1]].add(user)
    leaving = defaultdict(int)
    for (source, _), count in edge_count.items():
        leaving[source] += count
    edges, dropped_edges = _kept(edge_count, edge_users, min_users)
    variants, dropped_variants = _kept(variant_count, variant_users, min_users)
    top = sorted(variants.items(), key=lambda item: (-item[1][0], " > ".join(item[0])))[:TOP]
    place = {tp: n for n, tp in enumerate(RICH_ORDER)}
    flow_parts = {}
    for kind, (nodes, links, link_users) in flows.items():
        kept_links, dropped_links = _kept(links, link_users, min_users)
        flow_parts[kind] = (
            sorted((column, tp, *counts) for (column, tp), counts in nodes.items()),
            sorted(((column, s, t, *counts) for (column, s, t), counts in kept_links.items()),
                   key=lambda link: (link[0], place[link[1]], place[link[2]])),
            dropped_links)
    before = len(stage_users[0])
    return {
        "journeys": len(journeys), "users": len({user for user, _, _ in journeys}),
        "touchpoints": [(tp, len(reach_users[tp]), reach[tp], ends[tp],
                         round(ends[tp] / reach[tp], 6) if reach[tp] else None) for tp in RICH_ORDER],
        "stages": [("s1", len(stage_users[0]), stage_journeys[0], None), ("s2", None, None, None),
                   ("s3", len(stage_users[2]), stage_journeys[2],
                    round(len(stage_users[0] & stage_users[2]) / before, 6) if before else None)],
        "edges": {pair: (*counts, len(edge_journeys[pair]), round(counts[0] / leaving[pair[0]], 6))
                  for pair, counts in edges.items()},
        "variants": [(list(path), *counts, round(counts[0] / len(journeys), 6)) for path, counts in top],
        "flows": flow_parts,
        "suppressed": (dropped_edges, dropped_variants),
    }


def observed_view(view) -> dict:
    flows = {}
    for flow in view.flows:
        flows[flow.by] = (sorted((n.column, n.touchpoint, n.journeys, n.starts, n.ends) for n in flow.nodes),
                          [(k.column, k.source, k.target, k.journeys, k.users) for k in flow.links], flow.suppressed)
        assert flow.columns == (STEP_COLUMNS if flow.by == "step" else 3)
        assert [(n.column, n.touchpoint) for n in flow.nodes] == sorted(
            ((n.column, n.touchpoint) for n in flow.nodes), key=lambda node: (node[0], RICH_ORDER.index(node[1])))
    return {
        "journeys": view.totals.journeys, "users": view.totals.users,
        "touchpoints": [(t.id, t.users, t.journeys, t.ends, t.drop_off) for t in view.touchpoints],
        "stages": [(s.id, s.users, s.journeys, s.conversion) for s in view.stages],
        "edges": {(e.source, e.target): (e.count, e.users, e.journeys, e.share) for e in view.edges},
        "variants": [(v.path, v.journeys, v.users, v.share) for v in view.variants],
        "flows": flows,
        "suppressed": (view.suppressed.edges, view.suppressed.variants),
    }


@pytest.mark.parametrize("min_users", [1, 12])
@pytest.mark.parametrize("grain", ["session", "user"])
def test_every_part_equals_a_plain_python_reference(tmp_path, grain, min_users):
    generator = random.Random(11)
    rows = []
    for _ in range(500):
        user = f"u{generator.randrange(30)}"
        second = generator.randrange(0, 5 * 3600, 11)  # coarse times: many ties
        rows.append((user, second, generator.choice("aabbccddxy"), generator.choice(["x", "y", "z", ""])))
    log = write_log(tmp_path / "log.csv", [(u, f"{1767261600 + s}", e, p) for u, s, e, p in rows])
    analytics = f"source: csv\ncolumns: {{properties: [page]}}\nmin_users: {min_users}\nsession_gap_minutes: 25\nts_unit: s"
    observed = compute_observed(journey_map(tmp_path, RICH_MAP, analytics), [log], grain=grain, segments=["page"])
    journeys = reference_journeys(rows, grain, 25 * 60)
    expected = reference_view(journeys, min_users)
    expected["users"] = len({u for u, _, _, _ in rows})  # the whole log's users count every actor, matched or not
    assert observed_view(observed) == expected
    # the log reaches what is checked: journeys past the last step column, more paths than the top
    # keeps, and with min_users 12 edges and paths left out and others kept
    assert max(len(steps) for _, steps, _ in journeys) > STEP_COLUMNS and len({tuple(s) for _, s, _ in journeys}) > TOP
    assert min_users == 1 or min(expected["suppressed"]) > 0 and expected["edges"]
    matched = [(u, _rich_touchpoint(e, p)) for u, _, e, p in rows]
    assert (observed.totals.events, observed.totals.matched_events) == (len(rows), sum(1 for _, tp in matched if tp))
    assert [(t.id, t.events) for t in observed.touchpoints] == [
        (tp, sum(1 for _, found_tp in matched if found_tp == tp)) for tp in RICH_ORDER]
    assert [(o.touchpoint, o.also, o.events) for o in observed.overlaps] == [
        ("ta", "tb", sum(1 for _, _, e, p in rows if e == "b" and p == "x"))]
    unmatched_users = len({u for u, _, e, _ in rows if e in "xy"})
    assert [(u.event, u.events) for u in observed.unmatched] == (
        sorted(((e, sum(1 for r in rows if r[2] == e)) for e in "xy"), key=lambda item: (-item[1], item[0]))
        if unmatched_users >= min_users else [])
    # the segments: one view per page a journey starts on, largest first, each equal to the reference of its journeys
    [segment] = observed.segments
    pages = sorted({page for _, _, page in journeys}, key=lambda page: (-sum(1 for *_, p in journeys if p == page), page))
    kept = [page for page in pages if len({u for u, _, p in journeys if p == page}) >= min_users]
    assert [view.value for view in segment.values] == [page or None for page in kept]  # "": the first event has none
    assert "" in pages  # some journeys start on an event without a page
    for view in segment.values:
        mine = [journey for journey in journeys if journey[2] == (view.value or "")]
        assert observed_view(view) == reference_view(mine, min_users), view.value


def test_paths_and_flows_keep_touchpoint_codes_past_twenty_and_a_stage_of_one(tmp_path):
    """A path is built from numbers ``position * scale + code``: with 21 touchpoints the codes run to
    20 and the scale must pass them (100, not 20). The last stage has one touchpoint with rules."""
    first = "\n".join(f"    - {{id: t{n}, name: T{n}, events: [e{n}]}}" for n in range(20))
    stages = f"- id: many\n  name: Many\n  touchpoints:\n{first}\n- id: one\n  name: One\n  touchpoints:\n" \
             "    - {id: t20, name: T20, events: [e20]}\n"
    rows = [("u1", "2026-01-01T10:00:00Z", "e19", ""), ("u1", "2026-01-01T10:01:00Z", "e20", ""),
            ("u1", "2026-01-01T10:02:00Z", "e0", ""), ("u1", "2026-01-01T10:03:00Z", "e11", ""),
            ("u2", "2026-01-01T11:00:00Z", "e20", "")]
    observed = compute_observed(journey_map(tmp_path, stages), [write_log(tmp_path / "log.csv", rows)])
    assert [(v.path, v.journeys) for v in observed.variants] == [(["t19", "t20", "t0", "t11"], 1), (["t20"], 1)]
    [by_step, by_stage] = observed.flows
    assert [(k.column, k.source, k.target) for k in by_step.links] == [(1, "t19", "t20"), (2, "t20", "t0"), (3, "t0", "t11")]
    assert [(n.column, n.touchpoint, n.journeys) for n in by_stage.nodes] == [(0, "t19", 1), (1, "t20", 2)]
    assert [(s.id, s.users, s.journeys, s.conversion) for s in observed.stages] == [("many", 1, 1, None), ("one", 2, 2, 1.0)]
