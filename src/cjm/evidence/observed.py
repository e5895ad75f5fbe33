"""The observed journey: what ``cjm evidence compute`` writes and ``render``, ``lint`` and ``diff``
read (``--observed FILE``).

A JSON file, read with the same loader as maps, so a broken or hand-edited file is reported at
``file:line:col``. Journeys start at ``source: null`` and end at ``target: null`` (the drop-off).
Durations are integer microseconds. No user ids: only counts. Edges, variants and unmatched event
names seen by fewer than ``provenance.min_users`` users are left out (``suppressed`` counts them).

Version 2 adds ``flows`` (the journeys by step and by stage, for the Sankey) and ``segments`` (the
same counts per value of a log column); version 1 files are read as they are, without them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path as FilePath
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cjm.format.diagnostics import Diagnostic, Severity, SourceMap

OBSERVED_VERSION = 2
OLDEST_VERSION = 1  # files of versions OLDEST_VERSION..OBSERVED_VERSION are read
# Characters the loader refuses in a file (C0 and C1 controls but tab and line ends, DEL,
# surrogates, U+FFFE, U+FFFF) or reads as a line break inside a string (NEL, U+2028, U+2029).
UNREADABLE_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")

Count = Annotated[int, Field(ge=0)]
Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
Micros = Annotated[int, Field(ge=0)]


class Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Input(Part):
    path: str = Field(description="The input file as given on the command line.")
    sha256: str = Field(description="SHA-256 of the file's bytes.")
    bytes: Count


class Provenance(Part):
    cjm: str = Field(description="The cjm version that computed the file.")
    engine: str = Field(description="`duckdb` or `spark`.")
    engine_version: str
    inputs: list[Input]
    since: str | None = Field(None, description="Events before this were left out (ISO time).")
    until: str | None = Field(None, description="Events at or after this were left out (ISO time).")
    first_event: str | None = Field(None, description="The earliest event counted (ISO time, UTC).")
    last_event: str | None = Field(None, description="The latest event counted (ISO time, UTC).")
    grain: str = Field(description="`user` or `session`: what one journey is.")
    session_gap_minutes: int | None = None
    min_users: Count
    rules_sha256: str = Field(description="SHA-256 of the map's analytics block and event rules.")
    order: str = Field(description="How events with the same time are ordered.")


class Totals(Part):
    events: Count
    matched_events: Count
    unmatched_events: Count
    unmatched_share: Share
    users: Count
    journeys: Count


class TouchpointCounts(Part):
    id: str
    stage: str
    events: Count
    users: Count
    journeys: Count = Field(description="Journeys that reach the touchpoint.")
    ends: Count = Field(description="Journeys whose last step is this touchpoint.")
    drop_off: Share | None = Field(None, description="ends / journeys; none when no journey reached it.")


class Edge(Part):
    source: str | None = Field(description="Touchpoint id; null: the journey starts here.")
    target: str | None = Field(description="Touchpoint id; null: the journey ends here (drop-off).")
    count: Count
    journeys: Count | None = Field(None, description="Distinct journeys that took it (version 2; null in version 1 files).")
    users: Count
    share: Share = Field(description="This edge's share of all journeys leaving `source`.")
    median_us: Micros | None = None
    mean_us: Micros | None = None


class StageCounts(Part):
    id: str
    users: Count | None = Field(None, description="Users with an event at the stage; null: no rules in it.")
    journeys: Count | None = None
    conversion: Share | None = Field(None, description="Of the users who reached the previous stage, the share who reached this one.")


class Variant(Part):
    path: list[str]
    journeys: Count
    users: Count
    share: Share = Field(description="Share of all journeys.")


class UnmatchedEvent(Part):
    event: str
    events: Count
    users: Count


class Overlap(Part):
    touchpoint: str = Field(description="The touchpoint the events went to (first in map order).")
    also: str = Field(description="Another touchpoint whose rules matched the same events.")
    events: Count


class Suppressed(Part):
    edges: Count = 0
    variants: Count = 0
    unmatched: Count = 0


class FlowNode(Part):
    column: Count = Field(description="The step number (from 1), or the stage's place in the map (from 0).")
    touchpoint: str
    journeys: Count = Field(description="Journeys at the touchpoint in this column.")
    starts: Count = Field(description="Of them, the journeys that begin here.")
    ends: Count = Field(description="Of them, the journeys that go no further (the drop-off).")


class FlowLink(Part):
    column: Count = Field(description="The column of `source`; `target` is in the next one a journey has.")
    source: str
    target: str
    journeys: Count
    users: Count


class Flows(Part):
    """Journeys through columns, for the Sankey. ``by: step``: column k holds each journey's k-th
    step (the first ``columns`` steps; the rest go on past the last column). ``by: stage``: each
    journey is counted once per stage it reaches, at the touchpoint of its first step there, and
    goes on to the next stage it reaches in map order. Every journey at a node either ends there,
    goes on by a link, goes on by a link taken by fewer than ``min_users`` users (left out,
    ``suppressed`` counts them) or, by step, goes past the last column."""

    by: Literal["step", "stage"]
    columns: Count = Field(description="by step: how many steps are counted; by stage: the map's stages.")
    nodes: list[FlowNode]
    links: list[FlowLink]
    suppressed: Count = Field(0, description="Links taken by fewer than `min_users` users, left out.")

    def at(self, column: int) -> list[FlowNode]:
        return [node for node in self.nodes if node.column == column]


class SegmentTotals(Part):
    journeys: Count
    users: Count


class SegmentTouchpoint(Part):
    id: str
    stage: str
    users: Count
    journeys: Count = Field(description="Journeys of the segment that reach the touchpoint.")
    ends: Count
    drop_off: Share | None = None


class SegmentView(Part):
    """The observed journey of the journeys whose first event has this value in the segment's column."""

    value: str | None = Field(description="The column's value; null: the first event has none.")
    totals: SegmentTotals
    touchpoints: list[SegmentTouchpoint] = Field(default_factory=list)
    edges: list[Edge] = Field(default_factory=list)
    stages: list[StageCounts] = Field(default_factory=list)
    variants: list[Variant] = Field(default_factory=list)
    flows: list[Flows] = Field(default_factory=list)
    suppressed: Suppressed = Field(default_factory=Suppressed)

    def touchpoint(self, tp_id: str) -> SegmentTouchpoint | None:
        return next((t for t in self.touchpoints if t.id == tp_id), None)

    def flow(self, by: str) -> Flows | None:
        return next((f for f in self.flows if f.by == by), None)


