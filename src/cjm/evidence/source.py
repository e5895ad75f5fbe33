"""Event log files -> one Ibis table with the normalised columns the computation reads.

The table has ``actor`` (text), ``session`` (text, when the log has one), ``ts_us`` (integer
microseconds since 1970, UTC), ``event`` (text), ``seq`` (a number, when the log has one) and
``p_<column>`` (text) for every property column. CSV files are read as text throughout, so a
property holds what the file says (``007`` stays ``007``) on every engine.

Time written as text is parsed here, with integer arithmetic, rather than by an engine's own
timestamp functions: DuckDB, Spark and the warehouses disagree on formats, microseconds and
zones, and this way every engine gets the same instants. Typed timestamps (Parquet) are counted
by the engine, which all do alike.
"""

from __future__ import annotations

import difflib
import glob
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir

from cjm.evidence.presets import ResolvedColumns

KINDS = {".csv": "csv", ".csv.gz": "csv", ".parquet": "parquet", ".pq": "parquet"}
GLOB_CHARS = "*?["

# ISO 8601 date, time and zone as logs write them: `2024-05-01`, `2024-05-01 10:00:00`,
# `2024-05-01T10:00:00.123456Z`, `2024-05-01 10:00:00+02:00`, `... +00` (as engines print).
ISO_TIME = (r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
            r"([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]+)?)?)?"
            r" ?(Z|UTC|[+-][0-9]{2}(:?[0-9]{2})?)?$")
INTEGER = r"^-?[0-9]{1,18}$"
DECIMAL = r"^-?[0-9]{0,18}[.][0-9]+$"
PROPERTY_PREFIX = "p_"
UNIT_MICROS = {"s": 1_000_000, "ms": 1_000, "us": 1}
# The instants ISO 8601 can write (years 1 to 9999, UTC), as microseconds since 1970. A time
# outside is unreadable (``unreadable_time``), never multiplied past 64 bits or printed as a wrong date.
FIRST_US = -62_135_596_800_000_000  # 0001-01-01T00:00:00Z
LAST_US = 253_402_300_799_999_999  # 9999-12-31T23:59:59.999999Z


class SourceError(Exception):
    """An input that cannot be read as an event log; the message names the file."""


def printable(text: object, limit: int = 200) -> str:
    """Text from a log or an engine as one short line for a message: what a terminal would act on
    (escape sequences, line breaks) becomes '?', and it is cut at ``limit`` characters."""
    flat = "".join(c if c.isprintable() else "?" for c in str(text)[: limit + 1])
    return flat[:limit] + ("\u2026" if len(flat) > limit else "")


def shown(text: object, limit: int = 60) -> str:
    """``printable``, quoted: a value or a column name from the log."""
    return f"'{printable(text, limit)}'"


def first_line(error: BaseException) -> str:
    """An engine's error as one short line (engines add lines of context and quote the data)."""
    text = str(error).strip()
    return printable(text.splitlines()[0], 300) if text else type(error).__name__


def _columns_text(have: list[str], most: int = 30) -> str:
    listed = ", ".join(printable(name, 60) for name in have[:most])
    return listed + (f", \u2026 ({len(have):,} columns)" if len(have) > most else "")


@dataclass(frozen=True)
class InputFile:
    given: str  # as named on the command line (or found by its glob)
    path: Path
    kind: str  # "csv" or "parquet"


def _kind(name: str) -> str | None:
    lowered = name.lower()
    return next((kind for suffix, kind in KINDS.items() if lowered.endswith(suffix)), None)


