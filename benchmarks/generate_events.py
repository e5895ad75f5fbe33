"""Event logs of any size whose true journeys are known, for the evidence tests and benchmarks.

    python benchmarks/generate_events.py 1000000 events.parquet
    python benchmarks/generate_events.py 20000 events.csv.gz --seed 3 --users 500

Sessions walk a Markov chain over the touchpoints of ``generated-events.cjm.yaml`` (beside this
file; its ``events`` rules pick out exactly the events each touchpoint emits here). Every event
also carries the touchpoint it was emitted for, so the true steps, edges and counts are known
without applying any rule (``truth()``). The same arguments give the same rows.

What the log holds, to exercise the computation:
- columns ``user_id, session_id, timestamp (UTC, ms), seq, event, page_path, step, platform``;
- several events per touchpoint (a `page_view` is one of four touchpoints by its path, a
  `checkout_step` one of two by its `step` number, `cart` has two matchers);
- repeats of the same touchpoint (one step), and noise events that no rule matches (6%);
- ties: about 4% of events have the time of the event before them; ``seq`` (the event's index in
  its session) orders them. Rows are in time order, but events with the same time are written in
  reverse ``seq`` order, so only ``seq`` tells their order;
- users with one or more sessions; the last session may be cut short to give exactly N events.

Vectorised with pyarrow.compute (10M events in well under a minute); the chain advances all
sessions one event at a time.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

MAP_PATH = Path(__file__).resolve().parent / "generated-events.cjm.yaml"

# Touchpoints in map order, with the events each emits: (event, page_path, step).
TOUCHPOINTS: list[tuple[str, list[tuple[str, str | None, int | None]]]] = [
    ("home", [("page_view", "/", None)]),
    ("site-search", [("search", "/search", None)]),
    ("category", [("page_view", "/c/jackets", None), ("page_view", "/c/boots", None), ("page_view", "/c/tents", None)]),
    ("product", [("page_view", f"/p/{sku}", None) for sku in (1017, 2044, 3150, 4711, 5309)]),
    ("wishlist", [("wishlist_add", None, None)]),
    ("cart", [("add_to_cart", None, None), ("page_view", "/cart", None)]),
    ("address", [("checkout_step", "/checkout", 1), ("checkout_step", "/checkout", 2)]),
    ("payment", [("checkout_step", "/checkout", 3)]),
    ("payment-error", [("payment_failed", "/checkout", 3)]),
    ("order", [("purchase", "/thanks", None), ("order_completed", "/thanks", None)]),
]
NOISE = [("heartbeat", None, None), ("scroll", None, None), ("page_view", "/help/returns", None),
         ("page_view", "/account", None), ("checkout_step", "/checkout", 0)]
TOUCHPOINT_IDS = [tp for tp, _ in TOUCHPOINTS]
END = "end"

START = {"home": 0.45, "site-search": 0.15, "category": 0.15, "product": 0.2, "cart": 0.05}
CHAIN = {
    "home": {"home": 0.05, "site-search": 0.25, "category": 0.4, "product": 0.15, END: 0.15},
    "site-search": {"site-search": 0.15, "category": 0.2, "product": 0.5, END: 0.15},
    "category": {"site-search": 0.1, "category": 0.15, "product": 0.6, END: 0.15},
    "product": {"category": 0.2, "product": 0.3, "wishlist": 0.08, "cart": 0.22, END: 0.2},
    "wishlist": {"product": 0.4, "cart": 0.25, END: 0.35},
    "cart": {"product": 0.25, "address": 0.5, END: 0.25},
    "address": {"cart": 0.1, "payment": 0.75, END: 0.15},
    "payment": {"payment-error": 0.25, "order": 0.65, END: 0.1},
    "payment-error": {"payment": 0.6, END: 0.4},
    "order": {"home": 0.15, END: 0.85},
}
NOISE_SHARE = 0.06
TIE_SHARE = 0.04
MEAN_GAP_MS = 45_000
FIRST_DAY_MS = 1_767_571_200_000  # 2026-01-05T00:00:00Z
SPAN_MS = 60 * 86_400_000
PLATFORMS = ["web", "ios", "android"]
EVENTS_PER_USER = 10


@dataclass
class Log:
    """The generated rows, and for each row the index in ``TOUCHPOINT_IDS`` of the touchpoint it
    was emitted for (``len(TOUCHPOINT_IDS)`` for noise): the answer key, never written out."""

    events: pa.Table
    touchpoint: pa.ChunkedArray


def _states() -> list[str]:
    return [*TOUCHPOINT_IDS, END]


def _thresholds(row: dict[str, float]) -> list[float]:
    """Cumulative probabilities over ``_states()``; the last one is 1."""
    total, out = 0.0, []
    for state in _states():
        total += row.get(state, 0.0)
        out.append(total)
    out[-1] = 1.0
    return out


def _draw(u: pa.Array, current: pa.Array, table: list[list[float]]) -> pa.Array:
    """The next state of each session: how many cumulative thresholds of its row ``u`` passes."""
    nxt = pa.repeat(pa.scalar(0, pa.int32()), len(u))
    for column in range(len(_states()) - 1):
        threshold = pc.take(pa.array([row[column] for row in table], pa.float64()), current)
        nxt = pc.add(nxt, pc.cast(pc.greater_equal(u, threshold), pa.int32()))
    return nxt


def _walk(sessions: int, seed: int) -> dict[str, pa.Array]:
    """All events of ``sessions`` sessions: session index, seq, time (ms), state (or noise), variant draw."""
    noise_state = len(TOUCHPOINT_IDS)
    end_state = noise_state  # in the chain's numbering END follows the touchpoints
    chain = [_thresholds(CHAIN[tp]) for tp in TOUCHPOINT_IDS]
    rng = _Seeds(seed)
    session = pa.array(range(sessions), pa.int64())
    state = _draw(rng.uniform(sessions), pa.repeat(pa.scalar(0, pa.int32()), sessions), [_thresholds(START)])
    clock = pc.add(pc.cast(pc.floor(pc.multiply(rng.uniform(sessions), SPAN_MS)), pa.int64()), FIRST_DAY_MS)
    parts: dict[str, list[pa.Array]] = defaultdict(list)
    seq = 0
    while len(session):
        alive = len(session)
        noise = pc.less(rng.uniform(alive), NOISE_SHARE)
        parts["session"].append(session)
        parts["seq"].append(pa.repeat(pa.scalar(seq, pa.int32()), alive))
        parts["ms"].append(clock)
        parts["state"].append(pc.if_else(noise, noise_state, state))
        parts["variant"].append(rng.uniform(alive))
        moved = _draw(rng.uniform(alive), state, chain)
        state = pc.if_else(noise, state, moved)
        gap = pc.cast(pc.floor(pc.multiply(pc.negate(pc.ln(pc.subtract(1.0, rng.uniform(alive)))), MEAN_GAP_MS)), pa.int64())
        gap = pc.if_else(pc.less(rng.uniform(alive), TIE_SHARE), 0, pc.add(gap, 1000))
        clock = pc.add(clock, gap)
        keep = pc.not_equal(state, end_state)
        session, state, clock = (pc.filter(a, keep) for a in (session, state, clock))
        seq += 1
    return {name: pa.concat_arrays(chunks) for name, chunks in parts.items()}


class _Seeds:
    """Uniform draws, each from its own seed derived from the log's, so runs repeat exactly."""

    def __init__(self, seed: int) -> None:
        self.seed = seed * 1_000_003
        self.calls = 0

    def uniform(self, n: int) -> pa.Array:
        self.calls += 1
        return pc.random(n, initializer=self.seed + self.calls)


