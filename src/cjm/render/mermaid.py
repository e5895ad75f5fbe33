"""Mermaid ``journey`` source of a map (``--view journey --format mermaid``), and its escaping.

The mapping, which ``cjm.importers.mermaid`` reads back:

- ``title`` is the map title, ``accDescr`` its description (one line);
- each stage is a ``section``, each touchpoint a task ``name: score: actor, actor``;
- actors are the names of the personas the touchpoint serves;
- scores go from the map's -2..+2 to Mermaid's 1..5 linearly (``score + 3``), rounded half up,
  so -0.5 becomes 3 and +0.5 becomes 4; reading back gives ``mermaid - 3``. A 0.5 step is the
  most a round trip can move a score;
- personas who feel differently at one touchpoint get one task line per score, with the same task
  name; the importer joins consecutive lines of one name into one touchpoint again;
- Mermaid wants a score on every task, so where the map records no emotion the task is written
  with the neutral 3 after a ``%% cjm: no emotion`` comment line, which the importer honours.

Escaping: Mermaid's lexer ends a task name at ``:``, ``;`` and ``#``, splits actors at ``,``,
drops the rest of a line after ``%%`` or a lone ``#``, and takes ``journey``, ``title`` and
``section`` at the start of a statement as keywords. ``escape`` writes every character that could
do any of that (and quotes, angle brackets, ampersands and backticks, so the source is also safe
inside Markdown and HTML) as a Mermaid entity code ``#<decimal>;``, which Mermaid turns back into
the character when it draws; line breaks become spaces, so no text can start a new statement.
"""

from __future__ import annotations

import math
import re

from cjm.journey import Journey, Step
from cjm.render.mapfacts import check_persona, steps_by_stage

FORMATS = ("mermaid",)

MIN_SCORE, MAX_SCORE = 1, 5
NO_EMOTION_MARK = "%% cjm: no emotion"
KEYWORDS = ("journey", "title", "section", "acctitle", "accdescr")

# Characters Mermaid reads as syntax or entity-code machinery (its placeholders use ° ¶ ß).
_ENCODED = '#:;,%"\'<>&`{}°¶ß'
_CODES = str.maketrans({c: f"#{ord(c)};" for c in _ENCODED})
_LINE_BREAKS = re.compile(r"[\r\n\v\f\x85\u2028\u2029]+")


def code(char: str) -> str:
    """A character as a Mermaid entity code: ``:`` -> ``#58;``."""
    return f"#{ord(char)};"


def escape(text: str, *, statement_start: bool = False) -> str:
    """Map text -> one line of Mermaid text that reads back as ``text`` (whitespace trimmed).

    ``statement_start`` is for task names, which begin a statement: a leading keyword such as
    "Title page" would otherwise be read as ``title``.
    """
    flat = " ".join(_LINE_BREAKS.sub(" ", text).split())
    if not flat:
        return code(" ")
    out = flat.translate(_CODES)
    if statement_start and out.lower().startswith(KEYWORDS):
        out = code(out[0]) + out[1:]
    return out


def to_mermaid_score(score: float) -> int:
    """-2..+2 -> 1..5: ``score + 3``, rounded half up."""
    return max(MIN_SCORE, min(MAX_SCORE, math.floor(score + 3 + 0.5)))


def from_mermaid_score(value: float) -> float:
    """1..5 -> -2..+2: ``value - 3``."""
    return max(-2.0, min(2.0, float(value) - 3))


def actor_names(journey: Journey) -> dict[str, str]:
    """Persona id -> the actor name written for it; a name two personas share gets its id added."""
    counts: dict[str, int] = {}
    for persona in journey.personas:
        counts[persona.name.strip()] = counts.get(persona.name.strip(), 0) + 1
    return {
        p.id: p.name.strip() if counts[p.name.strip()] == 1 else f"{p.name.strip()} ({p.id})"
        for p in journey.personas
    }


def task_groups(journey: Journey, step: Step, persona: str | None = None) -> list[tuple[int | None, list[str]]]:
    """The task lines of one touchpoint: (Mermaid score or None, persona ids), in persona order.

    Without personas there is one line with no actors. With ``persona``, only that persona.
    """
    if not journey.persona_ids:
        score = journey.emotion(step, None)
        return [(None if score is None else to_mermaid_score(score), [])]
    served = [persona] if persona else journey.personas_at(step)
    if not served:
        score = journey.average_emotion(step)
        return [(None if score is None else to_mermaid_score(score), [])]
    groups: dict[int | None, list[str]] = {}
    for pid in served:
        score = journey.emotion(step, pid)
        groups.setdefault(None if score is None else to_mermaid_score(score), []).append(pid)
    return list(groups.items())


def journey_lines(journey: Journey, persona: str | None = None, indent: str = "    ") -> list[str]:
    """The Mermaid ``journey`` source, line by line."""
    names = actor_names(journey)
    by_stage = steps_by_stage(journey)
    doc = journey.map
    lines = ["journey", f"{indent}title {escape(doc.title)}"]
    if doc.description and doc.description.strip():
        lines.append(f"{indent}accDescr: {escape(doc.description)}")
    for stage_index, stage in enumerate(doc.stages):
        lines.append(f"{indent}section {escape(stage.name)}")
        for step in by_stage.get(stage_index, []):
            if persona and not journey.serves(step, persona):
                continue
            name = escape(step.touchpoint.name, statement_start=True)
            for score, pids in task_groups(journey, step, persona):
                if score is None:
                    lines.append(f"{indent * 2}{NO_EMOTION_MARK}")
                actors = ", ".join(escape(names[pid]) for pid in pids)
                shown = 3 if score is None else score
                lines.append(f"{indent * 2}{name}: {shown}: {actors}" if actors else f"{indent * 2}{name}: {shown}")
    return lines


def journey_source(journey: Journey, persona: str | None = None) -> str:
    return "\n".join(journey_lines(journey, persona)) + "\n"


def render(journey: Journey, fmt: str, options) -> bytes:
    check_persona(journey, options.persona)
    return journey_source(journey, options.persona).encode("utf-8")
