"""The generated event logs (benchmarks/generate_events.py): exact size, repeatable, ties that only
``seq`` orders, and true journeys that follow the chain they were drawn from."""

from __future__ import annotations

import gzip
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

pa = pytest.importorskip("pyarrow", reason="the generator needs pyarrow (pip install 'cjm[evidence]')")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import generate_events as gen  # noqa: E402


@pytest.fixture(scope="module")
def log() -> gen.Log:
    return gen.generate(30_000, seed=11)


def test_exactly_the_events_asked_for_and_the_same_rows_for_the_same_seed(log):
    assert log.events.num_rows == 30_000 == len(log.touchpoint)
    assert gen.generate(30_000, seed=11).events.equals(log.events)
    assert not gen.generate(30_000, seed=12).events.equals(log.events)
    assert gen.generate(1).events.num_rows == 1
    assert log.events.column_names == ["user_id", "session_id", "timestamp", "seq", "event", "page_path", "step", "platform"]


def test_ties_are_written_against_seq_order_so_only_seq_tells_the_order(log):
    rows = log.events.select(["session_id", "timestamp", "seq"]).to_pylist()
    times = [r["timestamp"] for r in rows]
    assert times == sorted(times)
    by_time: dict[tuple, list[int]] = defaultdict(list)
    for row in rows:
        by_time[row["session_id"], row["timestamp"]].append(row["seq"])
    tied = [seqs for seqs in by_time.values() if len(seqs) > 1]
    assert len(tied) > 300  # about 4% of the events
    assert all(seqs == sorted(seqs, reverse=True) for seqs in tied)


def test_noise_users_and_sessions(log):
    noise = len(gen.TOUCHPOINT_IDS)
    labels = log.touchpoint.to_pylist()
    assert 0.04 < labels.count(noise) / len(labels) < 0.08
    noise_events = {e for e, label in zip(log.events["event"].to_pylist(), labels) if label == noise}
    assert noise_events == {"heartbeat", "scroll", "page_view", "checkout_step"}
    truth = gen.truth(log)
    assert 2_000 < truth.users <= 3_000 and 4_000 < truth.journeys < 7_000  # users drawn from 3,000 ids
    assert truth.matched_events == len(labels) - labels.count(noise)


def test_truth_is_consistent_with_itself(log):
    truth = gen.truth(log)
    starts = sum(e.count for (source, _), e in truth.edges.items() if source is None)
    ends = sum(e.count for (_, target), e in truth.edges.items() if target is None)
    assert starts == ends == truth.journeys == sum(truth.variants.values())
    assert sum(t.events for t in truth.touchpoints.values()) == truth.matched_events
    assert sum(t.ends for t in truth.touchpoints.values()) == truth.journeys
    for (source, target), edge in truth.edges.items():
        assert source != target  # repeats of a touchpoint are one step
        assert len(edge.users) <= edge.count
        if source is not None and target is not None:
            assert len(edge.gaps_us) == edge.count and min(edge.gaps_us) >= 0
    assert any(0 in e.gaps_us for e in truth.edges.values())  # ties between steps


def test_step_transitions_follow_the_chain():
    """At 200k events, each touchpoint's share of exits to another is the chain's probability
    of that move given that the touchpoint is left (a repeat is the same step)."""
    truth = gen.truth(gen.generate(200_000, seed=5))
    exits: dict[str, int] = defaultdict(int)
    for (source, _), edge in truth.edges.items():
        if source is not None:
            exits[source] += edge.count
    for source, row in gen.CHAIN.items():
        leaving = 1 - row.get(source, 0)
        for target, probability in row.items():
            if target == source:
                continue
            edge = truth.edges.get((source, None if target == gen.END else target))
            observed = edge.count / exits[source] if edge else 0
            assert observed == pytest.approx(probability / leaving, abs=0.03), (source, target)


