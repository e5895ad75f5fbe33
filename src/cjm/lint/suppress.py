"""Suppression comments in a map: ``# cjm: disable=CODE[,CODE...]`` and ``# cjm: disable-file=...``.

``disable`` at the end of an element's line, or alone on the line(s) above it,
silences those rules for that element and everything inside it: findings whose
model path lies under the element, or whose position lies in the element's text
(its key up to the end of its value). ``disable-file`` in the comment block at the
top of the file silences them for the whole file. Codes and rule names both work;
text after the list is free (a reason). A suppression that silences nothing is
reported (CJM090), and so is one that cannot be applied (CJM091).

Comments come from the raw lines. A ``#`` inside a quoted or block scalar is
text, not a comment: the scalar spans in the source map say where those are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from cjm.format.diagnostics import Diagnostic, Path, Position, Severity, SourceMap, Span
from cjm.lint.select import INVALID_SUPPRESSION, SUPPRESSION_CODES, UNUSED_SUPPRESSION, CodeInfo, code_for, is_validation_code, suggestion

_DIRECTIVE = re.compile(r"(?:^|;)\s*cjm:\s*")
_BODY = re.compile(r"(?P<kind>disable-file|disable)\s*=\s*(?P<codes>[^\s,]+(?:[ \t]*,[ \t]*[^\s,]+)*)")
_TOKEN = re.compile(r"[^\s,]+")
_MAYBE = re.compile(r"#.*cjm:")


@dataclass(frozen=True)
class Scope:
    """The element a ``disable`` comment stands on: its model path and its text."""

    path: Path
    start: Position
    end: Position

    def covers(self, diag: Diagnostic) -> bool:
        if diag.path[:len(self.path)] == self.path:
            return True
        return (self.start.line, self.start.col) <= (diag.line, diag.col) < (self.end.line, self.end.col)


@dataclass
class Suppression:
    """One code named in one comment; ``scope`` None means the whole file."""

    code: str
    token: str
    line: int
    col: int
    scope: Scope | None
    used: bool = False


@dataclass
class Suppressions:
    entries: list[Suppression] = field(default_factory=list)
    problems: list[Diagnostic] = field(default_factory=list)


# -- finding comments -------------------------------------------------------------------------


def _multiline_scalars(spans: Mapping[Path, Span], lines: list[str]) -> dict[int, int | None]:
    """Lines inside quoted or block scalars: line -> column where text resumes (None: whole line)."""
    parents = {path[:-1] for path in spans if path}
    out: dict[int, int | None] = {}
    for path, span in spans.items():
        if span.start.line == span.end.line or path in parents:
            continue
        first = lines[span.start.line - 1][span.start.col - 1:span.start.col] if span.start.line <= len(lines) else ""
        if first in ("'", '"'):
            out[span.start.line] = -span.start.col  # the rest of the line, from the quote, is text
        elif first not in ("|", ">"):
            continue  # a plain scalar: " #" ends it, so a comment is a comment
        for line in range(span.start.line + 1, span.end.line):
            out[line] = None
        if span.end.col > 1:
            out[span.end.line] = span.end.col
    return out


def _quote_can_open(text: str, i: int, start: int) -> bool:
    before = text[start:i].rstrip()
    if not before:
        return True
    return before[-1] in "[{," or (before[-1] in ":-?" and len(before) < i - start)


def comment_column(text: str, start: int = 0, stop: int | None = None) -> int | None:
    """0-based index of the ``#`` that starts a comment in ``text[start:stop]``, if any."""
    stop = len(text) if stop is None else stop
    quote: str | None = None
    i = start
    while i < stop:
        char = text[i]
        if quote == '"':
            if char == "\\":
                i += 1
            elif char == '"':
                quote = None
        elif quote == "'":
            if char == "'":
                if text[i + 1:i + 2] == "'":
                    i += 1
                else:
                    quote = None
        elif char in "'\"" and _quote_can_open(text, i, start):
            quote = char
        elif char == "#" and (i == start or text[i - 1] in " \t"):
            return i
        i += 1
    return None


