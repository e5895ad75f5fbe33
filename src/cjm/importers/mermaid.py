"""Mermaid ``journey`` diagrams -> a valid map (``cjm import mermaid FILE.mmd``).

Reads what Mermaid's journey grammar reads, line by line, and says where it is not that:

- ``journey`` first (after blank lines, ``%%`` comments, ``%%{...}%%`` directives or a ``---``
  front-matter block, whose ``title:`` is used);
- ``title Text``, ``accTitle: Text``, ``accDescr: Text`` or ``accDescr { ... }`` over lines;
- ``section Name`` -> a stage; ``Task name: score: Actor, Actor`` (actors optional) -> a touchpoint;
- ``%%`` starts a comment anywhere in a line (not inside ``accTitle``/``accDescr``), and so does a
  ``#`` that is not part of an entity code such as ``#58;`` (Mermaid's rule);
- entity codes ``#58;`` / ``#quot;`` are turned back into characters.

Actors become personas (id slugged from the name), each task's score goes back from 1..5 to
-2..+2 (``score - 3``, see ``cjm.render.mermaid``) as that persona's emotion, and a touchpoint
serving fewer than all personas lists the ones it serves. Consecutive tasks with one name and
different actors are one touchpoint where the personas feel differently (how the exporter writes
them). Ids are slugs, unique across personas, stages and touchpoints.
"""

from __future__ import annotations

import html.entities
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from cjm.format.diagnostics import Diagnostic
from cjm.importers import ImportResult
from cjm.format.model import SLUG_PATTERN
from cjm.render.mermaid import MAX_SCORE, MIN_SCORE, NO_EMOTION_MARK, from_mermaid_score

CODE, NAME = "CJM040", "mermaid-syntax"
MAX_BYTES = 5 * 1024 * 1024
MAX_TEXT, MAX_LONG_TEXT, MAX_ID = 2000, 20000, 64

_ENTITY = re.compile(r"#(\w+);")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_OTHER_DIAGRAMS = re.compile(
    r"^(flowchart|graph|sequenceDiagram|classDiagram(?:-v2)?|stateDiagram(?:-v2)?|erDiagram|gantt|pie|"
    r"gitGraph|mindmap|timeline|quadrantChart|requirementDiagram|C4\w+|sankey(?:-beta)?|xychart(?:-beta)?|"
    r"block(?:-beta)?|packet(?:-beta)?|kanban|architecture(?:-beta)?|radar(?:-beta)?|zenuml)\b",
    re.IGNORECASE,
)
_ACC_TITLE = re.compile(r"^accTitle\s*:\s*", re.IGNORECASE)
_ACC_DESCR = re.compile(r"^accDescr\s*:\s*", re.IGNORECASE)
_ACC_DESCR_BLOCK = re.compile(r"^accDescr\s*\{", re.IGNORECASE)
_SLUG_OK = re.compile(SLUG_PATTERN)


class MermaidError(Exception):
    def __init__(self, line: int, col: int, message: str, hint: str | None = None):
        super().__init__(message)
        self.line, self.col, self.message, self.hint = line, col, message, hint


@dataclass
class Task:
    name: str
    score: float | None  # -2..+2, None after a "no emotion" mark
    actors: list[str]
    line: int


@dataclass
class Section:
    name: str
    tasks: list[Task] = field(default_factory=list)


@dataclass
class Diagram:
    title: str | None = None
    acc_title: str | None = None
    description: str | None = None
    sections: list[Section] = field(default_factory=list)


def decode(text: str, line: int, col: int) -> str:
    """Entity codes -> characters; codes for characters a map cannot hold are refused."""

    def one(match: re.Match) -> str:
        body = match.group(1)
        if body.isdigit():
            point = int(body)
        elif body in html.entities.name2codepoint:
            point = html.entities.name2codepoint[body]
        else:
            return match.group(0)
        if point > 0x10FFFF or _CONTROL.match(chr(point)):
            raise MermaidError(line, col + match.start(), f"entity code '{match.group(0)}' is not a character a map can hold")
        return chr(point)

    return _ENTITY.sub(one, text)


def _strip_comment(text: str) -> str:
    """Cut at ``%%`` or at a ``#`` that does not start an entity code."""
    cut = text.find("%%")
    if cut >= 0:
        text = text[:cut]
    pos = 0
    while True:
        hash_at = text.find("#", pos)
        if hash_at < 0:
            return text
        match = _ENTITY.match(text, hash_at)
        if match is None:
            return text[:hash_at]
        pos = match.end()


