"""An observed-journey diff as text, Markdown (a pull-request comment) or JSON, like the map diff."""

from __future__ import annotations

import json

from cjm.diff.report import tables_text
from cjm.evidence.diff import ObservedDiff
from cjm.markdown_text import inline, table_cell


def _count(value: int | float | None) -> str:
    return "–" if value is None else f"{value:,}"


def _signed(value: int | None) -> str:
    return "–" if value is None else f"{value:+,}"


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%".replace(".0%", "%")


def _points(delta: float | None) -> str:
    """A change of share in percentage points: ``+4.2 pts``."""
    if delta is None:
        return "–"
    return f"{delta * 100:+.1f} pts".replace(".0 pts", " pts")


def _total(name: str, value: float) -> str:
    return _share(value) if name == "unmatched_share" else _count(int(value))


def _total_delta(name: str, delta: float) -> str:
    return _points(delta) if name == "unmatched_share" else _signed(int(delta))


TOTAL_NAMES = {"events": "events", "users": "users", "journeys": "journeys", "unmatched_share": "events no rule maps"}


def summary_line(diff: ObservedDiff) -> str:
    if diff.status == "added":
        return "a new observed file: nothing to compare with"
    journeys = next(t for t in diff.totals if t.name == "journeys")
    kinds = [e.kind for e in diff.edges]
    parts = [
        f"{_count(int(journeys.old))} → {_count(int(journeys.new))} journeys",
        f"{kinds.count('appeared')} edge{'s' if kinds.count('appeared') != 1 else ''} appeared, "
        f"{kinds.count('disappeared')} disappeared, {kinds.count('changed')} moved more than {_points(diff.share_change)[1:]}",
        f"conversion down at {len(diff.conversion_drops)} stage{'s' if len(diff.conversion_drops) != 1 else ''}, "
        f"drop-off up at {len(diff.drop_off_rises)} touchpoint{'s' if len(diff.drop_off_rises) != 1 else ''}",
    ]
    if diff.segments:
        drops = len(diff.segment_drops)
        parts.append(f"a segment's conversion down at {drops} stage{'s' if drops != 1 else ''}")
    return "; ".join(parts)


def _rows(diff: ObservedDiff) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, header, rows) per section that has content; shared by text and Markdown."""
    sections = []
    if diff.totals:
        sections.append(("The log", ["", "before", "after", "change"],
                         [[TOTAL_NAMES[t.name], _total(t.name, t.old), _total(t.name, t.new), _total_delta(t.name, t.delta)]
                          for t in diff.totals]))
    if diff.stages:
        sections.append(("Stages", ["stage", "users before", "after", "change", "conversion before", "after", "change"],
                         [[s.id, _count(s.users_old), _count(s.users_new),
                           _signed(None if s.users_old is None or s.users_new is None else s.users_new - s.users_old),
                           _share(s.conversion_old), _share(s.conversion_new), _points(s.conversion_delta)]
                          for s in diff.stages]))
    if diff.touchpoints:
        sections.append(("Touchpoints", ["touchpoint", "stage", "users before", "after", "change", "drop-off before", "after", "change"],
                         [[t.id + ("" if t.kind in ("changed", "unchanged") else f" ({t.kind})"), t.stage,
                           _count(t.users_old), _count(t.users_new), _signed(t.users_delta),
                           _share(t.drop_off_old), _share(t.drop_off_new), _points(t.drop_off_delta)]
                          for t in diff.touchpoints]))
    if diff.edges:
        sections.append((f"Edges (appeared, disappeared, or share of their source's exits moved more than {_points(diff.share_change)[1:]})",
                         ["change", "edge", "share before", "after", "change", "count before", "after"],
                         [[e.kind, e.label, _share(e.share_old), _share(e.share_new), _points(e.share_delta),
                           _count(e.count_old), _count(e.count_new)] for e in diff.edges]))
    if diff.segments:
        rows = []
        for segment in diff.segments:
            kind = "" if segment.kind in ("changed", "unchanged") else f" ({segment.kind})"
            stages = [s for s in segment.stages if s.conversion_old is not None or s.conversion_new is not None]
            for i, s in enumerate(stages or [None]):
                first = i == 0
                rows.append([segment.label + kind if first else "",
                             _count(segment.journeys_old) if first else "", _count(segment.journeys_new) if first else "",
                             s.id if s else "", _share(s.conversion_old) if s else "", _share(s.conversion_new) if s else "",
                             _points(s.conversion_delta) if s else ""])
        sections.append(("Segments (conversion from the stage before, per segment value)",
                         ["segment", "journeys before", "after", "stage", "conversion before", "after", "change"], rows))
    return sections


def _one_line(text: str) -> str:
    """Ids and times from a hand-edited file as they show in a terminal: a line break there could
    start a line of its own (a CI workflow command), an escape sequence act on the terminal."""
    return "".join(c if c.isprintable() else "?" for c in text)


def render_text(diffs: list[ObservedDiff], *, color: bool = False) -> str:
    blocks = []
    for diff in diffs:
        sections = [(title, header, [[_one_line(cell) for cell in row] for row in rows]) for title, header, rows in _rows(diff)]
        blocks.append((_one_line(f"{diff.file}: {diff.status}"), [_one_line(note) for note in diff.notes], sections,
                       summary_line(diff)))
    return tables_text(blocks, color=color)


def render_markdown(diffs: list[ObservedDiff], *, color: bool = False) -> str:
    out = []
    for diff in diffs:
        regression = " ⚠️ regression" if diff.regressed else ""
        out.append(f"**cjm diff** (observed journeys): {inline(summary_line(diff))}\n")
        out.append(f"\n### {inline(diff.file)} ({diff.status}){regression}\n")
        if diff.notes:
            out.append("\n" + "".join(f"- note: {inline(note)}\n" for note in diff.notes))
        for title, header, rows in _rows(diff):
            out.append(f"\n**{inline(title)}**\n\n")
            out.append("| " + " | ".join(table_cell(h) for h in header) + " |\n")
            out.append("|" + "---|" * len(header) + "\n")
            out.extend("| " + " | ".join(table_cell(c) for c in row) + " |\n" for row in rows)
    return "".join(out)


def render_json(diffs: list[ObservedDiff], *, color: bool = False) -> str:
    document = {
        "version": 1,
        "kind": "observed",
        "summary": "; ".join(summary_line(d) for d in diffs),
        "regressed": any(d.regressed for d in diffs),
        "observed": [d.as_dict() for d in diffs],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


RENDERERS = {"text": render_text, "markdown": render_markdown, "json": render_json}