def _comments(source: SourceMap) -> Iterable[tuple[int, int, str]]:
    """(line, 0-based column of '#', comment text) for each comment that may hold a directive."""
    candidates = [n for n, text in enumerate(source.lines, 1) if "cjm:" in text and _MAYBE.search(text)]
    if not candidates:
        return
    inside = _multiline_scalars(source.spans, source.lines)
    for line in candidates:
        text = source.lines[line - 1]
        start, stop = 0, None
        if line in inside:
            resume = inside[line]
            if resume is None:
                continue
            if resume < 0:
                stop = -resume - 1
            else:
                start = resume - 1
        col = comment_column(text, start, stop)
        if col is not None:
            yield line, col, text[col + 1:]


def _is_blank_or_comment(text: str) -> bool:
    stripped = text.strip()
    return not stripped or stripped.startswith("#") or stripped == "---"


# -- finding the element ----------------------------------------------------------------------


def _elements_on(lines_wanted: set[int], spans: Mapping[Path, Span]) -> dict[int, Scope]:
    """For each wanted line, the outermost element whose key (or start) is on it."""
    best: dict[int, tuple[Path, Span]] = {}
    for path, span in spans.items():
        if not path:
            continue  # the whole map is disable-file's business
        line = span.anchor.line
        if line in lines_wanted:
            held = best.get(line)
            if held is None or len(path) < len(held[0]) or (len(path) == len(held[0]) and span.anchor.col < held[1].anchor.col):
                best[line] = (path, span)
    return {line: Scope(path, span.anchor, span.end) for line, (path, span) in best.items()}


def _target_line(source: SourceMap, line: int, col: int) -> int | None:
    """The line a comment speaks about: its own when code precedes it, else the next line of code."""
    if source.lines[line - 1][:col].strip():
        return line
    for following in range(line + 1, len(source.lines) + 1):
        if not _is_blank_or_comment(source.lines[following - 1]):
            return following
    return None


# -- reading and applying ---------------------------------------------------------------------


def _problem(file: str, source: SourceMap, line: int, col: int, message: str, hint: str | None = None) -> Diagnostic:
    info = SUPPRESSION_CODES[INVALID_SUPPRESSION]
    return Diagnostic(INVALID_SUPPRESSION, info.name, message, file, line, col, info.severity,
                      hint=hint or info.hint, source_line=source.line_text(line))


def read_suppressions(source: SourceMap, file: str, codes: Mapping[str, CodeInfo]) -> Suppressions:
    """Every suppression comment in a parsed map, resolved to codes and elements."""
    out = Suppressions()
    rules_only = {code: info for code, info in codes.items() if code not in SUPPRESSION_CODES}
    pending: list[tuple[int, int, str, str, int | None]] = []  # line, col, token, code, target line
    first_code_line = next((n for n, t in enumerate(source.lines, 1) if not _is_blank_or_comment(t)), len(source.lines) + 1)
    for line, hash_col, comment in _comments(source):
        directive = _DIRECTIVE.search(comment)
        if directive is None:
            continue
        body_at = hash_col + 1 + directive.end()
        body = _BODY.match(comment, directive.end())
        if body is None:
            word = comment[directive.end():].split()[0] if comment[directive.end():].split() else ""
            out.problems.append(_problem(file, source, line, body_at + 1,
                                         f"cannot read suppression 'cjm: {word}'",
                                         "write `# cjm: disable=CODE[,CODE...]` or `# cjm: disable-file=CODE[,CODE...]`"))
            continue
        kind = body.group("kind")
        if kind == "disable-file" and line >= first_code_line:
            out.problems.append(_problem(file, source, line, body_at + 1,
                                         "'disable-file' only works in the comment block at the top of the file",
                                         "move it above the first line of the map, or use `disable=` on the element"))
            continue
        target = _target_line(source, line, hash_col) if kind == "disable" else None
        if kind == "disable" and target is None:
            out.problems.append(_problem(file, source, line, body_at + 1, "this suppression stands on no element"))
            continue
        base = hash_col + 1 + body.start("codes")
        for token in _TOKEN.finditer(body.group("codes")):
            col = base + token.start() + 1
            word = token.group()
            code = code_for(word, codes)
            if code in SUPPRESSION_CODES or word.upper() in SUPPRESSION_CODES:
                out.problems.append(_problem(file, source, line, col, f"{word} cannot be suppressed in a comment",
                                             "turn it off with `ignore` or `per-file-ignores` in the configuration"))
            elif code is None and is_validation_code(word):
                out.problems.append(_problem(file, source, line, col, f"'{word}' is a validation code and cannot be suppressed",
                                             "validation problems make the map invalid: fix the map"))
            elif code is None:
                out.problems.append(_problem(file, source, line, col, f"unknown rule '{word}' in suppression{suggestion(word, rules_only, groups=False)}"))
            else:
                pending.append((line, col, word, code, target))
    targets = {t for *_, t in pending if t is not None}
    scopes = _elements_on(targets, source.spans) if targets else {}
    for line, col, word, code, target in pending:
        if target is None:
            out.entries.append(Suppression(code, word, line, col, None))
        elif target in scopes:
            out.entries.append(Suppression(code, word, line, col, scopes[target]))
        else:
            out.problems.append(_problem(file, source, line, col, "this suppression stands on no element"))
    return out