def _forms() -> tuple[list[tuple[str, str | None, int | None]], list[int], list[int]]:
    """Every (event, page_path, step) form, and per state (noise last) its first form and count."""
    forms, first, count = [], [], []
    for variants in [v for _, v in TOUCHPOINTS] + [NOISE]:
        first.append(len(forms))
        count.append(len(variants))
        forms.extend(variants)
    return forms, first, count


def _label(prefix: str, index: pa.Array, width: int) -> pa.Array:
    digits = pc.utf8_lpad(pc.cast(index, pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _coded(indices: pa.Array | pa.ChunkedArray, labels: list[str | None] | pa.Array) -> pa.ChunkedArray:
    """``labels[i]`` for each index ``i``, as a dictionary column (a null label gives a null)."""
    if isinstance(labels, pa.Array):
        dictionary, positions = labels, None
    else:
        distinct = sorted({label for label in labels if label is not None})
        dictionary = pa.array(distinct, pa.string())
        positions = pa.array([None if label is None else distinct.index(label) for label in labels], pa.int32())
    chunks = indices.chunks if isinstance(indices, pa.ChunkedArray) else [indices]
    return pa.chunked_array([
        pa.DictionaryArray.from_arrays(pc.cast(c, pa.int32()) if positions is None else pc.take(positions, c), dictionary)
        for c in chunks])


def generate(events: int, seed: int = 7, users: int | None = None) -> Log:
    """Exactly ``events`` events (sessions are added until there are enough; the last is cut)."""
    if events < 1:
        raise ValueError("a log needs at least one event")
    walked: dict[str, list[pa.Array]] = defaultdict(list)
    have, sessions, batch = 0, 0, 0
    while have < events:
        wanted = max(16, math.ceil((events - have) / 5))  # about 5.2 events a session
        part = _walk(wanted, seed + 7919 * batch)
        part["session"] = pc.add(part["session"], sessions)
        for name, array in part.items():
            walked[name].append(array)
        have += len(part["session"])
        sessions += wanted
        batch += 1
    table = pa.table({name: pa.concat_arrays(chunks) for name, chunks in walked.items()})
    table = table.take(pc.sort_indices(table, [("session", "ascending"), ("seq", "ascending")])).slice(0, events)

    n_users = users or max(1, math.ceil(events / EVENTS_PER_USER))
    rng = _Seeds(seed + 104_729)
    owner = pc.cast(pc.floor(pc.multiply(rng.uniform(sessions), n_users)), pa.int64())
    platform_of_user = pc.cast(pc.floor(pc.multiply(rng.uniform(n_users), len(PLATFORMS))), pa.int64())
    user = pc.take(owner, table["session"])

    forms, first, count = _forms()
    state = table["state"]
    offset = pc.cast(pc.floor(pc.multiply(table["variant"], pc.take(pa.array(count, pa.float64()), state))), pa.int32())
    form = pc.add(pc.take(pa.array(first, pa.int32()), state), offset)
    # text columns as dictionaries (indices into a few labels): a tenth of the memory of plain text
    events_table = pa.table({
        "user_id": _coded(user, _label("u", pa.array(range(n_users), pa.int64()), 7)),
        "session_id": _coded(table["session"], _label("s", pa.array(range(sessions), pa.int64()), 8)),
        "timestamp": pc.cast(table["ms"], pa.timestamp("ms", tz="UTC")),
        "seq": table["seq"],
        "event": _coded(form, [f[0] for f in forms]),
        "page_path": _coded(form, [f[1] for f in forms]),
        "step": pc.take(pa.array([f[2] for f in forms], pa.int32()), form),
        "platform": _coded(pc.take(platform_of_user, user), PLATFORMS),
    })
    # time order; within one time, reverse seq, so that the file order never tells the true order
    order = pc.sort_indices(pa.table({"ms": table["ms"], "session": table["session"], "seq": table["seq"]}),
                            [("ms", "ascending"), ("session", "ascending"), ("seq", "descending")])
    return Log(events_table.take(order), pc.take(state, order))


def write(log: Log | pa.Table, path: Path) -> Path:
    """Write the events as Parquet (``.parquet``), CSV (``.csv``) or gzipped CSV (``.csv.gz``)."""
    import pyarrow.csv as csv
    import pyarrow.parquet as pq

    table = log.events if isinstance(log, Log) else log
    name = path.name.lower()
    if not name.endswith((".parquet", ".csv", ".csv.gz")):
        raise ValueError(f"{path}: write .parquet, .csv or .csv.gz")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    if name.endswith(".parquet"):
        pq.write_table(table, partial, compression="zstd", row_group_size=1_000_000,
                       use_dictionary=["event", "page_path", "platform"])
    else:
        plain = pa.table([column.cast(pa.string()) if pa.types.is_dictionary(column.type) else column
                          for column in table.columns], names=table.column_names)  # CSV takes no dictionaries
        if name.endswith(".gz"):
            with pa.CompressedOutputStream(str(partial), "gzip") as stream:
                csv.write_csv(plain, stream)
        else:
            csv.write_csv(plain, partial)
    partial.replace(path)
    return path


@dataclass
class EdgeTruth:
    count: int = 0
    users: set[str] = field(default_factory=set)
    gaps_us: list[int] = field(default_factory=list)  # first event of the target minus last of the source


@dataclass
class TouchpointTruth:
    events: int = 0
    users: set[str] = field(default_factory=set)
    journeys: int = 0
    ends: int = 0


@dataclass
class Truth:
    events: int
    matched_events: int
    journeys: int
    users: int
    edges: dict[tuple[str | None, str | None], EdgeTruth]
    touchpoints: dict[str, TouchpointTruth]
    variants: Counter


def truth(log: Log, grain: str = "session") -> Truth:
    """The true journeys, from the touchpoint each event was emitted for (no rule applied).

    Plain Python, for logs of test size. Order within a journey: time, then ``seq``."""
    rows = log.events.select(["user_id", "session_id", "timestamp", "seq"]).to_pylist()
    labels = log.touchpoint.to_pylist()
    key = "session_id" if grain == "session" else "user_id"
    journeys: dict[str, list[tuple]] = defaultdict(list)
    for row, label in zip(rows, labels):
        if label < len(TOUCHPOINT_IDS):
            journeys[row[key]].append((row["timestamp"], row["seq"], TOUCHPOINT_IDS[label], row["user_id"]))
    edges: dict[tuple[str | None, str | None], EdgeTruth] = defaultdict(EdgeTruth)
    touchpoints: dict[str, TouchpointTruth] = {tp: TouchpointTruth() for tp in TOUCHPOINT_IDS}
    variants: Counter = Counter()
    for events in journeys.values():
        events.sort(key=lambda e: (e[0], e[1]))
        user = events[0][3]
        steps: list[list] = []  # [touchpoint, first time, last time]
        for ts, _, tp, _ in events:
            touchpoints[tp].events += 1
            touchpoints[tp].users.add(user)
            if steps and steps[-1][0] == tp:
                steps[-1][2] = ts
            else:
                steps.append([tp, ts, ts])
        path = [s[0] for s in steps]
        variants[tuple(path)] += 1
        for tp in set(path):
            touchpoints[tp].journeys += 1
        touchpoints[path[-1]].ends += 1
        for source, target in [(None, path[0]), *zip(path, path[1:]), (path[-1], None)]:
            edges[source, target].count += 1
            edges[source, target].users.add(user)
        for before, after in zip(steps, steps[1:]):
            delta = after[1] - before[2]
            edges[before[0], after[0]].gaps_us.append(delta.days * 86_400_000_000 + delta.seconds * 1_000_000 + delta.microseconds)
    matched = sum(1 for label in labels if label < len(TOUCHPOINT_IDS))
    return Truth(len(rows), matched, len(journeys), len({r["user_id"] for r in rows}), dict(edges), touchpoints, variants)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a generated event log with known true journeys.")
    parser.add_argument("events", type=int, help="how many events")
    parser.add_argument("output", type=Path, help="a .parquet, .csv or .csv.gz file")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--users", type=int, default=None, help=f"how many users (default: one per {EVENTS_PER_USER} events)")
    args = parser.parse_args(argv)
    if not args.output.name.lower().endswith((".parquet", ".csv", ".csv.gz")):
        parser.error("the output must end in .parquet, .csv or .csv.gz")
    if args.events < 1:
        parser.error("the log needs at least one event")
    write(generate(args.events, args.seed, args.users), args.output)
    print(f"{args.events:,} events -> {args.output} (map: {MAP_PATH.name})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