class LeftOut(Part):
    values: Count = 0
    journeys: Count = 0


class Segment(Part):
    """The journeys split by one log column: one view per value, largest first."""

    column: str
    values: list[SegmentView]
    under_min_users: LeftOut = Field(default_factory=LeftOut, description="Values with fewer than `min_users` users: not shown.")
    beyond_most: LeftOut = Field(default_factory=LeftOut, description="Values past the largest ones kept: not shown.")

    def value(self, value: str | None) -> SegmentView | None:
        return next((v for v in self.values if v.value == value), None)


class Observed(Part):
    """The observed journey of one map."""

    cjm_observed: Annotated[int, Field(ge=OLDEST_VERSION, le=OBSERVED_VERSION,
                                       description="The file's version: 1, or 2 with flows and segments.")] = OBSERVED_VERSION
    map: str = Field(description="The id of the map whose rules were applied.")
    provenance: Provenance
    totals: Totals
    touchpoints: list[TouchpointCounts]
    edges: list[Edge]
    stages: list[StageCounts]
    variants: list[Variant]
    unmatched: list[UnmatchedEvent]
    overlaps: list[Overlap] = Field(default_factory=list)
    suppressed: Suppressed = Field(default_factory=Suppressed)
    flows: list[Flows] = Field(default_factory=list, description="Version 2: journeys by step and by stage.")
    segments: list[Segment] = Field(default_factory=list, description="Version 2: the counts per value of a log column.")

    def touchpoint(self, tp_id: str) -> TouchpointCounts | None:
        return next((t for t in self.touchpoints if t.id == tp_id), None)

    def flow(self, by: str) -> Flows | None:
        return next((f for f in self.flows if f.by == by), None)

    def segment_values(self) -> list[tuple[str, SegmentView]]:
        return [(segment.column, view) for segment in self.segments for view in segment.values]

    def find_segment(self, wanted: str) -> tuple[str, SegmentView]:
        """``VALUE`` or ``COLUMN=VALUE`` -> (column, view); ``KeyError`` with the message to show."""
        column, _, value = wanted.partition("=") if "=" in wanted else ("", "", wanted)
        found = [(c, v) for c, v in self.segment_values() if (not column or c == column) and segment_label(v.value) == value]
        if len(found) == 1:
            return found[0]
        if not self.segments:
            raise KeyError("the observed file has no segments; compute it with --segment COLUMN")
        if found:
            raise KeyError(f"'{value}' is a value of several segment columns; say which: "
                           + ", ".join(f"{c}={value}" for c, _ in found))
        known = ", ".join(f"{c}={segment_label(v.value)}" for c, v in self.segment_values())
        return_text = f"no segment '{wanted}' in the observed file (segments: {known or 'none kept'})"
        raise KeyError(return_text)


NO_VALUE_LABEL = "(no value)"


def segment_label(value: str | None) -> str:
    """A segment value as shown: the value, or ``(no value)``."""
    return NO_VALUE_LABEL if value is None else value


@dataclass
class LoadedObserved:
    file: str
    source: SourceMap
    observed: Observed | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.observed is not None and not any(d.severity is Severity.error for d in self.diagnostics)


