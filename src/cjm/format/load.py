"""YAML text -> plain data + source map, refusing what a journey map never needs.

One pass over PyYAML's event stream (the C parser when available) builds the
data directly: no composer (libyaml's recurses and can crash the process on deep
nesting), no constructor (no YAML 1.1 guessing, no big-int parsing). Every
scalar stays text; plain ``~``/``null``/empty become ``None``. Anchors and
aliases work, but their expanded size counts against the node limit, so an
alias bomb is refused before anything big is built.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

from cjm.format.diagnostics import Diagnostic, Path, Position, RawSpan, Severity, SourceMap, Spans

from yaml import SafeLoader as PythonLoader

try:  # pragma: no cover - depends on how PyYAML was built
    from yaml import CSafeLoader as FastLoader
except ImportError:  # pragma: no cover - users without the C extension get the pure-Python parser
    FastLoader = PythonLoader  # type: ignore[assignment,misc]

NULLS = frozenset({"", "~", "null", "Null", "NULL"})
MAX_DUPLICATES = 100  # reported one by one; a file with more stops there
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")

# Words of a parser's own limits (libyaml 0.2.6 stops flow nesting at 1,000 levels while scanning
# ahead, before cjm's far lower limit is reached). Such a text is read again by the pure-Python
# parser, which has no limit of its own, so that cjm's limits decide and report at their own place.
PARSER_LIMIT_WORDS = ("maximum nesting depth", "exceeded maximum")

# libyaml's wording, and what usually causes it.
SYNTAX_HINTS = (
    ("mapping values are not allowed", "put text that contains ': ' in quotes"),
    ("cannot start any token", "indent with spaces; YAML does not allow tabs here"),
    ("tab character", "indent with spaces; YAML does not allow tabs here"),
    ("did not find expected key", "check the indentation of this line against the lines above"),
    ("did not find expected '-' indicator", "check the indentation of this list item"),
    ("unknown escape character", "in double quotes a backslash starts an escape; use single quotes or '\\\\'"),
)


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 5 * 1024 * 1024
    max_nodes: int = 500_000
    max_depth: int = 64


@dataclass
class Parsed:
    """What the loader made of one file."""

    file: str
    data: dict | None
    source: SourceMap
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.data is not None and not any(d.severity is Severity.error for d in self.diagnostics)


class LoadError(Exception):
    """Stops the parse: the diagnostic says why."""

    def __init__(self, diagnostic: Diagnostic):
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def _mark(mark: Any) -> Position:
    """The parser's 0-based mark as a Position; the builder keeps marks as they come until a
    diagnostic or a span needs their numbers."""
    return mark if isinstance(mark, Position) else Position(mark.line + 1, mark.column + 1)


class _Frame:
    """An open mapping or sequence."""

    __slots__ = ("container", "is_map", "path", "start", "anchor", "pending_key", "key_mark", "size")

    def __init__(self, container: Any, path: Path, start: Any, anchor: str | None):
        self.container = container
        self.is_map = isinstance(container, dict)
        self.path = path
        self.start = start
        self.anchor = anchor
        self.pending_key: str | None = None  # a mapping's key waiting for its value
        self.key_mark: Any = None
        self.size = 1


class _Builder:
    """Consumes events and builds data, spans and diagnostics."""

    def __init__(self, file: str, lines: list[str], limits: Limits):
        self.file = file
        self.lines = lines
        self.limits = limits
        self.spans: dict[Path, RawSpan] = {}
        self.diagnostics: list[Diagnostic] = []
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.nodes = 0
        self.root: Any = None
        self.documents = 0

    def problem(self, mark: Any, code: str, name: str, message: str, path: Path = (), hint: str | None = None) -> Diagnostic:
        pos = _mark(mark)
        return Diagnostic(
            code=code, name=name, message=message, file=self.file, line=pos.line, col=pos.col,
            path=path, hint=hint, source_line=self.lines[pos.line - 1] if 0 < pos.line <= len(self.lines) else None,
        )

    def stop(self, pos: Any, code: str, name: str, message: str, hint: str | None = None) -> None:
        raise LoadError(self.problem(pos, code, name, message, hint=hint))

    def count(self, pos: Any, n: int) -> None:
        self.nodes += n
        if self.nodes > self.limits.max_nodes:
            self.stop(pos, "CJM003", "input-limit",
                      f"the map expands to more than {self.limits.max_nodes:,} YAML nodes",
                      hint="anchors and aliases count once per use; split very large maps")

    def refuse_tag(self, tag: str, pos: Any) -> None:
        self.stop(pos, "CJM002", "unsupported-yaml", f"explicit YAML tag '{tag}' is not allowed in a map",
                  hint="remove the tag; cjm reads every value as plain data")

    def refuse_key(self, pos: Any) -> None:
        self.stop(pos, "CJM002", "unsupported-yaml", "mapping keys must be plain text, not lists or mappings")

    def place(self, value: Any, size: int, start: Any, end: Any, anchor: str | None) -> None:
        """Put a finished node into its parent: a list item, a mapping key, or a mapping value.

        ``start`` and ``end`` are the parser's marks; a span keeps their numbers as a plain tuple.
        """
        if anchor is not None:
            self.anchors[anchor] = (value, size)
        if not self.stack:
            self.root = value
            self.spans[()] = (start.line, start.column, end.line, end.column, -1, -1)
            return
        parent = self.stack[-1]
        parent.size += size
        if not parent.is_map:
            self.spans[(*parent.path, len(parent.container))] = (start.line, start.column, end.line, end.column, -1, -1)
            parent.container.append(value)
            return
        key = parent.pending_key
        if key is None:  # this node is a key
            if not isinstance(value, str):
                self.refuse_key(start)
            if value == "<<":
                self.stop(start, "CJM002", "unsupported-yaml", "merge keys ('<<') are not supported",
                          hint="write the fields out in full")
            parent.pending_key = value
            parent.key_mark = start
            return
        key_mark = parent.key_mark
        parent.pending_key = None
        path = (*parent.path, key)
        if key in parent.container:
            if len(self.diagnostics) >= MAX_DUPLICATES:
                self.stop(key_mark, "CJM002", "duplicate-key", f"more than {MAX_DUPLICATES} duplicate keys; stopped here",
                          hint="fix the ones above first")
            self.diagnostics.append(self.problem(
                key_mark, "CJM002", "duplicate-key",
                f"duplicate key '{key}' (first defined at line {self.spans[path][4] + 1}); YAML would silently keep only the last",
                path=path,
            ))
            return
        parent.container[key] = value
        self.spans[path] = (start.line, start.column, end.line, end.column, key_mark.line, key_mark.column)

    def child_path(self) -> Path:
        if not self.stack:
            return ()
        parent = self.stack[-1]
        if not parent.is_map:
            return (*parent.path, len(parent.container))
        if parent.pending_key is None:
            self.refuse_key(None)  # pragma: no cover - callers check first
        return (*parent.path, parent.pending_key)

    def feed(self, event: Any) -> None:
        kind = type(event)
        if kind is ScalarEvent:
            start = event.start_mark
            if event.tag is not None:
                self.refuse_tag(event.tag, start)
            self.nodes += 1
            if self.nodes > self.limits.max_nodes:
                self.count(start, 0)
            value = event.value
            style = event.style
            if not style and value in NULLS:  # plain style: None from PyYAML's parser, '' from libyaml's
                value = None
            elif style == '"' and CONTROL_CHARS.search(value):  # only escapes can add what the text lacks
                char = CONTROL_CHARS.search(value).group()
                self.stop(start, "CJM004", "bad-character",
                          f"text holds the control character or invalid code point U+{ord(char):04X}",
                          hint="remove it; maps hold no NUL, other C0 control characters or lone surrogates")
            self.place(value, 1, start, event.end_mark, event.anchor)
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            start = event.start_mark
            if event.tag is not None:
                self.refuse_tag(event.tag, start)
            self.count(start, 1)
            stack = self.stack
            if stack and stack[-1].is_map and stack[-1].pending_key is None:
                self.refuse_key(start)
            if len(stack) >= self.limits.max_depth:
                self.stop(start, "CJM003", "input-limit", f"nesting deeper than {self.limits.max_depth} levels",
                          hint="a journey map needs only a few levels")
            container: Any = {} if kind is MappingStartEvent else []
            stack.append(_Frame(container, self.child_path(), start, event.anchor))
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            frame = self.stack.pop()
            self.place(frame.container, frame.size, frame.start, event.end_mark, frame.anchor)
        elif kind is AliasEvent:
            start = event.start_mark
            if event.anchor not in self.anchors:
                self.stop(start, "CJM001", "yaml-syntax", f"alias '*{event.anchor}' refers to no anchor defined before it")
            value, size = self.anchors[event.anchor]
            self.count(start, size)
            self.place(value, size, start, event.end_mark, None)
        elif kind is DocumentStartEvent:
            self.documents += 1
            if self.documents > 1:
                self.stop(event.start_mark, "CJM002", "unsupported-yaml",
                          "a map file holds one YAML document; found a second one",
                          hint="split the documents into separate files")
        # stream start/end and document end carry nothing


def _wide_encoding(raw: bytes) -> str | None:
    """UTF-16 or UTF-32, told by the byte order mark or by the NUL bytes around ASCII text."""
    for bom, name in ((b"\x00\x00\xfe\xff", "UTF-32"), (b"\xff\xfe\x00\x00", "UTF-32"),
                      (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16")):
        if raw.startswith(bom):
            return name
    if len(raw) >= 4 and (raw[0] == 0) != (raw[1] == 0):  # a map starts with ASCII
        return "UTF-16 or UTF-32"
    return None


def _decode(raw: bytes, file: str) -> str:
    wide = _wide_encoding(raw)
    if wide:
        raise LoadError(Diagnostic("CJM004", "bad-encoding", f"the file is {wide}; save it as UTF-8", file,
                                   hint="maps are read as UTF-8"))
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        # lines split as the source map's (CRLF, a lone CR), bad bytes shown as U+FFFD
        text = raw.decode("utf-8", "replace")
        line, col = _position_of(text, len(raw[:exc.start].decode("utf-8")))
        raise LoadError(Diagnostic("CJM004", "bad-encoding", f"invalid UTF-8 byte 0x{raw[exc.start]:02x}",
                                   file, line, col, hint="save the file as UTF-8",
                                   source_line=text.splitlines()[line - 1])) from None


def _position_of(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of ``offset``, with lines split as the source map's are."""
    for number, line in enumerate(text.splitlines(keepends=True), 1):
        if offset < len(line):
            return number, offset + 1
        offset -= len(line)
    return max(1, len(text.splitlines())), offset + 1


