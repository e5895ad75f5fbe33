"""``compute_observed`` on a real public log that nobody in this project wrote: retentioneering
5.2.4's ``ecom.csv.gz`` (tests/evidence_data.py), with the example map ``examples/ecom-shop``.

Every count is checked against a reference written here in plain Python (csv + gzip): it shares
no code with the computation, only the documented rules (first matching touchpoint, repeats are
one step, ties in time ordered by event name, then touchpoint map order). The log has 162 tied
(session, time) pairs, so the tie rule is exercised: the reference with the opposite tie order
gives other counts. The committed ``examples/ecom-shop.observed.json`` must equal a fresh
compute (what ``make demo`` writes).
"""

from __future__ import annotations

import csv
import gzip
import shutil
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pytest

pytest.importorskip("duckdb", reason="the evidence computation needs duckdb (pip install 'cjm[evidence]')")
pytest.importorskip("ibis", reason="the evidence computation needs ibis (pip install 'cjm[evidence]')")

import evidence_data  # noqa: E402
from cjm.evidence.compute import compute_observed  # noqa: E402
from cjm.evidence.observed import dump_observed, read_observed  # noqa: E402
from cjm.format.validate import read_map  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
MAP = REPO / "examples" / "ecom-shop.cjm.yaml"
OBSERVED = REPO / "examples" / "ecom-shop.observed.json"
DEMO_INPUT = "build/data/ecom.csv.gz"  # where `make demo` puts the log, relative to the repository
MIN_USERS = 5

# The map's rules, written out by hand: event name -> touchpoint; shipping details split by platform.
TOUCHPOINT_OF = {
    "home": "home", "promo_page": "promo", "search": "site-search", "catalog": "catalog",
    "filter_results": "filters", "product_view": "product-page", "review_page": "reviews", "compare": "compare",
    "wishlist_add": "wishlist", "add_to_cart": "add-to-cart", "cart": "cart-page", "checkout_bug": "checkout-bug",
    "payment_details": "payment", "payment_error": "payment-error", "purchase": "order",
    "support_chat": "support-chat", "error_page": "error-page", "account_page": "account",
}
STAGE_OF = {
    "home": "arrive", "promo": "arrive",
    "site-search": "browse", "catalog": "browse", "filters": "browse", "product-page": "browse",
    "reviews": "browse", "compare": "browse", "wishlist": "browse",
    "add-to-cart": "cart", "cart-page": "cart",
    "shipping-mobile": "checkout", "shipping": "checkout", "checkout-bug": "checkout", "payment": "checkout",
    "payment-error": "checkout", "order": "checkout",
    "support-chat": "help", "error-page": "help", "account": "help",
}
MAP_ORDER = list(STAGE_OF)  # touchpoints in map order (shipping-mobile comes before shipping)
STAGES = ["arrive", "browse", "cart", "checkout", "help"]


def touchpoint_of(row: dict[str, str]) -> str:
    if row["event"] == "shipping_details":
        return "shipping-mobile" if row["platform"] == "mobile" else "shipping"
    return TOUCHPOINT_OF[row["event"]]


@dataclass
class Reference:
    events: int = 0
    users: set = field(default_factory=set)
    journeys: int = 0
    edges: dict = field(default_factory=lambda: defaultdict(lambda: {"count": 0, "users": set(), "gaps": []}))
    touchpoints: dict = field(default_factory=lambda: defaultdict(lambda: {"events": 0, "users": set(), "journeys": 0, "ends": 0}))
    variants: dict = field(default_factory=lambda: defaultdict(lambda: {"journeys": 0, "users": set()}))
    stage_users: dict = field(default_factory=lambda: defaultdict(set))
    stage_journeys: Counter = field(default_factory=Counter)


def micros(text: str) -> int:
    moment = datetime.fromisoformat(text)
    return ((moment.toordinal() * 86_400 + moment.hour * 3600 + moment.minute * 60 + moment.second) * 1_000_000
            + moment.microsecond)


