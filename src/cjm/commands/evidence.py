"""``cjm evidence compute`` and ``cjm evidence sql``: what customers actually did, from event logs.

Exit codes: 0 done; 1 the map is invalid (its problems are printed as by validate); 2 usage
errors, a map without analytics or rules, an unreadable input, or an engine that cannot run.
The engines (DuckDB, Ibis, PySpark) are imported only here, inside the commands.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import NoReturn, Optional

import typer

app = typer.Typer(
    name="evidence",
    help="The observed journey: apply a map's event rules to event logs (DuckDB or Spark), or print them as SQL.",
    no_args_is_help=True,
)


class Engine(str, Enum):
    duckdb = "duckdb"
    spark = "spark"


class Grain(str, Enum):
    user = "user"
    session = "session"


class TsType(str, Enum):
    timestamp = "timestamp"
    text = "text"
    number = "number"


@app.command("compute")
def compute(
    map_file: Path = typer.Argument(..., metavar="MAP", help="A map with an `analytics` block and touchpoint `events` rules."),
    events: list[str] = typer.Option(..., "--events", "-e", metavar="FILE_OR_GLOB", help="Event logs: .csv, .csv.gz or .parquet files, folders of them, or globs (quote them; ** recurses). Repeat for several."),
    engine: Engine = typer.Option(Engine.duckdb, "--engine", help="duckdb (embedded, the default) or spark (local mode; needs the spark extra and Java 17)."),
    grain: Optional[Grain] = typer.Option(None, "--grain", help="One journey per user or per session; default: the map's `analytics.grain`."),
    since: Optional[str] = typer.Option(None, "--since", metavar="ISO", help="Leave out events before this time (inclusive bound; no zone means UTC)."),
    until: Optional[str] = typer.Option(None, "--until", metavar="ISO", help="Leave out events at or after this time."),
    output: Optional[str] = typer.Option(None, "--output", "-o", metavar="FILE|-", help="Where to write the observed journey; - for standard output. Default: MAP.observed.json beside the map."),
    segment: Optional[list[str]] = typer.Option(None, "--segment", metavar="COLUMN", help="Also compute the observed journey per value of this log column (a journey's value at its first event). Repeat for several; default: the map's `analytics.segments`."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Let the engine print its own warnings (Spark logs nothing but errors otherwise)."),
) -> None:
    """Compute the observed journey of a map from event logs and write it as JSON."""
    from cjm.io import write_output

    journey_map = _read_valid_map(map_file)
    _refuse_overwriting(output, [str(map_file)], "the map")
    compute_observed, dump_observed, errors = _evidence_modules()
    try:
        observed = compute_observed(journey_map, events, engine=engine.value, grain=grain.value if grain else None,
                                    since=since, until=until, segments=segment or None, verbose=verbose)
    except errors as error:
        _fail(str(error))
    except Exception as error:  # the engine stopped on something in the data it reads
        _fail(f"{engine.value} could not compute the evidence: {_first_line(error)}")
    target = output if output is not None else str(_default_output(map_file))
    _refuse_overwriting(target, [item.path for item in observed.provenance.inputs], "an event log it reads")
    try:
        write_output(target, dump_observed(observed))
    except OSError as error:
        _fail(f"cannot write {target}: {error.strerror or error}")
    if target != "-":
        totals = observed.totals
        typer.echo(f"wrote {target}: {totals.events:,} events ({totals.unmatched_share:.1%} unmatched), "
                   f"{totals.journeys:,} journeys of {totals.users:,} users, {len(observed.edges)} edges "
                   f"({observed.suppressed.edges} left out under min_users {observed.provenance.min_users})")
        for part in observed.segments:
            typer.echo(f"  segment {part.column}: {_segment_words(part)}")


def _segment_words(part) -> str:
    from cjm.evidence.observed import segment_label

    shown = ", ".join(f"{segment_label(v.value)} ({v.totals.journeys:,} journeys)" for v in part.values) or "no value kept"
    left = []
    if part.under_min_users.values:
        left.append(f"{part.under_min_users.values} value(s) with fewer than the min_users users, "
                    f"{part.under_min_users.journeys:,} journeys, suppressed")
    if part.beyond_most.values:
        left.append(f"{part.beyond_most.values} smaller value(s), {part.beyond_most.journeys:,} journeys, left out")
    return shown + (f"; {'; '.join(left)}" if left else "")


@app.command("sql")
def sql(
    map_file: Path = typer.Argument(..., metavar="MAP", help="A map with an `analytics` block and touchpoint `events` rules."),
    dialect: str = typer.Option(..., "--dialect", "-d", metavar="DIALECT", help="bigquery, snowflake, postgres, duckdb, spark, trino, databricks, clickhouse, ..."),
    table: str = typer.Option(..., "--table", "-t", metavar="NAME", help="The event table: NAME, DATASET.NAME or CATALOG.DATASET.NAME."),
    grain: Optional[Grain] = typer.Option(None, "--grain", help="One journey per user or per session; default: the map's `analytics.grain`."),
    ts_type: Optional[TsType] = typer.Option(None, "--ts-type", help="The type of the table's time column; default: number when `ts_unit` (or the preset) says how it counts, else timestamp."),
    output: Optional[str] = typer.Option(None, "--output", "-o", metavar="FILE|-", help="Write the SQL to this file (atomically); default: standard output."),
    segment: Optional[list[str]] = typer.Option(None, "--segment", metavar="COLUMN", help="Also emit the statements per value of this column (repeatable); default: the map's `analytics.segments`."),
) -> None:
    """Print the evidence computation as SQL, one statement per part of the observed file."""
    from cjm.io import write_output

    journey_map = _read_valid_map(map_file)
    _refuse_overwriting(output, [str(map_file)], "the map")
    try:
        from cjm.evidence.compute import EvidenceError
        from cjm.evidence.sql import evidence_sql
    except ImportError as error:
        _fail(f"{error.name or error} is not installed; install it with: pip install 'cjm[evidence]'")
    try:
        text = evidence_sql(journey_map, dialect, table, grain.value if grain else None, ts_type.value if ts_type else None,
                            segments=segment or None)
    except EvidenceError as error:
        _fail(str(error))
    try:
        write_output(output, text)
    except OSError as error:
        _fail(f"cannot write {output}: {error.strerror or error}")


def _fail(message: str) -> NoReturn:
    from cjm.commands.common import fail_usage

    fail_usage(message)


def _refuse_overwriting(output: str | None, inputs: list[str], what: str) -> None:
    """Exit 2 when ``-o`` names an input (through a link too): writing would replace it."""
    import os

    if output in (None, "-"):
        return
    for given in inputs:
        try:
            same = os.path.samefile(output, given)
        except OSError:  # one of them does not exist (yet)
            same = False
        if same:
            _fail(f"-o {output} is {what} ({given}); refusing to overwrite it")


def _first_line(error: BaseException) -> str:
    from cjm.evidence.source import first_line  # loaded by then: the engine ran

    return first_line(error)


def _read_valid_map(path: Path):
    """The validated map, or exit: 1 with validate's report when invalid, 2 when unreadable."""
    from cjm.commands.common import EXIT_FINDINGS
    from cjm.report import Report
    from cjm.report.text import render as text_report
    from cjm.format.validate import read_map

    loaded = read_map(path)
    if any(d.code == "CJM000" for d in loaded.diagnostics):
        _fail(f"cannot read {path}: {loaded.diagnostics[0].message}")
    if not loaded.valid:
        report = Report(command="validate", files=[loaded.file], diagnostics=loaded.diagnostics, invalid_files=[loaded.file])
        typer.echo(text_report(report, color=False), err=True, nl=False)
        raise typer.Exit(EXIT_FINDINGS)
    return loaded.journey


def _evidence_modules():
    """compute_observed, dump_observed and the errors that mean exit 2; exit 2 when the extra is missing."""
    try:
        from cjm.evidence.compute import EvidenceError, compute_observed
        from cjm.evidence.engines import EngineUnavailable
        from cjm.evidence.observed import dump_observed
        from cjm.evidence.source import SourceError
    except ImportError as error:
        _fail(f"{error.name or error} is not installed; install it with: pip install 'cjm[evidence]'")
    return compute_observed, dump_observed, (EvidenceError, SourceError, EngineUnavailable)


def _default_output(map_file: Path) -> Path:
    name = map_file.name
    for suffix in (".cjm.yaml", ".cjm.yml", ".yaml", ".yml"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return map_file.with_name(f"{name}.observed.json")
