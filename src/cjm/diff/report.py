"""A map diff for people (text), for pull-request comments (markdown) and for machines (json)."""

from __future__ import annotations

import io
import json

from cjm.diff.maps import MapDiff
from cjm.markdown_text import fence, inline, table_cell

FORMATS = ("text", "markdown", "json")


def _num(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:+.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value):+d}"


def _plain(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:g}"


def summary_line(diffs: list[MapDiff]) -> str:
    changed = [d for d in diffs if d.status != "unchanged"]
    drops = sum(len(d.emotion_drops) for d in diffs)
    rises = sum(1 for d in diffs for e in d.emotions if e.delta is not None and e.delta > 0)
    introduced = sum(1 for d in diffs for f in d.findings if f.kind == "introduced")
    fixed = sum(1 for d in diffs for f in d.findings if f.kind == "fixed")
    parts = [f"{len(changed)} of {len(diffs)} map{'s' if len(diffs) != 1 else ''} changed",
             f"{rises} emotion{'s' if rises != 1 else ''} up, {drops} down",
             f"{introduced} finding{'s' if introduced != 1 else ''} introduced, {fixed} fixed"]
    return "; ".join(parts)


def _rows(diff: MapDiff) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, header, rows) per section that has content; shared by text and markdown."""
    sections = []
    if diff.elements:
        sections.append(("Stages and touchpoints", ["change", "element", "id", "name", "detail"],
                         [[c.kind, c.element, c.id, c.name, c.detail] for c in diff.elements]))
    if diff.emotions:
        sections.append(("Emotions", ["touchpoint", "persona", "before", "after", "change"],
                         [[e.touchpoint, e.persona or "all", _num(e.old), _num(e.new), _num(e.delta)] for e in diff.emotions]))
    moved = [s for s in diff.stage_averages if s.delta or (s.old is None) != (s.new is None)]
    if moved:
        sections.append(("Average emotion per stage", ["stage", "before", "after", "change", ""],
                         [[s.name, _num(s.old), _num(s.new), _num(s.delta),
                           "better" if (s.delta or 0) > 0 else "worse" if (s.delta or 0) < 0 else ""] for s in moved]))
    if diff.texts:
        sections.append(("Pain points and opportunities", ["change", "kind", "touchpoint", "text"],
                         [[t.kind, "pain point" if t.field == "pains" else "opportunity", t.touchpoint, t.text] for t in diff.texts]))
    if diff.metrics:
        sections.append(("Metrics", ["touchpoint", "metric", "before", "after", "target", "trend"],
                         [[m.touchpoint, m.metric, _plain(m.old), _plain(m.new), _plain(m.target), m.trend] for m in diff.metrics]))
    if diff.moments:
        sections.append(("Moments of truth", ["change", "touchpoint", "name"],
                         [[m.kind, m.id, m.name] for m in diff.moments]))
    if diff.findings:
        sections.append(("Lint findings", ["change", "code", "severity", "message"],
                         [[f.kind, f.code, f.severity, f.message] for f in diff.findings]))
    return sections


Section = tuple[str, list[str], list[list[str]]]  # title, header, rows


def tables_text(blocks: list[tuple[str, list[str], list[Section], str | None]], footer: str | None = None, *,
                color: bool = False) -> str:
    """Text tables for people: per block a bold heading, its notes, its tables and a bold closing
    line (each optional), a blank line; then a bold footer. Shared by the map and observed diffs."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=color, no_color=not color, width=160,
                      highlight=False, emoji=False, markup=False)
    for heading, notes, sections, closing in blocks:
        console.print(Text(heading, style="bold"))
        for note in notes:
            console.print(Text(f"note: {note}"))
        for title, header, rows in sections:
            table = Table(title=title, title_justify="left", show_edge=False)
            for column in header:
                table.add_column(column)
            for row in rows:
                table.add_row(*row)
            console.print(table)
        if closing:
            console.print(Text(closing, style="bold"))
        console.print()
    if footer:
        console.print(Text(footer, style="bold"))
    return buffer.getvalue()


def render_text(diffs: list[MapDiff], *, color: bool = False) -> str:
    return tables_text([(f"{diff.file}: {diff.status}", [], _rows(diff), None) for diff in diffs],
                       summary_line(diffs), color=color)


def _stage_chart(diff: MapDiff) -> str | None:
    """A Mermaid xychart of the average emotion per stage, before and after."""
    stages = [s for s in diff.stage_averages if s.old is not None or s.new is not None]
    if not stages or not any(s.delta for s in stages):
        return None
    names = ", ".join('"' + s.name.replace('"', "'").replace("\n", " ")[:40] + '"' for s in stages)
    before = ", ".join(f"{(s.old if s.old is not None else 0):.2f}" for s in stages)
    after = ", ".join(f"{(s.new if s.new is not None else 0):.2f}" for s in stages)
    body = (f"xychart-beta\n    title \"Average emotion per stage (before, after)\"\n"
            f"    x-axis [{names}]\n    y-axis \"emotion\" -2 --> 2\n"
            f"    line [{before}]\n    line [{after}]\n")
    return fence(body, "mermaid")


def render_markdown(diffs: list[MapDiff], *, color: bool = False) -> str:
    out = [f"**cjm diff**: {inline(summary_line(diffs))}\n"]
    for diff in diffs:
        regression = " ⚠️ regression" if diff.regressed else ""
        out.append(f"\n### {inline(diff.file)} ({diff.status}){regression}\n")
        for title, header, rows in _rows(diff):
            out.append(f"\n**{title}**\n\n")
            out.append("| " + " | ".join(table_cell(h) for h in header) + " |\n")
            out.append("|" + "---|" * len(header) + "\n")
            out.extend("| " + " | ".join(table_cell(c) for c in row) + " |\n" for row in rows)
        chart = _stage_chart(diff)
        if chart:
            out.append("\n" + chart)
    return "".join(out)


def render_json(diffs: list[MapDiff], *, color: bool = False) -> str:
    document = {
        "version": 1,
        "summary": summary_line(diffs),
        "regressed": any(d.regressed for d in diffs),
        "maps": [d.as_dict() for d in diffs],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


RENDERERS = {"text": render_text, "markdown": render_markdown, "json": render_json}
