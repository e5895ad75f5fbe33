"""Conformance: the same computation on Spark (local mode) and on DuckDB gives the same observed
journey, apart from which engine made it. On a generated log (seq ties, `where` rules, noise)
and on the real ecom log (ties by event name, a platform rule).

Skipped, with the reason, where pyspark or Java is missing. One Spark session serves the whole
module (the computation reuses it), and one test covers both logs, so parallel test workers never
start two JVMs for this.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("duckdb", reason="the evidence computation needs duckdb (pip install 'cjm[evidence]')")
pytest.importorskip("ibis", reason="the evidence computation needs ibis (pip install 'cjm[evidence]')")

import evidence_data  # noqa: E402
from cjm.evidence import engines  # noqa: E402
from cjm.evidence.compute import compute_observed  # noqa: E402
from cjm.format.validate import read_map  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

import generate_events as gen  # noqa: E402

ENGINE_FIELDS = {"engine", "engine_version"}
# pyspark 4.0 and Ibis call pandas 3 in ways it deprecates; nothing here to act on
pytestmark = [pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
              pytest.mark.filterwarnings("ignore:The 'future.infer_string' option is deprecated")]


@pytest.fixture(scope="module")
def spark():
    try:
        backend = engines.connect("spark")
    except engines.EngineUnavailable as error:
        pytest.skip(f"Spark is not available here: {error}")
    yield backend
    from pyspark.sql import SparkSession

    session = SparkSession.getActiveSession()
    if session is not None:
        session.stop()


def _journey(path: Path):
    loaded = read_map(path)
    assert loaded.valid, loaded.diagnostics
    return loaded.journey


def _without_engine(observed) -> dict:
    document = observed.model_dump(mode="json")
    for name in ENGINE_FIELDS:
        document["provenance"].pop(name)
    return document


def _assert_same(journey_map, inputs: list[str], what: str, **options) -> None:
    on_duckdb = compute_observed(journey_map, inputs, engine="duckdb", **options)
    on_spark = compute_observed(journey_map, inputs, engine="spark", **options)
    assert (on_duckdb.provenance.engine, on_spark.provenance.engine) == ("duckdb", "spark")
    assert on_spark.provenance.engine_version.startswith(("3.", "4."))
    assert _without_engine(on_spark) == _without_engine(on_duckdb), what
    assert on_duckdb.edges and on_duckdb.variants, what  # something was compared


def test_spark_and_duckdb_give_the_same_observed_journey(spark, tmp_path):
    log = gen.generate(20_000, seed=3)
    generated = gen.write(log, tmp_path / "generated.parquet")
    _assert_same(_journey(gen.MAP_PATH), [str(generated)], "generated log, session grain")
    _assert_same(_journey(gen.MAP_PATH), [str(gen.write(log, tmp_path / "generated.csv.gz"))],
                 "generated log as CSV, user grain, a time window", grain="user", since="2026-01-20", until="2026-02-20")
    real = evidence_data.ecom_log()
    _assert_same(_journey(REPO / "examples" / "ecom-shop.cjm.yaml"), [str(real)], "the real ecom log")


def test_segments_on_spark_equal_the_log_split_by_platform_and_duckdb(spark, tmp_path):
    from test_evidence_real_log import assert_segments_match_reference

    real = evidence_data.ecom_log()
    journey_map = _journey(REPO / "examples" / "ecom-shop.cjm.yaml")
    on_spark = compute_observed(journey_map, [str(real)], engine="spark", segments=["platform"])
    assert_segments_match_reference(on_spark, real)
    on_duckdb = compute_observed(journey_map, [str(real)], engine="duckdb", segments=["platform"])
    assert _without_engine(on_spark) == _without_engine(on_duckdb)
    log = gen.generate(5_000, seed=5)
    _assert_same(_journey(gen.MAP_PATH), [str(gen.write(log, tmp_path / "generated.csv"))],
                 "generated log as CSV with text times, a time window, three platforms",
                 since="2026-01-06", segments=["platform"])


def test_a_spark_run_prints_only_cjms_own_result(spark, tmp_path):
    """A CSV log with text times and a time window: Spark used to inline the whole time parse into the
    window's filter, fail to compile the generated code and print it (thousands of lines); now the
    parse is done once, and the JVM's own output goes to a log file unless --verbose."""
    import subprocess

    log = gen.write(gen.generate(3_000, seed=11), tmp_path / "text-times.csv")
    out = tmp_path / "out.observed.json"
    done = subprocess.run([sys.executable, "-m", "cjm", "evidence", "compute", str(gen.MAP_PATH), "-e", str(log),
                           "--engine", "spark", "--since", "2026-01-06", "--segment", "platform", "-o", str(out)],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stderr == ""
    assert done.stdout.startswith(f"wrote {out}: ") and len(done.stdout.splitlines()) == 2  # the result and the segment
    with open(engines.spark_log_path(), encoding="utf-8", errors="replace") as handle:
        assert "Failed to compile" not in handle.read()