def reference(path: Path, grain: str = "session", ties: str = "event name", since: str = "", until: str = "",
              platform: str | None = None) -> Reference:
    """The observed journey by the documented rules, in plain Python; with ``platform``, of that
    platform's rows only (each session has one platform: its journeys, whole)."""
    ref = Reference()
    journeys: dict[str, list] = defaultdict(list)
    with gzip.open(path, "rt", newline="") as handle:
        for row in csv.DictReader(handle):
            if (since and row["timestamp"] < since) or (until and row["timestamp"] >= until):
                continue
            if platform is not None and row["platform"] != platform:
                continue
            tp = touchpoint_of(row)
            ref.events += 1
            ref.users.add(row["user_id"])
            ref.touchpoints[tp]["events"] += 1
            ref.touchpoints[tp]["users"].add(row["user_id"])
            ref.stage_users[STAGE_OF[tp]].add(row["user_id"])
            key = row["session_id"] if grain == "session" else row["user_id"]
            journeys[key].append((micros(row["timestamp"]), row["event"], MAP_ORDER.index(tp), tp, row["user_id"]))
    for events in journeys.values():
        if ties == "reversed":  # the wrong rule, to show that ties change the counts
            events.sort(key=lambda e: (e[0], [-ord(c) for c in e[1]]))
        else:  # time, event name, touchpoint map order
            events.sort()
        user = events[0][4]
        steps: list[list] = []  # touchpoint, first time, last time
        for ts, _, _, tp, _ in events:
            if steps and steps[-1][0] == tp:
                steps[-1][2] = ts
            else:
                steps.append([tp, ts, ts])
        path = [s[0] for s in steps]
        ref.journeys += 1
        ref.variants[tuple(path)]["journeys"] += 1
        ref.variants[tuple(path)]["users"].add(user)
        for tp in set(path):
            ref.touchpoints[tp]["journeys"] += 1
        for stage in {STAGE_OF[tp] for tp in path}:
            ref.stage_journeys[stage] += 1
        ref.touchpoints[path[-1]]["ends"] += 1
        for source, target in [(None, path[0]), *zip(path, path[1:]), (path[-1], None)]:
            ref.edges[source, target]["count"] += 1
            ref.edges[source, target]["users"].add(user)
        for before, after in zip(steps, steps[1:]):
            ref.edges[before[0], after[0]]["gaps"].append(after[1] - before[2])
    return ref


def edge_table(ref: Reference) -> dict[tuple, tuple]:
    """(source, target) -> (count, users, share, median, mean) of the edges seen by MIN_USERS users or more."""
    leaving = Counter()
    for (source, _), edge in ref.edges.items():
        leaving[source] += edge["count"]
    table = {}
    for key, edge in ref.edges.items():
        if len(edge["users"]) < MIN_USERS:
            continue
        gaps = edge["gaps"]
        median = int(statistics.median(gaps) + 0.5) if gaps else None
        mean = (2 * sum(gaps) + len(gaps)) // (2 * len(gaps)) if gaps else None
        table[key] = (edge["count"], len(edge["users"]), round(edge["count"] / leaving[key[0]], 6), median, mean)
    return table


def observed_edges(observed) -> dict[tuple, tuple]:
    return {(e.source, e.target): (e.count, e.users, e.share, e.median_us, e.mean_us) for e in observed.edges}


@pytest.fixture(scope="module")
def log() -> Path:
    return evidence_data.ecom_log()


@pytest.fixture(scope="module")
def journey_map():
    loaded = read_map(MAP)
    assert loaded.valid, loaded.diagnostics
    return loaded.journey


@pytest.fixture(scope="module")
def ref(log) -> Reference:
    return reference(log)


@pytest.fixture(scope="module")
def observed(journey_map, log):
    return compute_observed(journey_map, [str(log)])