def _check_semicolons(text: str, line: int, offset: int) -> None:
    """A ``;`` outside an entity code ends Mermaid's statement and breaks its parse."""
    masked = _ENTITY.sub(lambda m: "x" * len(m.group(0)), text)
    at = masked.find(";")
    if at >= 0:
        raise MermaidError(line, offset + at + 1, "';' is not allowed in a journey statement",
                           "write a semicolon in text as #59;")


def _text(value: str, line: int, col: int, what: str, limit: int = MAX_TEXT) -> str:
    """``value`` (starting at ``col``) decoded, whitespace collapsed, checked against the map's limits."""
    col += len(value) - len(value.lstrip())
    value = value.lstrip()
    decoded = " ".join(decode(value, line, col).split()) if value.strip() else ""
    if not decoded:
        if value.strip():  # only entity-coded spaces: keep one, a name cannot be empty
            return " "
        raise MermaidError(line, col, f"{what} is empty")
    if len(decoded) > limit:
        raise MermaidError(line, col, f"{what} is {len(decoded):,} characters long; a map allows {limit:,}")
    return decoded


class _Parser:
    def __init__(self, lines: list[str]):
        self.lines = lines
        self.diagram = Diagram()
        self.started = False
        self.no_emotion_next = False
        self.front_title: str | None = None

    def parse(self) -> Diagram:
        index = self._front_matter()
        while index < len(self.lines):
            index = self._line(index)
        if not self.started:
            raise MermaidError(1, 1, "not a Mermaid journey diagram: no 'journey' line",
                               "a journey diagram starts with the line 'journey'")
        if self.diagram.title is None and self.front_title:
            self.diagram.title = self.front_title
        return self.diagram

    def _front_matter(self) -> int:
        first = next((i for i, text in enumerate(self.lines) if text.strip()), None)
        if first is None or self.lines[first].strip() != "---":
            return 0
        for i in range(first + 1, len(self.lines)):
            text = self.lines[i]
            if text.strip() == "---":
                return i + 1
            match = re.match(r"^title:\s*(.*?)\s*$", text)
            if match and match.group(1):
                value = match.group(1)
                if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                    value = value[1:-1]
                self.front_title = _text(value, i + 1, match.start(1) + 1, "the title")
        raise MermaidError(first + 1, 1, "front matter opened with '---' is never closed")

    def _line(self, index: int) -> int:
        number = index + 1
        raw = self.lines[index]
        stripped = raw.strip()
        offset = len(raw) - len(raw.lstrip())
        if " ".join(stripped.split()) == NO_EMOTION_MARK:
            self.no_emotion_next = True
            return index + 1
        if stripped.startswith("%%"):
            return index + 1
        if self.started:
            acc = _ACC_TITLE.match(stripped) or _ACC_DESCR.match(stripped)
            if acc:
                self._acc(stripped, acc, number, offset)
                return index + 1
            if _ACC_DESCR_BLOCK.match(stripped):
                return self._acc_block(index, raw)
        body = _strip_comment(raw)
        if not body.strip():
            return index + 1
        _check_semicolons(body, number, 0)
        self._statement(body.strip(), number, len(body) - len(body.lstrip()) + 1)
        return index + 1

    def _acc(self, stripped: str, match: re.Match, number: int, offset: int) -> None:
        value = stripped[match.end():]
        col = offset + match.end() + 1
        if match.re is _ACC_TITLE:
            self.diagram.acc_title = _text(value, number, col, "accTitle")
        else:
            self.diagram.description = _text(value, number, col, "accDescr", MAX_LONG_TEXT)

    def _acc_block(self, index: int, raw: str) -> int:
        start = raw.index("{") + 1
        parts: list[str] = []
        text = raw[start:]
        i = index
        while "}" not in text:
            parts.append(text)
            i += 1
            if i >= len(self.lines):
                raise MermaidError(index + 1, start, "accDescr { is never closed with }")
            text = self.lines[i]
        parts.append(text[: text.index("}")])
        if text[text.index("}") + 1:].strip():
            raise MermaidError(i + 1, text.index("}") + 2, "nothing may follow the } that closes accDescr")
        self.diagram.description = _text("\n".join(parts), index + 1, start + 1, "accDescr", MAX_LONG_TEXT)
        return i + 1

    def _statement(self, text: str, number: int, col: int) -> None:
        word = text.split(None, 1)[0]
        if not self.started:
            if word.lower() == "journey":
                self.started = True
                rest = text[len(word):]
                if rest.strip():  # Mermaid allows "journey title X" on one line
                    self._statement(rest.strip(), number, col + len(text) - len(rest.lstrip()))
                return
            other = _OTHER_DIAGRAMS.match(text)
            if other:
                raise MermaidError(number, col, f"this is a Mermaid {other.group(1)} diagram, not a journey",
                                   "cjm imports journey diagrams: a file that starts with 'journey'")
            raise MermaidError(number, col, f"expected 'journey' as the first statement, found '{_clip(text)}'")
        lower = word.lower()
        if lower == "journey":
            raise MermaidError(number, col, "a second 'journey': one file holds one diagram")
        if lower == "title" and text[len(word):len(word) + 1].isspace():
            self.diagram.title = _text(text[len(word):], number, col + len(word), "the title")
        elif lower == "title":
            raise MermaidError(number, col, "'title' needs the title after it, e.g. 'title Online checkout'")
        elif lower == "section":
            self._section(text, word, number, col)
        elif lower in ("acctitle", "accdescr"):
            raise MermaidError(number, col, f"'{word}' needs ':' and a text, e.g. 'accTitle: Checkout journey'")
        else:
            self._task(text, number, col)

    def _section(self, text: str, word: str, number: int, col: int) -> None:
        name = text[len(word):]
        if not name.strip():
            raise MermaidError(number, col, "'section' needs a name, e.g. 'section Purchase'")
        if ":" in name:
            raise MermaidError(number, col + len(word) + name.index(":"), "a section name cannot contain ':'",
                               "write a colon in a name as #58;")
        self.diagram.sections.append(Section(_text(name, number, col + len(word), "the section name")))
        self.no_emotion_next = False

    def _task(self, text: str, number: int, col: int) -> None:
        if ":" not in text:
            raise MermaidError(number, col, f"not a journey statement: '{_clip(text)}'",
                               "expected 'title', 'section', 'accTitle:', 'accDescr:' or a task 'Name: score: Actor, Actor'")
        name, data = text.split(":", 1)
        if not name.strip():
            raise MermaidError(number, col, "a task needs a name before ':'")
        data_col = col + len(name) + 1
        pieces = data.split(":")
        if len(pieces) > 2:
            extra = data_col + len(pieces[0]) + 1 + len(pieces[1])
            raise MermaidError(number, extra, "a task has at most two ':' (name: score: actors)",
                               "write a colon in a name as #58;")
        score = self._score(pieces[0], number, data_col + _indent(pieces[0]))
        actors: list[str] = []
        if len(pieces) == 2 and pieces[1].strip():
            at = data_col + len(pieces[0]) + 1
            for part in pieces[1].split(","):
                if not part.strip():
                    raise MermaidError(number, at, "empty actor name between commas")
                actors.append(_text(part, number, at, "the actor name"))
                at += len(part) + 1
        if not self.diagram.sections:
            self.diagram.sections.append(Section("Journey"))
        marked = self.no_emotion_next
        self.no_emotion_next = False
        task_name = _text(name, number, col, "the task name")
        self.diagram.sections[-1].tasks.append(Task(task_name, None if marked else score, actors, number))

    def _score(self, text: str, number: int, col: int) -> float:
        value = text.strip()
        try:
            score = float(value)
        except ValueError:
            raise MermaidError(number, col, f"expected a score from {MIN_SCORE} to {MAX_SCORE} after the task name, found '{_clip(value)}'",
                               "a task is 'Name: score: Actor, Actor', e.g. 'Pay: 2: Rosa'") from None
        if not MIN_SCORE <= score <= MAX_SCORE:
            raise MermaidError(number, col, f"score {value} is outside {MIN_SCORE}..{MAX_SCORE}",
                               f"journey scores go from {MIN_SCORE} (very negative) to {MAX_SCORE} (very positive)")
        return from_mermaid_score(score)


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip())


