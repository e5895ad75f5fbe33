"""The observed journey: what ``cjm evidence compute`` writes and ``render``, ``lint`` and ``diff``
read (``--observed FILE``).

A JSON file, read with the same loader as maps, so a broken or hand-edited file is reported at
``file:line:col``. Journeys start at ``source: null`` and end at ``target: null`` (the drop-off).
Durations are integer microseconds. No user ids: only counts. Edges, variants and unmatched event
names seen by fewer than ``provenance.min_users`` users are left out (``suppressed`` counts them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path as FilePath
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cjm.format.diagnostics import Diagnostic, Severity, SourceMap

OBSERVED_VERSION = 1
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


class Observed(Part):
    """The observed journey of one map."""

    cjm_observed: Annotated[int, Field(ge=OBSERVED_VERSION, le=OBSERVED_VERSION)] = OBSERVED_VERSION
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

    def touchpoint(self, tp_id: str) -> TouchpointCounts | None:
        return next((t for t in self.touchpoints if t.id == tp_id), None)


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


def parse_observed(raw: bytes, file: str) -> LoadedObserved:
    from cjm.format.load import Limits, parse_text
    from cjm.format.schema_errors import schema_diagnostics

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