def test_the_log_is_the_published_one(log, ref):
    assert ref.events == evidence_data.EVENTS and len(ref.users) == evidence_data.USERS
    assert ref.journeys == evidence_data.SESSIONS
    with gzip.open(log, "rt", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len({r["event"] for r in rows}) == evidence_data.EVENT_NAMES
    tied = Counter((r["session_id"], r["timestamp"]) for r in rows)
    assert sum(1 for n in tied.values() if n > 1) == evidence_data.TIED_SESSION_TIMESTAMPS


def test_every_event_name_has_a_rule_in_the_map(log, journey_map):
    with gzip.open(log, "rt", newline="") as handle:
        names = {row["event"] for row in csv.DictReader(handle)}
    named = {m.event for stage in journey_map.stages for tp in stage.touchpoints for m in tp.events}
    assert names == named == set(TOUCHPOINT_OF) | {"shipping_details"}


def test_totals(observed, ref):
    totals = observed.totals
    assert (totals.events, totals.matched_events, totals.unmatched_events) == (ref.events, ref.events, 0)
    assert (totals.users, totals.journeys) == (len(ref.users), ref.journeys)
    assert observed.unmatched == [] and observed.overlaps == []
    assert observed.provenance.first_event == "2024-01-04T11:45:38Z"
    assert observed.provenance.last_event == "2024-06-29T22:02:40Z"
    assert observed.provenance.order == "ts, event, touchpoint order"


def test_edges_equal_the_reference(observed, ref):
    expected = edge_table(ref)
    assert observed_edges(observed) == expected
    assert observed.suppressed.edges == len(ref.edges) - len(expected) > 0
    assert [(e.source, e.target) for e in observed.edges] == sorted(
        expected, key=lambda k: (-1 if k[0] is None else MAP_ORDER.index(k[0]),
                                 len(MAP_ORDER) if k[1] is None else MAP_ORDER.index(k[1])))


def test_the_tie_rule_changes_counts_on_this_log(log, ref):
    """So the edge check above would catch a computation that ordered ties otherwise."""
    other = reference(log, ties="reversed")
    assert edge_table(other) != edge_table(ref)


def test_touchpoints_equal_the_reference(observed, ref):
    assert [t.id for t in observed.touchpoints] == MAP_ORDER
    for counts in observed.touchpoints:
        want = ref.touchpoints[counts.id]
        assert (counts.stage, counts.events, counts.users, counts.journeys, counts.ends) == (
            STAGE_OF[counts.id], want["events"], len(want["users"]), want["journeys"], want["ends"]), counts.id
        assert counts.drop_off == round(want["ends"] / want["journeys"], 6)


def test_stages_equal_the_reference(observed, ref):
    assert [s.id for s in observed.stages] == STAGES
    previous = None
    for stage in observed.stages:
        users = ref.stage_users[stage.id]
        assert (stage.users, stage.journeys) == (len(users), ref.stage_journeys[stage.id])
        if previous is None:
            assert stage.conversion is None
        else:
            assert stage.conversion == round(len(users & ref.stage_users[previous]) / len(ref.stage_users[previous]), 6)
        previous = stage.id


def test_variants_equal_the_reference(observed, ref):
    kept = [(list(path), v["journeys"], len(v["users"])) for path, v in ref.variants.items() if len(v["users"]) >= MIN_USERS]
    kept.sort(key=lambda v: (-v[1], " > ".join(v[0])))
    assert [(v.path, v.journeys, v.users) for v in observed.variants] == kept[:20]
    assert all(v.share == round(v.journeys / ref.journeys, 6) for v in observed.variants)


def test_user_grain_and_a_time_window(journey_map, log):
    since, until = "2024-03-01", "2024-05-01"
    observed = compute_observed(journey_map, [str(log)], grain="user", since=since, until=until)
    ref = reference(log, grain="user", since=since, until=until)
    assert observed.totals.events == ref.events
    assert observed.totals.journeys == ref.journeys == len(ref.users)
    assert observed_edges(observed) == edge_table(ref)
    assert observed.provenance.grain == "user"
    assert (observed.provenance.since, observed.provenance.until) == ("2024-03-01T00:00:00Z", "2024-05-01T00:00:00Z")


def test_the_committed_observed_file_equals_a_fresh_compute(journey_map, log, tmp_path, monkeypatch):
    """What `make demo` writes: the log copied to build/data/, computed from the repository root."""
    committed = read_observed(OBSERVED)
    assert committed.ok, committed.diagnostics
    (tmp_path / DEMO_INPUT).parent.mkdir(parents=True)
    shutil.copyfile(log, tmp_path / DEMO_INPUT)
    monkeypatch.chdir(tmp_path)
    fresh = compute_observed(journey_map, [DEMO_INPUT], segments=["platform"])  # as make demo computes it
    machine = {"cjm", "engine_version"}  # what another machine may differ in
    assert committed.observed.provenance.model_dump(exclude=machine) == fresh.provenance.model_dump(exclude=machine)
    assert committed.observed.model_dump(exclude={"provenance"}) == fresh.model_dump(exclude={"provenance"})
    if committed.observed.provenance.engine_version == fresh.provenance.engine_version:
        assert OBSERVED.read_text(encoding="utf-8") == dump_observed(fresh.model_copy(
            update={"provenance": fresh.provenance.model_copy(update={"cjm": committed.observed.provenance.cjm})}))


def test_a_log_that_cannot_be_fetched_skips_with_the_reason(tmp_path, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path))
    with pytest.raises(pytest.skip.Exception, match="the real event log is not available: pip download retentioneering==5.2.4 failed"):
        evidence_data.ecom_log(tmp_path / "cache")


