"""``evidence compute --segment COLUMN``: journeys split by a log column, on small hand-written logs
whose answer is worked out by hand; the all-journeys view is unchanged; the same input gives the
same file; the SQL of ``evidence sql --segment`` run on DuckDB gives the computed counts."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

duckdb = pytest.importorskip("duckdb", reason="the evidence computation needs duckdb (pip install 'cjm[evidence]')")
pytest.importorskip("ibis", reason="the evidence computation needs ibis (pip install 'cjm[evidence]')")

from typer.testing import CliRunner  # noqa: E402

from cjm.cli import app  # noqa: E402
from cjm.evidence.compute import compute_observed  # noqa: E402
from cjm.format.validate import validate_bytes  # noqa: E402

MAP = textwrap.dedent("""\
    cjm: 1
    id: shop
    title: Shop
    analytics:
      source: csv
      columns: {session: session_id}
      min_users: 2
    stages:
      - id: browse
        name: Browse
        touchpoints:
          - {id: home, name: Home, events: [home], next: [product]}
          - {id: product, name: Product, events: [product], next: [cart]}
      - id: buy
        name: Buy
        touchpoints:
          - {id: cart, name: Cart, events: [cart], next: [pay]}
          - {id: pay, name: Pay, events: [pay]}
    """)

# user, session, time, event, platform: s1-s3 on web (s3 switches to ios after its first event: it
# stays web), s4-s6 on ios, s7 without a platform at its first event, s8 the only one on tv
ROWS = [
    ("u1", "s1", "2024-01-01 10:00:00", "home", "web"), ("u1", "s1", "2024-01-01 10:01:00", "product", "web"),
    ("u1", "s1", "2024-01-01 10:02:00", "cart", "web"), ("u1", "s1", "2024-01-01 10:03:00", "pay", "web"),
    ("u2", "s2", "2024-01-01 11:00:00", "home", "web"), ("u2", "s2", "2024-01-01 11:01:00", "product", "web"),
    ("u2", "s2", "2024-01-01 11:02:00", "cart", "web"),
    ("u3", "s3", "2024-01-01 12:00:00", "home", "web"), ("u3", "s3", "2024-01-01 12:01:00", "product", "ios"),
    ("u3", "s3", "2024-01-01 12:02:00", "cart", "ios"), ("u3", "s3", "2024-01-01 12:03:00", "pay", "ios"),
    ("u4", "s4", "2024-01-01 13:00:00", "home", "ios"), ("u4", "s4", "2024-01-01 13:01:00", "product", "ios"),
    ("u5", "s5", "2024-01-01 14:00:00", "home", "ios"), ("u5", "s5", "2024-01-01 14:01:00", "product", "ios"),
    ("u6", "s6", "2024-01-01 15:00:00", "product", "ios"), ("u6", "s6", "2024-01-01 15:01:00", "cart", "ios"),
    ("u7", "s7", "2024-01-01 16:00:00", "home", ""), ("u7", "s7", "2024-01-01 16:01:00", "product", "web"),
    ("u8", "s8", "2024-01-01 17:00:00", "home", "tv"),
    ("u9", "s9", "2024-01-01 18:00:00", "home", ""), ("u9", "s9", "2024-01-01 18:01:00", "cart", ""),
]


@pytest.fixture()
def shop(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "shop.cjm.yaml").write_text(MAP)
    lines = ["user_id,session_id,timestamp,event,platform"] + [",".join(row) for row in ROWS]
    (tmp_path / "events.csv").write_text("\n".join(lines) + "\n")
    return tmp_path


def journey_map(path: Path):
    loaded = validate_bytes(path.read_bytes(), path, path.name)
    assert loaded.valid
    return loaded.journey


def test_a_journey_belongs_to_its_first_events_value_and_small_values_are_suppressed(shop):
    observed = compute_observed(journey_map(shop / "shop.cjm.yaml"), ["events.csv"], segments=["platform"])
    [segment] = observed.segments
    views = {view.value: view for view in segment.values}
    assert list(views) == ["ios", "web", None]  # most journeys first; None: no value at the first event
    assert (views["web"].totals.journeys, views["ios"].totals.journeys, views[None].totals.journeys) == (3, 3, 2)
    assert (segment.under_min_users.values, segment.under_min_users.journeys) == (1, 1)  # tv: one user
    web = views["web"]
    assert {t.id: (t.journeys, t.ends) for t in web.touchpoints} == {
        "home": (3, 0), "product": (3, 0), "cart": (3, 1), "pay": (2, 2)}
    assert {(e.source, e.target): (e.count, e.journeys) for e in web.edges} == {
        (None, "home"): (3, 3), ("home", "product"): (3, 3), ("product", "cart"): (3, 3), ("cart", "pay"): (2, 2),
        ("pay", None): (2, 2)}  # cart -> end: one user, under min_users 2
    assert web.suppressed.edges == 1
    assert [s.conversion for s in web.stages] == [None, 1.0]
    ios = views["ios"]
    assert [(s.users, s.conversion) for s in ios.stages] == [(3, None), (1, 0.333333)]
    step = web.flow("step")
    assert [(n.column, n.touchpoint, n.journeys, n.starts, n.ends) for n in step.nodes] == [
        (1, "home", 3, 3, 0), (2, "product", 3, 0, 0), (3, "cart", 3, 0, 1), (4, "pay", 2, 0, 2)]
    stage = web.flow("stage")
    assert [(n.column, n.touchpoint, n.journeys, n.starts, n.ends) for n in stage.nodes] == [
        (0, "home", 3, 3, 0), (1, "cart", 3, 0, 3)]
    # the all-journeys view is what it is without segments
    plain = compute_observed(journey_map(shop / "shop.cjm.yaml"), ["events.csv"])
    assert observed.model_dump(exclude={"segments", "cjm_observed"}) == plain.model_dump(exclude={"segments", "cjm_observed"})
    assert plain.segments == [] and plain.cjm_observed == observed.cjm_observed == 2


def test_the_same_input_gives_the_same_file(shop):
    runner = CliRunner()
    outputs = []
    for name in ("a.json", "b.json"):
        result = runner.invoke(app, ["evidence", "compute", "shop.cjm.yaml", "-e", "events.csv", "--segment", "platform",
                                     "--segment", "platform", "-o", name])
        assert result.exit_code == 0, result.output
        assert "segment platform: ios (3 journeys), web (3 journeys), (no value) (2 journeys); 1 value(s) with fewer " \
               "than the min_users users, 1 journeys, suppressed" in result.stdout
        outputs.append((shop / name).read_bytes())
    assert outputs[0] == outputs[1]
    assert len(json.loads(outputs[0])["segments"]) == 1  # a column given twice is split once


def test_segments_declared_in_analytics_and_bad_columns(shop):
    (shop / "shop.cjm.yaml").write_text(MAP.replace("min_users: 2", "min_users: 2\n  segments: [platform]"))
    runner = CliRunner()
    result = runner.invoke(app, ["evidence", "compute", "shop.cjm.yaml", "-e", "events.csv", "-o", "out.json"])
    assert result.exit_code == 0, result.output
    assert json.loads((shop / "out.json").read_text())["segments"][0]["column"] == "platform"
    for column, words in (("platfrom", "no column 'platfrom'; did you mean 'platform'?"),
                          ("1st", "--segment '1st' is not a column name")):
        result = runner.invoke(app, ["evidence", "compute", "shop.cjm.yaml", "-e", "events.csv", "--segment", column,
                                     "-o", "bad.json"])
        assert result.exit_code == 2 and words in result.stderr and "Traceback" not in result.output
        assert not (shop / "bad.json").exists()


def test_the_sql_per_segment_run_on_duckdb_gives_the_computed_counts(shop):
    runner = CliRunner()
    sql = runner.invoke(app, ["evidence", "sql", "shop.cjm.yaml", "-d", "duckdb", "-t", "events", "--ts-type", "text",
                              "--segment", "platform"])
    assert sql.exit_code == 0, sql.output
    connection = duckdb.connect()
    connection.execute("CREATE TABLE events AS SELECT * FROM read_csv('events.csv', all_varchar = true)")
    statements = {part.split("\n", 1)[0]: part.split("\n", 1)[1] for part in sql.stdout.split("\n\n-- ")[1:]}
    reach = next(text for head, text in statements.items() if head.startswith("segment platform: journeys"))
    cursor = connection.execute(reach.rstrip().rstrip(";"))
    names = [d[0] for d in cursor.description]
    rows = {row[names.index("segment")]: dict(zip(names, row)) for row in cursor.fetchall()}
    assert {value: (row["journeys"], row["users"]) for value, row in rows.items()} == {
        "web": (3, 3), "ios": (3, 3), "": (2, 2), "tv": (1, 1)}
    edges = next(text for head, text in statements.items() if head.startswith("segment platform: edges"))
    got = {(r[0], r[1], r[2]): r[3] for r in connection.execute(edges.rstrip().rstrip(";")).fetchall()}
    observed = compute_observed(journey_map(shop / "shop.cjm.yaml"), ["events.csv"], segments=["platform"])
    for view in observed.segments[0].values:
        for edge in view.edges:
            assert got[(view.value or "", edge.source, edge.target)] == edge.count