def expand_inputs(patterns: list[str]) -> list[InputFile]:
    """Files, folders (every log file inside, at any depth) and globs (``**`` recurses) -> the
    files, in the order given, folders and globs sorted, each once."""
    if not patterns:
        raise SourceError("no event log given")
    found: dict[Path, InputFile] = {}
    for pattern in patterns:
        if any(char in pattern for char in GLOB_CHARS) and not os.path.lexists(pattern):  # `events[1].csv` is a file
            names = sorted(glob.glob(pattern, recursive=True))
            names = [name for name in names if Path(name).is_file()]
            if not names:
                raise SourceError(f"{pattern}: no files match")
        elif Path(pattern).is_dir():
            names = sorted(str(path) for path in Path(pattern).rglob("*") if path.is_file() and _kind(path.name))
            if not names:
                raise SourceError(f"{pattern}: a folder without .csv, .csv.gz or .parquet files")
        else:
            if not Path(pattern).is_file():
                raise SourceError(f"{pattern}: no such file" if not Path(pattern).exists() else f"{pattern}: not a file")
            names = [pattern]
        for name in names:
            kind = _kind(name)
            if kind is None:
                raise SourceError(f"{name}: not an event log this reads (.csv, .csv.gz, .parquet)")
            found.setdefault(Path(name).resolve(), InputFile(name, Path(name), kind))
    return list(found.values())


def file_digest(path: Path) -> tuple[str, int]:
    """SHA-256 and size of a file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
    except OSError as error:
        raise SourceError(f"{path}: cannot read: {error.strerror or error}") from None
    return digest.hexdigest(), size


def _open(backend: Any, item: InputFile) -> ir.Table:
    name = str(item.path)
    spark = backend.name == "pyspark"
    try:
        if item.kind == "parquet":
            return backend.read_parquet(name)
        if spark:
            return backend.read_csv(name, header=True, inferSchema=False, quote='"', escape='"', multiLine=True)
        return backend.read_csv(name, all_varchar=True, header=True, delim=",", quote='"', escape='"')
    except Exception as error:  # engines raise their own kinds for unreadable files
        raise SourceError(f"{item.given}: cannot be read as {item.kind.upper()}: {first_line(error)}") from None


def _check_columns(table: ir.Table, item: InputFile, columns: ResolvedColumns) -> None:
    have = list(table.columns)
    if item.kind == "csv" and item.path.stat().st_size == 0:
        raise SourceError(f"{item.given}: the file is empty (a CSV log starts with a header line)")
    if item.kind == "csv" and len(have) == 1 and any(separator in have[0] for separator in ";\t|"):
        raise SourceError(f"{item.given}: one column {shown(have[0])}: the columns of a CSV log are separated by commas")
    for name in columns.used():
        if name not in have:
            close = difflib.get_close_matches(name, have, n=1, cutoff=0.6)
            hint = f"; did you mean {shown(close[0])}?" if close else ""
            raise SourceError(f"{item.given}: no column '{name}'{hint} (the file has: {_columns_text(have)})")


def _digits(text: ir.StringValue, start: int, length: int) -> ir.IntegerValue:
    return text.substr(start, length).try_cast("int64")


def _days_from_civil(year: ir.IntegerValue, month: ir.IntegerValue, day: ir.IntegerValue) -> ir.IntegerValue:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm; years >= 1)."""
    year = year - (month <= 2).ifelse(1, 0)
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * ((month + 9) % 12) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return (era * 146097 + day_of_era - 719468).cast("int64")


def _days_in_month(year: ir.IntegerValue, month: ir.IntegerValue) -> ir.IntegerValue:
    """28 to 31: a date past its month's end (2026-02-31) is no date, not the 3rd of March."""
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    return ibis.cases((month == 2, leap.ifelse(29, 28)), (month.isin([4, 6, 9, 11]), 30), else_=31)


