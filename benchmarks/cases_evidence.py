"""``cjm evidence compute`` on generated event logs (benchmarks/generate_events.py), whole process:
1M and 10M events on DuckDB (Parquet, and 1M as gzipped CSV), 1M on Spark in local mode.

The aims: 1M events under 5 s and 10M under 30 s (and 3 GB, read from the table's peak memory).
The logs are written once into the scratch folder, untimed; the Spark case starts its JVM in
every run, as a user's command does. The JVM is not a process that ``cjm`` waits for, so its CPU
time and memory are not in the Spark row's figures (only the Python driver's are).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench import ProcessCase, cjm

# Not imported from generate_events: that imports pyarrow, and the runner must stay small, since
# on Linux a child's peak memory starts at its parent's.
MAP_PATH = Path(__file__).with_name("generated-events.cjm.yaml")

AIM_MS = {1_000_000: 5_000, 10_000_000: 30_000}


def _log(events: int, name: str):
    def setup(scratch: Path) -> Path:
        path = scratch / name
        if not path.exists():  # in a process of its own: on Linux a child's peak memory starts at its parent's
            subprocess.run([sys.executable, str(Path(__file__).with_name("generate_events.py")), str(events), str(path)],
                           check=True)
        return path
    return setup


def _compute(events_file: str, *engine: str):
    return lambda scratch: cjm("evidence", "compute", str(MAP_PATH), "--events", events_file, *engine,
                               "-o", "generated.observed.json")


def _case(label: str, events: int, file_name: str, *engine: str, aim: bool = True) -> ProcessCase:
    return ProcessCase(f"evidence compute {label}", _compute(file_name, *engine), setup=_log(events, file_name),
                       aim_ms=AIM_MS[events] if aim else None)


CASES = [
    _case("1M events, DuckDB, Parquet", 1_000_000, "events-1m.parquet"),
    _case("1M events, DuckDB, CSV.gz", 1_000_000, "events-1m.csv.gz"),
    _case("10M events, DuckDB, Parquet", 10_000_000, "events-10m.parquet"),
    _case("1M events, Spark local[2], Parquet", 1_000_000, "events-1m.parquet", "--engine", "spark", aim=False),
]


# --segment with 3 values (the generated log's platform: web, ios, android) against the unsegmented
# run of the same log: the aim is at most 1.5x its time
def _segmented(label: str, events: int, file_name: str) -> ProcessCase:
    command = lambda scratch: cjm("evidence", "compute", str(MAP_PATH), "--events", file_name,  # noqa: E731
                                  "--segment", "platform", "-o", "generated.observed.json")
    return ProcessCase(f"evidence compute {label}, --segment platform (3 values)", command,
                       setup=_log(events, file_name), aim_ms=AIM_MS[events] * 1.5)


EXAMPLE_MAP = Path(__file__).resolve().parents[1] / "examples" / "ecom-shop.cjm.yaml"
EXAMPLE_OBSERVED = EXAMPLE_MAP.with_name("ecom-shop.observed.json")

CASES += [
    _segmented("1M events, DuckDB, Parquet", 1_000_000, "events-1m.parquet"),
    _segmented("10M events, DuckDB, Parquet", 10_000_000, "events-10m.parquet"),
    ProcessCase("render --view flow of the ecom example (Sankey, SVG)",
                lambda scratch: cjm("render", str(EXAMPLE_MAP), "--view", "flow", "--observed", str(EXAMPLE_OBSERVED),
                                    "-o", "flow.svg"), aim_ms=500),
]
