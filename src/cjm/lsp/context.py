"""What the cursor is on.

For hover, definition, references and rename: the model path under the cursor in the last good
parse of the map (the current text when it parses). When the buffer has changed since, its lines
are matched to the good text's (the lines before and after the edited region are the same lines),
so a broken buffer still gets answers.

For completion: the current line is repaired as cfn-lsp-extra does (the half-typed key or value
is replaced by a marker that parses), the text is parsed again by ``cjm.format.load``, and the
marker's model path says what is being typed. When the rest of the buffer does not parse either,
the repaired line goes into the last good text instead.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from lsprotocol import types

from cjm.format.diagnostics import Path, SourceMap
from cjm.format.load import parse_text
from cjm.format.validate import LoadedMap
from cjm.lsp.positions import Encoding, Text


DIFF_LIMIT = 20_000  # lines: above this, only the common beginning and end are matched


def _blocks(current: list[str], good: list[str]) -> list[tuple[str, int, int, int, int]]:
    """How ``current`` differs from ``good``, as difflib's opcodes; for very long texts, one block
    between the common beginning and the common end."""
    if len(current) <= DIFF_LIMIT and len(good) <= DIFF_LIMIT:
        return difflib.SequenceMatcher(None, current, good, autojunk=False).get_opcodes()
    limit = min(len(current), len(good))
    prefix = 0
    while prefix < limit and current[prefix] == good[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and current[-1 - suffix] == good[-1 - suffix]:
        suffix += 1
    out = [("equal", 0, prefix, 0, prefix)]
    if prefix < len(current) - suffix or prefix < len(good) - suffix:
        out.append(("replace", prefix, len(current) - suffix, prefix, len(good) - suffix))
    out.append(("equal", len(current) - suffix, len(current), len(good) - suffix, len(good)))
    return out


def align(current: list[str], good: list[str], line: int) -> int | None:
    """The line of ``good`` that stands where ``line`` of ``current`` stands: the same line where
    it is unchanged, the line at the same place in a replaced block; None for an inserted line."""
    if current is good or current == good:
        return line if line < len(good) else None
    for tag, i1, i2, j1, j2 in _blocks(current, good):
        if i1 <= line < i2:
            if tag == "equal" or (tag == "replace" and line - i1 < j2 - j1):
                return j1 + line - i1
            return None
    return None


class View:
    """One file as the server reads it: a checked map (its last good parse) and, for an open
    buffer, the buffer's current text, to which positions are matched."""

    def __init__(self, loaded: LoadedMap, encoding: Encoding, current: str | None = None, checked: str | None = None):
        self.loaded = loaded
        self.source: SourceMap = loaded.source
        good = checked if checked is not None else "\n".join(loaded.source.lines)
        self.good = Text(good, encoding)
        self.current = Text(current, encoding) if current is not None and current != good else None

    def cursor(self, position: types.Position) -> tuple[int, int] | None:
        """The 0-based line and code-point column in the good text for a client position."""
        if self.current is None:
            return self.good.cursor(position)
        line, col = self.current.cursor(position)
        matched = align(self.current.lines, self.good.lines, line)
        return None if matched is None else (matched, col)

    def position(self, line: int, col: int) -> types.Position:
        if self.current is not None:
            matched = align(self.good.lines, self.current.lines, line)
            if matched is not None:
                return self.current.position(matched, col)
        return self.good.position(line, col)

    def range(self, start: tuple[int, int], end: tuple[int, int]) -> types.Range:
        return types.Range(start=self.position(*start), end=self.position(*end))

    def path_at(self, position: types.Position) -> tuple[Path, bool] | None:
        where = self.cursor(position)
        if where is None:
            return None
        return self.source.path_at(where[0] + 1, where[1] + 1)

    def span(self, path: Path, at_key: bool = False) -> tuple[tuple[int, int], tuple[int, int]] | None:
        """0-based start and end of a value (or of its key) without quotes around it."""
        if path not in self.source.spans:
            return None
        span = self.source.spans[path]
        lines = self.good.lines
        if at_key and span.key is not None:
            line, col = span.key.line - 1, span.key.col - 1
            text = lines[line] if line < len(lines) else ""
            key = str(path[-1])
            if text[col:col + 1] in "'\"" and text[col + 1:col + 1 + len(key)] == key:
                col += 1
            return (line, col), (line, col + len(key))
        start = (span.start.line - 1, span.start.col - 1)
        end = (span.end.line - 1, span.end.col - 1)
        if start[0] == end[0] and end[1] - start[1] >= 2:
            text = lines[start[0]] if start[0] < len(lines) else ""
            if text[start[1]] in "'\"" and text[end[1] - 1] == text[start[1]]:
                start, end = (start[0], start[1] + 1), (end[0], end[1] - 1)
        return start, end

    def path_range(self, path: Path, at_key: bool = False) -> types.Range | None:
        found = self.span(path, at_key)
        return self.range(*found) if found else None