def _scaled(number: ir.NumericValue, unit: str) -> ir.IntegerValue:
    """A number of ``unit`` since 1970 -> microseconds; ``auto`` tells seconds, ms and us apart by size.
    Null for a number past the calendar (or NaN): it is never multiplied out of 64 bits."""
    if number.type().is_integer():
        scale = lambda factor: number * factor  # noqa: E731 - exact for integers
    else:
        scale = lambda factor: (number * factor + 0.5).floor()  # noqa: E731 - nearest microsecond
    size = number.abs()
    if unit != "auto":
        factor = UNIT_MICROS[unit]
        return ibis.cases((size <= LAST_US // factor, scale(factor)), else_=ibis.null("int64")).cast("int64")
    return ibis.cases(
        (size < 1e11, scale(1_000_000)),
        (size < 1e14, scale(1_000)),
        (size <= LAST_US, scale(1)),
        else_=ibis.null("int64"),
    ).cast("int64")


def unreadable_time(ts_us: ir.IntegerValue) -> ir.BooleanValue:
    """No time, or one outside years 1 to 9999, which neither ISO 8601 nor the observed file can
    write. Tested on the computed column, never inside its parsing: Spark would inline the whole
    parse into each use."""
    return ts_us.isnull() | ~ts_us.between(FIRST_US, LAST_US)


def with_ts_micros(table: ir.Table, column: str, unit: str, utc_session: bool = False) -> ir.Table:
    """Adds ``ts_us``: the time column (text, number, timestamp or date) as integer microseconds
    since 1970, UTC; null where it cannot be read, which the computation reports.

    A timestamp without a zone is taken as UTC; ``utc_session`` says the engine's session time
    zone is UTC, so a zoned one may be read as its UTC wall time first (DuckDB then counts
    several times faster). Text may be ISO 8601 (a zone converts to UTC;
    none means UTC) or a number, whose unit is ``unit``. The text is taken apart in stages, each
    a column of its own, so no part of it is computed twice.
    """
    raw = table[column]
    if raw.type().is_numeric():
        return table.mutate(ts_us=_scaled(raw, unit))
    if raw.type().is_timestamp() or raw.type().is_date():  # typed (Parquet): the engine counts
        moment = raw.cast("timestamp") if raw.type().is_date() or utc_session else raw
        epoch = ibis.timestamp("1970-01-01 00:00:00", timezone=moment.type().timezone)
        return table.mutate(ts_us=moment.delta(epoch, unit="microsecond").cast("int64"))
    text = raw.cast("string")
    t = table.mutate(_t=(text.startswith(" ") | text.endswith(" ")).ifelse(text.strip(), text))
    t = t.mutate(_kind=ibis.cases((t._t.re_search(ISO_TIME), 1), (t._t.re_search(INTEGER), 2),
                                  (t._t.re_search(DECIMAL), 3), else_=0),
                 _len=t._t.length())
    has_time, has_seconds = t._len >= 16, (t._len >= 19) & (t._t.substr(16, 1) == ":")
    t = t.mutate(
        _year=_digits(t._t, 0, 4), _month=_digits(t._t, 5, 2), _day=_digits(t._t, 8, 2),
        _hour=has_time.ifelse(_digits(t._t, 11, 2), 0), _minute=has_time.ifelse(_digits(t._t, 14, 2), 0),
        _second=has_seconds.ifelse(_digits(t._t, 17, 2), 0),
        # after the seconds: an optional fraction, then an optional zone (checked by ISO_TIME)
        _rest=(t._kind == 1).ifelse(has_seconds.ifelse(t._t.substr(19), has_time.ifelse(t._t.substr(16), t._t.substr(10))), ""),
    )
    t = t.mutate(_rest_len=t._rest.length(),
                 _sign_at=ibis.greatest(t._rest.find("+"), t._rest.find("-")))
    zone_at = ibis.cases((t._rest.endswith("Z"), t._rest_len - 1), (t._rest.endswith("UTC"), t._rest_len - 3),
                         else_=t._sign_at)
    t = t.mutate(_zone_at=zone_at)
    fraction_end = (t._zone_at >= 0).ifelse(t._zone_at, t._rest_len)
    t = t.mutate(
        _fraction=t._rest.substr(0, 1).isin([".", ","]).ifelse(t._rest.substr(1, fraction_end - 1).replace(" ", ""), ""),
        _zone=(t._zone_at >= 0).ifelse(t._rest.substr(t._zone_at).replace(":", ""), ""),
    )
    t = t.mutate(
        _micros=(t._fraction == "").ifelse(0, t._fraction.substr(0, 6).rpad(6, "0").try_cast("int64")),
        _offset=t._zone.isin(["", "Z", "UTC"]).ifelse(
            0, (t._zone.substr(0, 1) == "-").ifelse(-1, 1)
            * (_digits(t._zone, 1, 2) * 60 + (t._zone.length() >= 5).ifelse(_digits(t._zone, 3, 2), 0))),
    )
    days = _days_from_civil(t._year, t._month, t._day)
    iso = (((days * 24 + t._hour) * 60 + t._minute - t._offset) * 60 + t._second) * 1_000_000 + t._micros
    in_range = (t._month.between(1, 12) & t._day.between(1, _days_in_month(t._year, t._month)) & (t._hour <= 23)
                & (t._minute <= 59) & (t._second <= 60))
    ts_us = ibis.cases(
        ((t._kind == 1) & in_range, iso),
        (t._kind == 2, _scaled(t._t.try_cast("int64"), unit)),
        (t._kind == 3, _scaled(t._t.try_cast("float64"), unit)),
        else_=ibis.null("int64"),
    )
    t = t.mutate(ts_us=ts_us.cast("int64"))
    return t.drop("_t", "_kind", "_len", "_year", "_month", "_day", "_hour", "_minute", "_second", "_rest",
                  "_rest_len", "_sign_at", "_zone_at", "_fraction", "_zone", "_micros", "_offset")


def property_column(name: str) -> str:
    return PROPERTY_PREFIX + name


def _text(column: ir.Value) -> ir.StringValue:
    return column if column.type().is_string() else column.cast("string")


def _selected(table: ir.Table, columns: ResolvedColumns) -> ir.Table:
    """The log's own columns under the normalised names; time still as given (``ts_raw``)."""
    selected: dict[str, ir.Value] = {"actor": _text(table[columns.actor]).nullif("")}
    if columns.session:
        selected["session"] = _text(table[columns.session]).nullif("")
    selected["ts_raw"] = table[columns.ts]
    selected["event"] = _text(table[columns.event]).fill_null("")
    if columns.seq:
        seq = table[columns.seq]
        selected["seq"] = seq.cast("float64") if seq.type().is_numeric() else _text(seq).strip().try_cast("float64")
    for name in columns.properties:
        selected[property_column(name)] = _text(table[name])
    return table.select(**selected)


def normalise(table: ir.Table, columns: ResolvedColumns, utc_session: bool = False) -> ir.Table:
    """The log's own columns -> the normalised ones (see the module's doc); rows without an actor dropped."""
    timed = with_ts_micros(_selected(table, columns), "ts_raw", columns.ts_unit, utc_session)
    timed = timed.filter(timed.actor.notnull())
    names = ["actor", *(["session"] if columns.session else []), "ts_us", "event", *(["seq"] if columns.seq else []),
             *(property_column(name) for name in columns.properties)]
    return timed.select(*names)


def read_events(backend: Any, inputs: list[InputFile], columns: ResolvedColumns) -> ir.Table:
    """Every input, checked for its columns, normalised, as one table (``engines`` set the session
    time zone to UTC)."""
    tables = []
    for item in inputs:
        table = _open(backend, item)
        _check_columns(table, item, columns)
        tables.append(normalise(table, columns, utc_session=True))
    return tables[0] if len(tables) == 1 else ibis.union(*tables)


def raw_time_sample(backend: Any, inputs: list[InputFile], columns: ResolvedColumns) -> tuple[str, str] | None:
    """The first input and time value that cannot be read as a time, to name in an error. The times
    are parsed into a cached table first, as in the computation, so the test is on the column."""
    from cjm.evidence.engines import cached

    for item in inputs:
        timed = with_ts_micros(_selected(_open(backend, item), columns), "ts_raw", columns.ts_unit, utc_session=True)
        with cached(backend, timed.select("actor", "ts_raw", "ts_us")) as parsed:
            bad = parsed.filter(parsed.actor.notnull() & unreadable_time(parsed.ts_us))
            rows = bad.select(value=bad.ts_raw.cast("string")).limit(1).to_pyarrow().to_pylist()
        if rows:
            return item.given, rows[0]["value"]
    return None