def problems_text(loaded: list[LoadedObserved]) -> str:
    """The problems of observed files that cannot be read, one a line at file:line:col, then a count."""
    lines = [f"{d.location}: {d.severity.value} {d.code} {' '.join(d.message.split())}" for one in loaded for d in one.diagnostics]
    files = ", ".join(one.file for one in loaded)
    return "".join(line + "\n" for line in lines) + f"{files}: not a valid observed journey ({len(lines)} problem{'s' if len(lines) != 1 else ''})\n"


MAX_BYTES = 64 * 1024 * 1024


FAST_BYTES = 8 * 1024 * 1024  # up to this size a valid file is read with the json module first
_INT_LIMIT = 2 ** 63


class _NotPlain(Exception):
    """The text is not plain, valid JSON of an observed file: the loader reads it and says why."""


def _plain_json(raw: bytes) -> dict | None:
    """The file as data when it is plain JSON that cjm itself could have written: UTF-8 without a BOM,
    no duplicate keys, no NaN or infinities, integers within 64 bits, no characters the loader
    refuses. None for anything else, which the loader then reads (and reports at file:line:col)."""
    import json

    if len(raw) > FAST_BYTES or raw.startswith(b"\xef\xbb\xbf"):
        return None

    def pairs(items: list) -> dict:
        found = dict(items)
        if len(found) != len(items) or any(UNREADABLE_TEXT.search(k) or (isinstance(v, str) and UNREADABLE_TEXT.search(v))
                                           for k, v in items):
            raise _NotPlain
        return found

    def integer(text: str) -> int:
        value = int(text)
        if abs(value) >= _INT_LIMIT:
            raise _NotPlain
        return value

    def constant(text: str):
        raise _NotPlain

    try:
        data = json.loads(raw.decode("utf-8"), object_pairs_hook=pairs, parse_int=integer, parse_constant=constant)
    except (_NotPlain, ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def parse_observed(raw: bytes, file: str) -> LoadedObserved:
    from cjm.format.load import Limits, parse_text
    from cjm.format.schema_errors import schema_diagnostics

    plain = _plain_json(raw)  # the loader builds a source map node by node: slow on a large file
    if plain is not None:
        try:
            observed = Observed.model_validate(plain)
        except ValidationError:
            pass  # read again by the loader, for the problems at file:line:col
        else:
            return LoadedObserved(file, SourceMap(lines=raw.decode("utf-8").splitlines()), observed)
    parsed = parse_text(raw, file, Limits(max_bytes=MAX_BYTES, max_nodes=5_000_000))
    loaded = LoadedObserved(file, parsed.source, diagnostics=[_about_observed(d) for d in parsed.diagnostics])
    if parsed.data is None or not parsed.ok:
        return loaded
    try:
        loaded.observed = Observed.model_validate(parsed.data)
    except ValidationError as exc:
        loaded.diagnostics.extend(schema_diagnostics(exc, parsed.data, parsed.source, file, Observed))
    return loaded


# The loader's words about maps that would mislead about an observed file.
_MAP_WORDS = {
    "the file holds no map; a map starts with 'cjm: 1'": 'the file holds no observed journey, a JSON object that starts with "cjm_observed"',
    "the top level of a map must be a mapping (key: value)": "the top level of an observed journey is a JSON object ({...})",
}


def _about_observed(diagnostic: Diagnostic) -> Diagnostic:
    from dataclasses import replace

    words = _MAP_WORDS.get(diagnostic.message)
    return replace(diagnostic, message=words) if words else diagnostic


def read_observed(path: FilePath, file: str | None = None) -> LoadedObserved:
    """Read an observed file; an unreadable one gives an ``OSError`` for the caller to report (exit 2)."""
    return parse_observed(read_limited(path), file or str(path))


def read_limited(path: FilePath) -> bytes:
    """The file's bytes, at most one past the loader's limit (enough to report it as too big).

    Only a regular file is read: a FIFO would block forever and ``/dev/zero`` never ends. It is
    opened without blocking and checked on the open descriptor, so it cannot be swapped between.
    """
    import errno
    import os
    import stat

    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", str(path))
        raise OSError(errno.EINVAL, "not a regular file (a pipe, socket or device)", str(path))
    with os.fdopen(fd, "rb") as handle:
        return handle.read(MAX_BYTES + 1)


def readable_text(text: str) -> str:
    """Text from a log (an event name, a file name) as an observed file can hold it and give back:
    the characters in ``UNREADABLE_TEXT`` become U+FFFD."""
    return UNREADABLE_TEXT.sub("\ufffd", text)


def dump_observed(observed: Observed) -> str:
    """The file's text: stable key order and layout, so the same input gives the same bytes."""
    import json

    return json.dumps(observed.model_dump(mode="json"), indent=2, ensure_ascii=False, sort_keys=False) + "\n"