# --- completion --------------------------------------------------------------------------------

MARK = "cjmcompletionmarker"
_WORD = r"[^\s:#\[\]{},'\"]"
_KEY_LINE = re.compile(rf"^(?P<indent>[ ]*)(?P<dash>(?:-[ ]+)*)(?P<word>{_WORD}*)$")
_VALUE_LINE = re.compile(rf"^(?P<indent>[ ]*)(?P<dash>(?:-[ ]+)*)(?P<key>{_WORD}+):(?:[ ]+(?P<value>.*))?$")


@dataclass
class Completing:
    """What is being typed: a ``key`` of the mapping at ``path``, an ``item`` of the list at
    ``path[:-1]``, the ``value`` at ``path``, or an entry of the flow list or mapping at ``path``."""

    role: str  # key | item | value | flow-list | flow-map
    path: Path
    prefix: str
    data: dict  # the repaired text's data
    typed: str = ""  # what the value holds so far (flow collections)


def _find(spans, line: int, role: str, key: str | None) -> Path | None:
    best: Path | None = None
    for path, (sl, _sc, _el, _ec, kl, _kc) in spans.raw.items():
        if not path:
            continue
        if role == "key" and path[-1] == MARK and kl == line:
            return path[:-1]
        if role == "item" and sl == line and isinstance(path[-1], int) and (best is None or len(path) > len(best)):
            best = path
        if role == "value" and path[-1] == key and kl == line and (best is None or len(path) < len(best)):
            best = path
    return best


def _repair(line_text: str, col: int) -> tuple[str, str, str, str | None, str] | None:
    """(repaired line, role, prefix, key, typed value) for the text before the cursor, or None
    where nothing can be completed (a comment, inside quotes, a block scalar)."""
    before = line_text[:col]
    found = _KEY_LINE.match(before)
    if found:
        indent, dash, word = found["indent"], found["dash"], found["word"]
        if dash:
            return indent + dash + MARK, "item", word, None, ""
        return indent + MARK + ": ~", "key", word, None, ""
    found = _VALUE_LINE.match(before)
    if not found:
        return None
    value = found["value"] or ""
    repaired = found["indent"] + found["dash"] + found["key"] + ": ~"
    if value.startswith(("[", "{")):
        if "#" in value:
            return None
        prefix = re.split(r"[\s,\[\]{}]", value)[-1]
        if value.startswith("{") and ":" in prefix:
            return None  # a value inside the flow mapping
        return repaired, "flow-list" if value.startswith("[") else "flow-map", prefix, found["key"], value
    if value[:1] in ("'", '"', "|", ">", "&", "*", "!", "#") or " #" in value:
        return None
    return repaired, "value", value, found["key"], value


def completing(current: str, line: int, col: int, good: str | None) -> Completing | None:
    """What is typed at 0-based ``line``, code-point ``col`` of ``current``."""
    lines = current.splitlines() or [""]
    if current.endswith(("\n", "\r")):
        lines.append("")
    if line >= len(lines):
        lines.extend([""] * (line - len(lines) + 1))
    repair = _repair(lines[line], col)
    if repair is None:
        return None
    repaired, role, prefix, key, typed = repair
    candidates = [(lines[:line] + [repaired] + lines[line + 1:], line)]
    if good is not None:
        good_lines = good.splitlines()
        spliced = _splice(lines, good_lines, line, repaired)
        if spliced is not None:
            candidates.append(spliced)
    for text_lines, marker_line in candidates:
        parsed = parse_text("\n".join(text_lines).encode("utf-8", "surrogatepass"), "completion")
        if parsed.data is None:
            continue
        path = _find(parsed.source.spans, marker_line, "item" if role == "item" else "key" if role == "key" else "value", key)
        if path is not None:
            return Completing(role if role in ("key", "item") or role.startswith("flow") else "value", path, prefix,
                              parsed.data, typed)
    return None


def _splice(current: list[str], good: list[str], line: int, repaired: str) -> tuple[list[str], int] | None:
    """The good text with the repaired line put where the cursor's line stands: in place of the
    block of changed lines that holds it (the other changes are left out), or of the same line."""
    for tag, i1, i2, j1, j2 in _blocks(current, good):
        if i1 <= line < i2 or (tag == "insert" and i1 == line):
            if tag == "equal":
                at = j1 + line - i1
                return good[:at] + [repaired] + good[at + 1:], at
            return good[:j1] + [repaired] + good[j2:], j1
    return good + [repaired], len(good)