def test_command_line_writes_csv_gz_and_parquet(tmp_path):
    script = Path(gen.__file__)
    for name in ("small.csv.gz", "small.parquet", "small.csv"):
        done = subprocess.run([sys.executable, str(script), "500", str(tmp_path / name)], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    with gzip.open(tmp_path / "small.csv.gz", "rt") as handle:
        lines = handle.read().splitlines()
    assert len(lines) == 501 and lines[0] == '"user_id","session_id","timestamp","seq","event","page_path","step","platform"'
    assert (tmp_path / "small.csv").read_text().splitlines()[1:] == lines[1:]
    import pyarrow.parquet as pq

    assert pq.read_table(tmp_path / "small.parquet").num_rows == 500
    bad = subprocess.run([sys.executable, str(script), "500", str(tmp_path / "x.json")], capture_output=True, text=True)
    assert bad.returncode == 2 and "must end in .parquet, .csv or .csv.gz" in bad.stderr
    assert not list(tmp_path.glob("*.part"))


# --- the computation against the truth -----------------------------------------------------------

MIN_USERS = 5


def _computed(log: gen.Log, path: Path, **options):
    pytest.importorskip("duckdb", reason="the evidence computation needs duckdb (pip install 'cjm[evidence]')")
    pytest.importorskip("ibis", reason="the evidence computation needs ibis (pip install 'cjm[evidence]')")
    from cjm.evidence.compute import compute_observed
    from cjm.format.validate import read_map

    loaded = read_map(gen.MAP_PATH)
    assert loaded.valid, loaded.diagnostics
    gen.write(log, path)
    return compute_observed(loaded.journey, [str(path)], **options)


def _true_edges(truth: gen.Truth) -> dict[tuple, tuple]:
    leaving: dict = defaultdict(int)
    for (source, _), edge in truth.edges.items():
        leaving[source] += edge.count
    table = {}
    for key, edge in truth.edges.items():
        if len(edge.users) >= MIN_USERS:
            gaps = sorted(edge.gaps_us)
            middle = len(gaps) // 2
            median = None if not gaps else gaps[middle] if len(gaps) % 2 else int((gaps[middle - 1] + gaps[middle]) / 2 + 0.5)
            mean = (2 * sum(gaps) + len(gaps)) // (2 * len(gaps)) if gaps else None
            table[key] = (edge.count, len(edge.users), round(edge.count / leaving[key[0]], 6), median, mean)
    return table


@pytest.mark.parametrize("name", ["events.parquet", "events.csv.gz"])
def test_computed_journeys_equal_the_truth(log, tmp_path, name):
    observed = _computed(log, tmp_path / name)
    truth = gen.truth(log)
    totals = observed.totals
    assert (totals.events, totals.matched_events, totals.users, totals.journeys) == (
        truth.events, truth.matched_events, truth.users, truth.journeys)
    assert observed.provenance.order == "ts, seq, event, touchpoint order"
    for counts in observed.touchpoints:
        want = truth.touchpoints[counts.id]
        assert (counts.events, counts.users, counts.journeys, counts.ends) == (
            want.events, len(want.users), want.journeys, want.ends), counts.id
    edges = {(e.source, e.target): (e.count, e.users, e.share, e.median_us, e.mean_us) for e in observed.edges}
    assert edges == _true_edges(truth)
    assert observed.suppressed.edges == len(truth.edges) - len(edges)
    assert [(v.path, v.journeys) for v in observed.variants][:5] == [
        (list(path), n) for path, n in sorted(truth.variants.items(), key=lambda kv: (-kv[1], " > ".join(kv[0])))[:5]]
    assert {u.event for u in observed.unmatched} == {"heartbeat", "scroll", "page_view", "checkout_step"}
    assert observed.overlaps == []


def test_without_seq_the_ties_fall_to_event_names_and_the_edges_leave_the_truth(log, tmp_path):
    """The check above would catch a computation that ignored `seq`."""
    pytest.importorskip("duckdb", reason="the evidence computation needs duckdb (pip install 'cjm[evidence]')")
    from cjm.evidence.compute import compute_observed
    from cjm.format.validate import read_map

    text = gen.MAP_PATH.read_text(encoding="utf-8")
    assert "    seq: seq\n" in text
    no_seq = tmp_path / "no-seq.cjm.yaml"
    no_seq.write_text(text.replace("    seq: seq\n", ""), encoding="utf-8")
    gen.write(log, tmp_path / "events.parquet")
    observed = compute_observed(read_map(no_seq).journey, [str(tmp_path / "events.parquet")])
    assert observed.provenance.order == "ts, event, touchpoint order"
    edges = {(e.source, e.target): (e.count, e.users, e.share, e.median_us, e.mean_us) for e in observed.edges}
    assert edges != _true_edges(gen.truth(log))
    assert observed.totals.events == log.events.num_rows
