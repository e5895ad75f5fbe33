"""The map as a Markdown report (``--view map --format md``) that GitHub and GitLab render.

Header facts, personas, a Mermaid ``journey`` block (see ``cjm.render.mermaid`` for the score
mapping), then tables of pain points, opportunities, moments of truth and metrics.

Map text is escaped so it stays the text it is: every character Markdown (or the HTML a Markdown
renderer lets through) could read as syntax is backslash-escaped or written as an entity, line
breaks become spaces, and each code fence is opened with more backticks than the longest run in
its content, so nothing in a map can end a table cell, start a block or close a fence.
"""

from __future__ import annotations

import re

from cjm.journey import Journey, Step, mood
from cjm.render import mermaid
from cjm.render.mapfacts import check_persona, metric_status, metric_text, number, review, signed

_HTML = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}
# ASCII punctuation with a meaning anywhere in a line in CommonMark, GFM or GitLab (escapes,
# code, emphasis, links, tables, strikethrough, math, references and mentions). Backslash-escaping
# any ASCII punctuation is always allowed; characters that matter only at the start of a line are
# handled by _BLOCK_START.
_PUNCTUATION = "\\`*_[]#|~$@"
_ESCAPES = str.maketrans({**{c: "\\" + c for c in _PUNCTUATION}, **_HTML})
_BLOCK_START = re.compile(r"^(?:[-+=]|\d{1,9}[.)](?=\s|$))")
_WHITESPACE = re.compile(r"\s+")


def inline(text: str | None) -> str:
    """Map text -> Markdown inline text, safe in a paragraph, a list item or a table cell."""
    if not text:
        return ""
    flat = _WHITESPACE.sub(" ", text).strip()
    out = flat.translate(_ESCAPES)
    match = _BLOCK_START.match(out)
    if match:  # "- x", "+ x", "1. x", "---", "===" would start a list, a rule or a heading
        out = out[: match.end() - 1] + "\\" + out[match.end() - 1:]
    return out


def paragraphs(text: str | None) -> list[str]:
    """Blank-line separated paragraphs, each escaped as one line."""
    if not text:
        return []
    return [inline(part) for part in re.split(r"\n\s*\n", text) if part.strip()]


def fence(content: str, info: str = "") -> str:
    """A fenced code block whose fence no backtick run in ``content`` can close."""
    longest = max((len(run) for run in re.findall(r"`+", content)), default=0)
    ticks = "`" * max(3, longest + 1)
    body = content if content.endswith("\n") else content + "\n"
    return f"{ticks}{info}\n{body}{ticks}\n"


def table(headers: list[str], rows: list[list[str]]) -> list[str]:
    """A GFM table; cells must already be escaped with ``inline``."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(" --- " for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell or " " for cell in row) + " |" for row in rows]
    return lines


def _where(step: Step) -> list[str]:
    return [inline(step.stage.name), inline(step.touchpoint.name)]


def _steps(journey: Journey, persona: str | None) -> list[Step]:
    return [s for s in journey.steps if persona is None or journey.serves(s, persona)]


def _feeling(journey: Journey, step: Step, persona: str | None) -> str:
    names = {p.id: p.name for p in journey.personas}
    who = [persona] if persona else journey.personas_at(step) or [None]
    parts = []
    for pid in who:
        score = journey.emotion(step, pid) if pid else journey.average_emotion(step)
        label = f"{signed(score)} ({mood(score)})" if score is not None else "no score"
        parts.append(f"{names[pid]}: {label}" if pid and len(journey.persona_ids) > 1 else label)
    return inline("; ".join(parts))


def _header(journey: Journey, persona: str | None) -> list[str]:
    doc = journey.map
    out = [f"# {inline(doc.title)}", ""]
    for para in paragraphs(doc.description):
        out += [para, ""]
    facts = []
    if doc.owner:
        facts.append(f"- **Owner:** {inline(doc.owner)}")
    status = review(journey)
    flag = "\u26a0 " if status.stale else ""
    facts.append(f"- **Last review:** {flag}{inline(status.summary)}")
    facts.append(f"- **Stages:** {len(doc.stages)}, **touchpoints:** {len(_steps(journey, persona))}")
    if persona:
        name = next(p.name for p in journey.personas if p.id == persona)
        facts.append(f"- **Persona view:** {inline(name)}")
    out += facts + [""]
    if doc.objectives:
        out += ["## Objectives", ""]
        rows = [[inline(o.statement), inline(o.metric), inline(number(o.baseline, o.unit)),
                 inline(number(o.target, o.unit)), o.due.isoformat() if o.due else ""] for o in doc.objectives]
        out += table(["Objective", "Metric", "Baseline", "Target", "Due"], rows) + [""]
    return out


def _personas(journey: Journey, persona: str | None) -> list[str]:
    shown = [p for p in journey.personas if persona is None or p.id == persona]
    if not shown:
        return []
    out = ["## Personas", ""]
    for p in shown:
        line = f"- **{inline(p.name)}**"
        if p.description:
            line += f": {inline(p.description)}"
        out.append(line)
        for label, items in (("Goals", p.goals), ("Challenges", p.challenges), ("Channels", p.channels)):
            if items:
                out.append(f"  - {label}: " + "; ".join(inline(i) for i in items))
    return out + [""]


def _list_table(journey: Journey, persona: str | None, field: str, title: str, column: str) -> list[str]:
    rows = [_where(s) + [inline(item)] for s in _steps(journey, persona) for item in getattr(s.touchpoint, field)]
    if not rows:
        return []
    return [f"## {title}", ""] + table(["Stage", "Touchpoint", column], rows) + [""]


def _moments(journey: Journey, persona: str | None) -> list[str]:
    rows = []
    for s in _steps(journey, persona):
        if s.touchpoint.moment_of_truth:
            metrics = "; ".join(inline(metric_text(m)) for m in s.touchpoint.metrics)
            rows.append(_where(s) + [_feeling(journey, s, persona), metrics])
    if not rows:
        return []
    return ["## Moments of truth", ""] + table(["Stage", "Touchpoint", "Emotion", "Metrics"], rows) + [""]


def _metrics(journey: Journey, persona: str | None) -> list[str]:
    rows = []
    for s in _steps(journey, persona):
        for m in s.touchpoint.metrics:
            status = metric_status(m)
            better = "higher" if m.direction.value == "higher" else "lower"
            rows.append(_where(s) + [
                inline(m.name), inline(number(m.value, m.unit)), inline(number(m.target, m.unit)),
                f"{better} is better", f"{status.symbol} {status.words}", inline(m.source)])
    if not rows:
        return []
    headers = ["Stage", "Touchpoint", "Metric", "Value", "Target", "Direction", "Status", "Source"]
    return ["## Metrics", ""] + table(headers, rows) + [""]


def report(journey: Journey, persona: str | None = None, observed=None) -> str:
    """``observed``: a ``cjm.evidence.observed.Observed`` whose funnel and touchpoint counts to add."""
    check_persona(journey, persona)
    out = _header(journey, persona) + _personas(journey, persona)
    out += ["## Journey", "", fence(mermaid.journey_source(journey, persona), "mermaid")]
    if observed is not None:
        from cjm.render.map_evidence import markdown

        out += markdown(journey, observed, persona)
    out += _list_table(journey, persona, "pains", "Pain points", "Pain point")
    out += _list_table(journey, persona, "opportunities", "Opportunities", "Opportunity")
    out += _moments(journey, persona)
    out += _metrics(journey, persona)
    return "\n".join(out).rstrip("\n") + "\n"