@pytest.mark.parametrize("ci", ["true", "1"])
def test_in_ci_a_log_that_cannot_be_fetched_fails_with_the_reason(tmp_path, monkeypatch, ci):
    monkeypatch.setenv("CI", ci)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path))
    with pytest.raises(pytest.fail.Exception, match="the real event log is not available: pip download retentioneering==5.2.4 failed"):
        evidence_data.ecom_log(tmp_path / "cache")


def platforms_of_sessions(log: Path) -> dict[str, set[str]]:
    with gzip.open(log, "rt", newline="") as handle:
        found: dict[str, set[str]] = defaultdict(set)
        for row in csv.DictReader(handle):
            found[row["session_id"]].add(row["platform"])
    return found


def assert_segments_match_reference(observed, log: Path) -> None:
    """Each platform's view equals the plain-Python reference of that platform's rows alone."""
    sessions = platforms_of_sessions(log)
    assert all(len(platforms) == 1 for platforms in sessions.values())  # so a split by rows is a split by journeys
    per_platform = Counter(next(iter(platforms)) for platforms in sessions.values())
    [segment] = observed.segments
    assert segment.column == "platform"
    assert [view.value for view in segment.values] == [p for p, _ in sorted(per_platform.items(), key=lambda i: (-i[1], i[0]))]
    assert (segment.under_min_users.values, segment.beyond_most.values) == (0, 0)
    for view in segment.values:
        ref = reference(log, platform=view.value)
        assert (view.totals.journeys, view.totals.users) == (ref.journeys, len(ref.users)) == (per_platform[view.value], len(ref.users))
        assert {t.id: (t.users, t.journeys, t.ends) for t in view.touchpoints if t.journeys} == {
            tp: (len(c["users"]), c["journeys"], c["ends"]) for tp, c in ref.touchpoints.items()}, view.value
        assert observed_edges(view) == edge_table(ref), view.value
        assert {s.id: (s.users, s.journeys) for s in view.stages} == {
            stage: (len(ref.stage_users[stage]), ref.stage_journeys[stage]) for stage in STAGES}, view.value
        kept = sorted(((-v["journeys"], " > ".join(path), v["journeys"]) for path, v in ref.variants.items()
                       if len(v["users"]) >= MIN_USERS))[:20]
        assert [(" > ".join(v.path), v.journeys) for v in view.variants] == [(path, n) for _, path, n in kept], view.value


def test_segments_by_platform_equal_the_log_split_by_platform(journey_map, log):
    observed = compute_observed(journey_map, [str(log)], segments=["platform"])
    assert_segments_match_reference(observed, log)