def apply_suppressions(findings: list[Diagnostic], suppressions: Suppressions) -> list[Diagnostic]:
    """The findings that no suppression silences; marks the suppressions that did silence one."""
    if not suppressions.entries:
        return findings
    by_code: dict[str, list[Suppression]] = {}
    for entry in suppressions.entries:
        by_code.setdefault(entry.code, []).append(entry)
    kept: list[Diagnostic] = []
    for diag in findings:
        silenced = False
        for entry in by_code.get(diag.code, ()):
            if entry.scope is None or entry.scope.covers(diag):
                entry.used = True
                silenced = True
        if not silenced:
            kept.append(diag)
    return kept


def unused_suppressions(suppressions: Suppressions, enabled: frozenset[str], file: str, source: SourceMap,
                        codes: Mapping[str, CodeInfo], severity: Severity) -> list[Diagnostic]:
    """CJM090 for each code in a comment that silenced nothing (only for rules that ran)."""
    info = SUPPRESSION_CODES[UNUSED_SUPPRESSION]
    out: list[Diagnostic] = []
    for entry in suppressions.entries:
        if entry.used or entry.code not in enabled:
            continue
        where = "in this file" if entry.scope is None else "here"
        out.append(Diagnostic(
            UNUSED_SUPPRESSION, info.name,
            f"unused suppression: {entry.code} ({codes[entry.code].name}) finds nothing {where}",
            file, entry.line, entry.col, severity, hint=info.hint, source_line=source.line_text(entry.line),
        ))
    return out


# -- writing comments (for editors' quick fixes) ---------------------------------------------------


def comment_with_code(line: str, code: str) -> str | None:
    """``line`` with ``code`` added to its ``# cjm: disable=`` comment, or ending in a new one.
    None when the line already holds another comment: the suppression then goes on a line of its
    own above the element (:func:`suppression_comment`)."""
    col = comment_column(line)
    if col is None:
        return f"{line.rstrip()}  # cjm: disable={code}"
    comment = line[col + 1:]
    directive = _DIRECTIVE.search(comment)
    body = _BODY.match(comment, directive.end()) if directive else None
    if body is None or body.group("kind") != "disable":
        return None
    end = col + 1 + body.end("codes")
    return f"{line[:end]},{code}{line[end:]}"


def suppression_comment(code: str, indent: str = "", whole_file: bool = False) -> str:
    """A comment line that silences ``code`` for the element below it, or for the whole file."""
    return f"{indent}# cjm: {'disable-file' if whole_file else 'disable'}={code}"


def top_comment_end(lines: list[str]) -> int:
    """The 0-based index of the first line below the comment block at the top of the file, where a
    ``disable-file`` comment may go."""
    for index, text in enumerate(lines):
        if not _is_blank_or_comment(text) or text.strip() == "---":
            return index
    return len(lines)


def comment_without_code(line: str, col: int) -> str | None:
    """``line`` with the code at 1-based ``col`` taken out of its suppression comment (the whole
    comment when it named only that code). None when no suppressed code starts there."""
    hash_col = comment_column(line)
    if hash_col is None:
        return None
    comment = line[hash_col + 1:]
    directive = _DIRECTIVE.search(comment)
    body = _BODY.match(comment, directive.end()) if directive else None
    if body is None:
        return None
    base = hash_col + 1 + body.start("codes")
    tokens = [(base + m.start(), base + m.end()) for m in _TOKEN.finditer(body.group("codes"))]
    if not any(start == col - 1 for start, _ in tokens):
        return None
    kept = [line[s:e] for s, e in tokens if s != col - 1]
    if not kept:
        return line[:hash_col].rstrip()
    start, end = tokens[0][0], tokens[-1][1]
    return line[:start] + ",".join(kept) + line[end:]