def _first_control_char(text: str, file: str, lines: list[str]) -> Diagnostic | None:
    match = CONTROL_CHARS.search(text)
    if match is None:
        return None
    line, col = _position_of(text, match.start())
    return Diagnostic("CJM004", "bad-character",
                      f"control character U+{ord(match.group()):04X} is not allowed in a map",
                      file, line, col, source_line=lines[line - 1] if line <= len(lines) else None,
                      hint="remove NUL and other C0 control characters")


def _syntax_error(exc: yaml.YAMLError, builder: _Builder) -> Diagnostic:
    """A parser's error as CJM001 at its mark; an error without marks (neither parser raises one
    today) at the start of the file."""
    context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    problem_text = getattr(exc, "problem", None)
    mark = getattr(exc, "problem_mark", None) or context_mark
    pos = _mark(mark) if mark is not None else Position(1, 1)
    lines = builder.lines
    if lines and pos.line > len(lines):  # the end of the stream: point at the end of the last line
        pos = Position(len(lines), len(lines[-1]) + 1)
    unmarked = "" if isinstance(exc, yaml.MarkedYAMLError) else str(exc)  # a marked error's str() repeats its marks
    problem = str(problem_text or context or unmarked or "invalid YAML")
    hint = next((h for words, h in SYNTAX_HINTS if words in problem), None)
    if context and problem_text and context_mark is not None:
        where = _mark(context_mark)
        context = f"{context} that starts at line {where.line}, column {where.col}"
        hint = f"{context}; {hint}" if hint else context
    return builder.problem(pos, "CJM001", "yaml-syntax", problem, hint=hint)


