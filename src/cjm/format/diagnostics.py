"""Diagnostics, severities, and the one place that turns a model path into file:line:col."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum
from collections.abc import Iterable, Iterator, Mapping

Path = tuple[str | int, ...]


class Severity(str, Enum):
    error = "error"
    warning = "warning"
    info = "info"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "info": 1}[self.value]


@dataclass(frozen=True, slots=True)
class Position:
    """A 1-based line and column."""

    line: int
    col: int


@dataclass(frozen=True, slots=True)
class Span:
    """Where a node sits in the file: its key (for mapping values) and its value."""

    start: Position
    end: Position
    key: Position | None = None

    @property
    def anchor(self) -> Position:
        """Where a diagnostic about the whole element points: the key when it has one."""
        return self.key or self.start


RawSpan = tuple[int, int, int, int, int, int]  # 0-based start line, col, end line, col, key line, col (-1: no key)


def span_of(raw: RawSpan) -> Span:
    start_line, start_col, end_line, end_col, key_line, key_col = raw
    return Span(Position(start_line + 1, start_col + 1), Position(end_line + 1, end_col + 1),
                Position(key_line + 1, key_col + 1) if key_line >= 0 else None)


class Spans(Mapping[Path, Span]):
    """Path -> Span, kept as the loader's plain tuples and made a Span only when asked for:
    most maps never need a position, and a 3,000-touchpoint map has over 100,000 of them."""

    __slots__ = ("raw",)

    def __init__(self, raw: dict[Path, RawSpan] | None = None):
        self.raw = raw if raw is not None else {}

    def __getitem__(self, path: Path) -> Span:
        return span_of(self.raw[path])

    def __contains__(self, path: object) -> bool:
        return path in self.raw

    def __iter__(self) -> Iterator[Path]:
        return iter(self.raw)

    def __len__(self) -> int:
        return len(self.raw)


def _raw_of(span: Span) -> RawSpan:
    key = span.key
    return (span.start.line - 1, span.start.col - 1, span.end.line - 1, span.end.col - 1,
            key.line - 1 if key else -1, key.col - 1 if key else -1)


class SourceMap:
    """Model path -> span in the YAML text, plus the raw lines for excerpts and comments."""

    def __init__(self, spans: Mapping[Path, Span] | None = None, lines: list[str] | None = None):
        self.spans: Mapping[Path, Span] = spans if spans is not None else {}
        self.lines: list[str] = lines if lines is not None else []

    def known_prefix(self, path: Path) -> Path:
        """The longest prefix of ``path`` that exists in the file."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.spans:
                return path[:end]
        return ()

    def locate(self, path: Path, *, at_key: bool = False) -> Position:
        """Where to point for ``path``; unknown tails fall back to the nearest known parent."""
        prefix = self.known_prefix(path)
        span = self.spans.get(prefix)
        if span is None:
            return Position(1, 1)
        if at_key or prefix != path:
            return span.anchor
        return span.start

    def path_at(self, line: int, col: int) -> tuple[Path, bool] | None:
        """The innermost model path whose text holds 1-based ``line:col`` (from its key, when it has
        one, to the end of its value), and whether the position is on the key. None outside every
        element. The reverse of :meth:`locate`, for editors."""
        raw = self.spans.raw if isinstance(self.spans, Spans) else {p: _raw_of(s) for p, s in self.spans.items()}
        here = (line - 1, col - 1)
        best: Path | None = None
        best_start = (-1, -1)
        on_key = False
        for path, (sl, sc, el, ec, kl, kc) in raw.items():
            start = (kl, kc) if kl >= 0 else (sl, sc)
            if start <= here <= (el, ec) and (start > best_start or (start == best_start and len(path) > len(best or ()))):
                best, best_start = path, start
                on_key = kl >= 0 and here < (sl, sc)
        if best is None:
            return None
        return best, on_key

    def line_text(self, line: int) -> str | None:
        if 1 <= line <= len(self.lines):
            return self.lines[line - 1]
        return None


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem in one file: a validation error or a lint finding."""

    code: str
    name: str
    message: str
    file: str
    line: int = 1
    col: int = 1
    severity: Severity = Severity.error
    path: Path = ()
    hint: str | None = None
    source_line: str | None = field(default=None, compare=False)

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"

    def with_severity(self, severity: Severity) -> "Diagnostic":
        return replace(self, severity=severity)

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.col,
            "severity": self.severity.value,
            "code": self.code,
            "name": self.name,
            "message": self.message,
            "path": format_path(self.path),
            "hint": self.hint,
        }


def format_path(path: Path) -> str:
    """``('stages', 0, 'touchpoints', 2)`` -> ``stages[0].touchpoints[2]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def diagnostic_at(
    source: SourceMap,
    file: str,
    path: Path,
    *,
    code: str,
    name: str,
    message: str,
    severity: Severity = Severity.error,
    hint: str | None = None,
    at_key: bool = False,
) -> Diagnostic:
    """Build a diagnostic for a model path, resolving its position through the source map."""
    pos = source.locate(path, at_key=at_key)
    return Diagnostic(
        code=code,
        name=name,
        message=message,
        file=file,
        line=pos.line,
        col=pos.col,
        severity=severity,
        path=path,
        hint=hint,
        source_line=source.line_text(pos.line),
    )


def sort_key(diag: Diagnostic) -> tuple:
    return (diag.file, diag.line, diag.col, diag.code, diag.message)


def count_by_severity(diagnostics: Iterable[Diagnostic]) -> dict[str, int]:
    counts = {s.value: 0 for s in Severity}
    for diag in diagnostics:
        counts[diag.severity.value] += 1
    return counts
