"""Columns: cjm counts code points (1-based); the client counts in the encoding agreed at start-up.

LSP positions are 0-based lines and 0-based columns in UTF-16 code units unless the client and
server agreed on UTF-8 or UTF-32. An emoji is one code point, two UTF-16 units and four UTF-8
bytes; a CJK character is one, one and three.
"""

from __future__ import annotations

import bisect
import re

from lsprotocol import types

UTF8 = types.PositionEncodingKind.Utf8.value
UTF16 = types.PositionEncodingKind.Utf16.value
UTF32 = types.PositionEncodingKind.Utf32.value


def _units(char: str, encoding: str) -> int:
    point = ord(char)
    if encoding == UTF8:
        return 1 if point < 0x80 else 2 if point < 0x800 else 3 if point < 0x10000 else 4
    if encoding == UTF16:
        return 2 if point >= 0x10000 else 1
    return 1


class Encoding:
    """Conversions between code-point columns and the client's units, for one encoding."""

    def __init__(self, kind: str | None = UTF16):
        kind = getattr(kind, "value", kind)
        self.kind = kind if kind in (UTF8, UTF16, UTF32) else UTF16

    def to_client(self, line: str, col: int) -> int:
        """The client's column for the 0-based code-point column ``col`` of ``line``."""
        col = max(0, col)
        if self.kind == UTF32 or (col <= len(line) and line.isascii()):
            return col
        head = line[:col]
        if self.kind == UTF16:
            return len(head) + sum(1 for c in head if ord(c) >= 0x10000) + max(0, col - len(line))
        return len(head.encode("utf-8", "surrogatepass")) + max(0, col - len(line))

    def from_client(self, line: str, units: int) -> int:
        """The 0-based code-point column for the client's column ``units`` (clamped to the line's end;
        a column inside a character is that character)."""
        if self.kind == UTF32:
            return max(0, min(units, len(line)))
        seen = 0
        for index, char in enumerate(line):
            if seen >= units:
                return index
            seen += _units(char, self.kind)
            if seen > units:
                return index
        return len(line)

    def position(self, lines: list[str], line: int, col: int) -> types.Position:
        """An LSP position from a 0-based line and code-point column of ``lines``."""
        text = lines[line] if 0 <= line < len(lines) else ""
        return types.Position(line=max(0, line), character=self.to_client(text, col))

    def range(self, lines: list[str], start: tuple[int, int], end: tuple[int, int]) -> types.Range:
        return types.Range(start=self.position(lines, *start), end=self.position(lines, *end))

    def cursor(self, lines: list[str], position: types.Position) -> tuple[int, int]:
        """A client position as a 0-based line and code-point column of ``lines``."""
        line = position.line
        text = lines[line] if 0 <= line < len(lines) else ""
        return line, self.from_client(text, position.character)


_LSP_BREAK = re.compile(r"\r\n|\r|\n")
_OTHER_BREAKS = ("\x85", "\u2028", "\u2029", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e")


class Text:
    """One text as both sides count its lines. cjm's source map splits lines as ``str.splitlines``
    does (YAML also breaks lines at NEL, LS and PS); LSP breaks only at ``\\n``, ``\\r\\n`` and ``\\r``.
    Positions are converted through offsets when the two differ."""

    def __init__(self, text: str, encoding: Encoding):
        self.text = text
        self.encoding = encoding
        self.lines = text.splitlines() or [""]  # cjm's lines
        self.same = not any(b in text for b in _OTHER_BREAKS)
        self._cjm_starts: list[int] | None = None
        if self.same:
            self.client_lines = self.lines
        else:
            self.client_lines = _LSP_BREAK.split(text)
            self._cjm_starts = _starts(text, [len(l) for l in text.splitlines(keepends=True)])
            self._client_starts = [0] + [m.end() for m in _LSP_BREAK.finditer(text)]

    def position(self, line: int, col: int) -> types.Position:
        """An LSP position for cjm's 0-based ``line`` and code-point ``col``."""
        line, character = self.point(line, col)
        return types.Position(line=line, character=character)

    def point(self, line: int, col: int) -> tuple[int, int]:
        """:meth:`position` as a plain (line, character)."""
        if not self.same:
            offset = (self._cjm_starts[line] if 0 <= line < len(self._cjm_starts) else len(self.text)) + col
            line = max(0, bisect.bisect_right(self._client_starts, offset) - 1)
            col = offset - self._client_starts[line]
        lines = self.client_lines
        return max(0, line), self.encoding.to_client(lines[line] if 0 <= line < len(lines) else "", col)

    def range(self, start: tuple[int, int], end: tuple[int, int]) -> types.Range:
        return types.Range(start=self.position(*start), end=self.position(*end))

    def cursor(self, position: types.Position) -> tuple[int, int]:
        """cjm's 0-based line and code-point column for a client position."""
        line, col = self.encoding.cursor(self.client_lines, position)
        if self.same:
            return line, col
        offset = (self._client_starts[line] if 0 <= line < len(self._client_starts) else len(self.text)) + col
        line = max(0, bisect.bisect_right(self._cjm_starts, offset) - 1)
        return line, offset - self._cjm_starts[line]

    def offset(self, line: int, col: int) -> int:
        """The offset in ``text`` of cjm's ``line``, ``col`` (for edits that span lines)."""
        if self._cjm_starts is None:
            self._cjm_starts = _starts(self.text, [len(l) for l in self.text.splitlines(keepends=True)])
        starts = self._cjm_starts
        return (starts[line] if 0 <= line < len(starts) else len(self.text)) + col


def _starts(text: str, lengths: list[int]) -> list[int]:
    out, at = [], 0
    for length in lengths:
        out.append(at)
        at += length
    return out or [0]