def _parser_limit(problem: Diagnostic) -> bool:
    return problem.code == "CJM001" and any(words in problem.message for words in PARSER_LIMIT_WORDS)


def _run(loader: Any, builder: _Builder) -> Diagnostic | None:
    """Feed the parser's events to the builder; the diagnostic that stopped it, if any."""
    try:
        feed, next_event, more = builder.feed, loader.get_event, loader.check_event
        while more():
            feed(next_event())
    except LoadError as exc:
        return exc.diagnostic
    except yaml.YAMLError as exc:
        return _syntax_error(exc, builder)
    finally:
        loader.dispose()
    return None


def parse_text(raw: bytes, file: str, limits: Limits = Limits()) -> Parsed:
    """Parse one map file's bytes; never raises for bad input."""
    empty = SourceMap({}, [])
    if len(raw) > limits.max_bytes:
        return Parsed(file, None, empty, [Diagnostic(
            "CJM003", "input-limit",
            f"the file is over {limits.max_bytes:,} bytes", file,
            hint="split the map or raise the limit with --max-bytes")])
    try:
        text = _decode(raw, file)
    except LoadError as exc:
        return Parsed(file, None, empty, [exc.diagnostic])
    lines = text.splitlines()
    source = SourceMap({}, lines)
    bad = _first_control_char(text, file, lines)
    if bad is not None:
        return Parsed(file, None, source, [bad])
    builder = _Builder(file, lines, limits)
    problem = _run(FastLoader(text), builder)
    if problem is not None and FastLoader is not PythonLoader and _parser_limit(problem):
        builder = _Builder(file, lines, limits)
        problem = _run(PythonLoader(text), builder)
    if problem is not None:
        return Parsed(file, None, source, builder.diagnostics + [problem])
    source.spans = Spans(builder.spans)
    if builder.root is None:
        return Parsed(file, None, source, [Diagnostic("CJM010", "schema", "the file holds no map; a map starts with 'cjm: 1'", file)])
    if not isinstance(builder.root, dict):
        return Parsed(file, None, source, [builder.problem(Position(1, 1), "CJM010", "schema",
                                                          "the top level of a map must be a mapping (key: value)")])
    return Parsed(file, builder.root, source, builder.diagnostics)
