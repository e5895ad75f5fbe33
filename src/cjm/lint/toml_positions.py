"""Where keys and values sit in a TOML file, for config errors with file:line:col.

``tomllib`` gives data without positions. This scanner walks the text once and
records, for every key path, the position of the key, and for every string
value (in arrays too, indexed), the position of the value. It only has to be
right for files that ``tomllib`` already accepted.
"""

from __future__ import annotations

import re

from cjm.format.diagnostics import Position

KeyPath = tuple[str | int, ...]

_TOKEN = re.compile(
    r"""
    (?P<nl>\r?\n)
  | (?P<space>[ \t]+)
  | (?P<comment>\#[^\n]*)
  | (?P<mlbasic>\"\"\"(?:\\.|[^\\])*?\"\"\"\"{0,2})
  | (?P<mlliteral>'''.*?''''{0,2})
  | (?P<basic>"(?:\\.|[^"\\\n])*")
  | (?P<literal>'[^'\n]*')
  | (?P<punct>[\[\]{}=,.])
  | (?P<bare>[A-Za-z0-9_+\-:]+)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}


def _unquote(kind: str, text: str) -> str:
    if kind == "literal":
        return text[1:-1]
    if kind == "basic":
        return re.sub(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)", lambda m: _escape(m.group(1)), text[1:-1])
    return text


def _escape(code: str) -> str:
    if code[0] in "uU":
        return chr(int(code[1:], 16))
    return _ESCAPES.get(code, code)


def _tokens(text: str) -> list[tuple[str, str, Position]]:
    out: list[tuple[str, str, Position]] = []
    line, line_start = 1, 0
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        value = match.group()
        if kind not in ("space", "comment"):
            out.append((kind, value, Position(line, match.start() - line_start + 1)))
        newlines = value.count("\n")
        if newlines:
            line += newlines
            line_start = match.start() + value.rfind("\n") + 1
    return out


class _Scanner:
    def __init__(self, text: str):
        self.tokens = _tokens(text)
        self.i = 0
        self.keys: dict[KeyPath, Position] = {}
        self.values: dict[KeyPath, Position] = {}

    def peek(self) -> tuple[str, str, Position] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str, Position]:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def skip_newlines(self) -> None:
        while (token := self.peek()) is not None and token[0] == "nl":
            self.i += 1

    def key(self, base: KeyPath) -> KeyPath:
        """A dotted key; records each part's position under ``base``."""
        path = base
        while True:
            kind, text, pos = self.take()
            path = path + (_unquote(kind, text),)
            self.keys.setdefault(path, pos)
            token = self.peek()
            if token is None or token[1] != ".":
                return path
            self.i += 1

    def value(self, path: KeyPath) -> None:
        token = self.peek()
        if token is None:
            return
        kind, text, pos = token
        self.values.setdefault(path, pos)
        if text == "[":
            self.i += 1
            index = 0
            while True:
                self.skip_newlines()
                token = self.peek()
                if token is None or token[1] == "]":
                    self.i += 1
                    return
                if token[1] == ",":
                    self.i += 1
                    continue
                self.value(path + (index,))
                index += 1
        elif text == "{":
            self.i += 1
            while (token := self.peek()) is not None and token[1] != "}":
                if token[1] == ",":
                    self.i += 1
                    continue
                inner = self.key(path)
                self.i += 1  # '='
                self.value(inner)
            self.i += 1
        else:
            self.i += 1
            # Numbers and dates come in several tokens ("1", ".", "5"); skip to the line's end.
            while (token := self.peek()) is not None and token[0] != "nl" and token[1] not in ",]}":
                self.i += 1

    def document(self) -> None:
        table: KeyPath = ()
        while (token := self.peek()) is not None:
            kind, text, pos = token
            if kind == "nl":
                self.i += 1
            elif text == "[":
                self.i += 1
                array = self.peek() is not None and self.peek()[1] == "["
                if array:
                    self.i += 1
                table = self.key(())
                self.i += 2 if array else 1
            else:
                path = self.key(table)
                self.i += 1  # '='
                self.value(path)


def positions(text: str) -> tuple[dict[KeyPath, Position], dict[KeyPath, Position]]:
    """(key positions, value positions) by key path; best effort, never raises."""
    scanner = _Scanner(text)
    try:
        scanner.document()
    except (IndexError, ValueError):
        pass
    return scanner.keys, scanner.values