def _clip(text: str, length: int = 40) -> str:
    return text if len(text) <= length else text[: length - 3] + "..."


class _Ids:
    """Slugs unique across personas, stages and touchpoints."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def make(self, name: str, fallback: str) -> str:
        folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
        base = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")[:MAX_ID].strip("-") or fallback
        candidate, n = base, 2
        while candidate in self.used:
            suffix = f"-{n}"
            candidate = base[: MAX_ID - len(suffix)].strip("-") + suffix
            n += 1
        assert _SLUG_OK.match(candidate), candidate
        self.used.add(candidate)
        return candidate


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def to_map_data(diagram: Diagram, fallback_title: str) -> dict:
    """The diagram as map data, ready for YAML."""
    ids = _Ids()
    title = diagram.title or diagram.acc_title or fallback_title
    personas: dict[str, str] = {}  # actor name -> persona id, in order of appearance
    for section in diagram.sections:
        for task in section.tasks:
            for actor in task.actors:
                if actor not in personas:  # "Rosa, repeat buyer" -> rosa
                    personas[actor] = ids.make(re.split(r"[,(]", actor)[0], "persona")
    stages = []
    touchpoints_of: list[list[dict]] = []
    for section in diagram.sections:
        stage = {"id": ids.make(section.name, "stage"), "name": section.name}
        touchpoints: list[dict] = []
        previous: Task | None = None
        for task in section.tasks:
            joins = (previous is not None and touchpoints and task.name == previous.name and task.actors
                     and previous.actors and not set(task.actors) & set(touchpoints[-1]["_actors"]))
            if joins:
                touchpoint = touchpoints[-1]
            else:
                touchpoint = {"id": ids.make(task.name, "touchpoint"), "name": task.name, "_actors": [], "_scores": {}}
                touchpoints.append(touchpoint)
                if not task.actors and task.score is not None:
                    touchpoint["emotion"] = _number(task.score)
            for actor in task.actors:
                touchpoint["_actors"].append(actor)
                if task.score is not None:
                    touchpoint["_scores"][personas[actor]] = _number(task.score)
            previous = task
        stages.append(stage)
        touchpoints_of.append(touchpoints)
    all_ids = list(personas.values())
    for stage, touchpoints in zip(stages, touchpoints_of):
        out = []
        for tp in touchpoints:
            actors, scores = tp.pop("_actors"), tp.pop("_scores")
            served = [personas[a] for a in actors]
            if actors and sorted(served) != sorted(all_ids):
                tp["personas"] = served
            if scores:
                tp["emotion"] = scores
            out.append(tp)
        stage["touchpoints"] = out
    data: dict = {"cjm": 1, "id": ids.make(title, "journey"), "title": title}
    if diagram.description:
        data["description"] = diagram.description
    if personas:
        data["personas"] = [{"id": pid, "name": name} for name, pid in personas.items()]
    data["stages"] = stages
    return data


def to_yaml(data: dict, source_name: str) -> str:
    import yaml

    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100, default_flow_style=False)
    return f"# Imported from the Mermaid journey {source_name} by cjm import mermaid.\n{body}"


def _decode_bytes(raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise MermaidError(1, 1, "file is UTF-16; save it as UTF-8")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = len(raw[raw.rfind(b"\n", 0, exc.start) + 1:exc.start].decode("utf-8", "replace")) + 1
        raise MermaidError(line, col, f"invalid UTF-8 byte 0x{raw[exc.start]:02x}", "save the file as UTF-8") from None


def parse(text: str) -> Diagram:
    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        bad = _CONTROL.search(line)
        if bad:
            raise MermaidError(number, bad.start() + 1, f"control character U+{ord(bad.group()):04X} is not allowed")
    return _Parser(lines).parse()


def import_bytes(raw: bytes, file: str, source_path: Path | None = None) -> ImportResult:
    """Mermaid journey bytes -> map YAML that validates, or diagnostics at file:line:col."""
    lines: list[str] = []
    try:
        if len(raw) > MAX_BYTES:
            raise MermaidError(1, 1, f"file is {len(raw):,} bytes; the limit is {MAX_BYTES:,}")
        text = _decode_bytes(raw)
        lines = text.splitlines()
        diagram = parse(text)
    except MermaidError as exc:
        source_line = lines[exc.line - 1] if 0 < exc.line <= len(lines) else None
        return ImportResult(None, [Diagnostic(CODE, NAME, exc.message, file, exc.line, exc.col,
                                              hint=exc.hint, source_line=source_line)])
    stem = (source_path or Path(file)).name.split(".")[0] or "journey"
    yaml_text = to_yaml(to_map_data(diagram, stem), (source_path or Path(file)).name)
    return ImportResult(yaml_text)
