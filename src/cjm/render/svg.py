"""A tiny SVG builder: elements as data, every text and attribute escaped on output.

Map text reaches the picture only through ``Element`` attributes and ``text``,
which ``serialize`` escapes; characters XML cannot hold (C0 controls, lone
surrogates, U+FFFE/U+FFFF) and the discouraged C1 controls are dropped, so the
output is well-formed XML whatever a map contains. There is no way to insert raw
markup. Also here: a per-character text width estimate and word wrapping, which
the layout uses instead of a font engine.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

SVG_NS = "http://www.w3.org/2000/svg"
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_ATTR_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                               "\t": "&#9;", "\n": "&#10;", "\r": "&#13;"})
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.:-]*$")


def clean(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot hold or discourages."""
    return NOT_XML.sub("", text)


def num(value: float) -> str:
    """A coordinate as short, stable text: two decimals at most, no ``-0``."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


@dataclass
class Element:
    """One SVG element. Attribute values may be text or numbers; ``None`` leaves one out."""

    tag: str
    attrs: dict[str, str | float | int | None] = field(default_factory=dict)
    children: list[Element] = field(default_factory=list)
    text: str | None = None

    def add(self, child: Element) -> Element:
        self.children.append(child)
        return child

    def serialize(self) -> str:
        out: list[str] = []
        _write(self, out)
        return "".join(out)


def el(tag: str, attrs: dict | None = None, *children: Element, text: str | None = None) -> Element:
    """Shorthand: ``el("text", {"x": 1}, text="Checkout")``. Keys use SVG spelling (``font-size``)."""
    return Element(tag, dict(attrs or {}), list(children), text)


def _value(value: str | float | int) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return num(float(value))
    return clean(str(value)).translate(_ATTR_ESCAPES)


@lru_cache(maxsize=512)
def _name(name: str) -> str:
    """``name`` if it is a plain XML name (tags and attribute names are code, but checked anyway)."""
    if not NAME.match(name):
        raise ValueError(f"not an XML name: {name!r}")
    return name


def _write(element: Element, out: list[str]) -> None:
    out.append("<" + _name(element.tag))
    for key, value in element.attrs.items():
        if value is not None:
            out.append(f' {_name(key)}="{_value(value)}"')
    if element.text is None and not element.children:
        out.append("/>")
        return
    out.append(">")
    if element.text is not None:
        out.append(clean(element.text).translate(_TEXT_ESCAPES))
    for child in element.children:
        _write(child, out)
    out.append(f"</{element.tag}>")


def document(svg: str) -> str:
    """A serialized ``<svg>`` element as a whole file: XML declaration first, final newline."""
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + svg + "\n"


# --- text measurement -------------------------------------------------------
# Advance widths of Helvetica/Arial in em, rounded up a little so estimates err
# towards more room. Anything not listed is judged by its Unicode class.
_NARROW = dict.fromkeys("il.,:;|!'`ijI", 0.30)
_SEMI = dict.fromkeys("ftr()[]{}/\\- \"*", 0.38)
_WIDE = dict.fromkeys("mwMW@%", 0.92)
_UPPER_WIDE = dict.fromkeys("ABCDGHKNOQRUVXY&", 0.74)
_WIDTHS = {**_NARROW, **_SEMI, **_WIDE, **_UPPER_WIDE}


@lru_cache(maxsize=8192)
def char_width(char: str) -> float:
    if char in _WIDTHS:
        return _WIDTHS[char]
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0.0
    if unicodedata.east_asian_width(char) in ("W", "F") or ord(char) >= 0x1F000:
        return 1.05  # CJK ideographs, full-width forms and emoji
    if char.isupper():
        return 0.68
    if char.isdigit():
        return 0.58
    return 0.56


def text_width(text: str, size: float) -> float:
    """Estimated width in px of ``text`` set at ``size`` px."""
    return sum(char_width(c) for c in text) * size


def wrap(text: str, width: float, size: float, max_lines: int) -> list[str]:
    """Break ``text`` into at most ``max_lines`` lines no wider than ``width``.

    Words longer than a line are split; text that does not fit ends in an ellipsis.
    """
    width += 1e-6  # a width computed as "text plus padding, minus padding" must still fit that text
    words = " ".join(clean(text).split()).split(" ")
    lines: list[str] = []
    current = ""
    for word in words:
        candidate = f"{current} {word}" if current else word
        if text_width(candidate, size) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = word
        while text_width(current, size) > width and len(current) > 1:
            head = _fit(current, width, size)
            lines.append(head)
            current = current[len(head):]
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = _fit(lines[-1], width - text_width("…", size), size).rstrip() + "…"
    return lines or [""]


def ellipsize(text: str, width: float, size: float) -> str:
    """``text`` cut to ``width`` with a trailing ellipsis when it is too long."""
    if text_width(text, size) <= width + 1e-6:
        return text
    return _fit(text, width - text_width("…", size), size).rstrip() + "…"


def _fit(text: str, width: float, size: float) -> str:
    used = 0.0
    for i, char in enumerate(text):
        used += char_width(char) * size
        if used > width:
            return text[: max(i, 1)]
    return text


# --- marker shapes ----------------------------------------------------------

def marker(shape: str, x: float, y: float, r: float, attrs: dict) -> Element:
    """A point symbol centred on (x, y) with radius ``r``: circle, square, triangle, diamond, cross, star."""
    if shape == "circle":
        return el("circle", {"cx": x, "cy": y, "r": r, **attrs})
    if shape == "square":
        s = r * 0.9
        return el("rect", {"x": x - s, "y": y - s, "width": 2 * s, "height": 2 * s, **attrs})
    corners = _SHAPES.get(shape, _SHAPES["diamond"])
    points = " ".join(f"{num(x + dx * r)},{num(y + dy * r)}" for dx, dy in corners)
    return el("polygon", {"points": points, **attrs})


def _star(points: int = 5, inner: float = 0.45) -> list[tuple[float, float]]:
    import math

    out = []
    for i in range(points * 2):
        radius = 1.15 if i % 2 == 0 else 1.15 * inner
        angle = math.pi * i / points - math.pi / 2
        out.append((radius * math.cos(angle), radius * math.sin(angle)))
    return out


_SHAPES: dict[str, list[tuple[float, float]]] = {
    "triangle": [(0, -1.15), (1.1, 0.85), (-1.1, 0.85)],
    "diamond": [(0, -1.2), (1.2, 0), (0, 1.2), (-1.2, 0)],
    "cross": [(-0.35, -1), (0.35, -1), (0.35, -0.35), (1, -0.35), (1, 0.35), (0.35, 0.35),
              (0.35, 1), (-0.35, 1), (-0.35, 0.35), (-1, 0.35), (-1, -0.35), (-0.35, -0.35)],
    "star": _star(),
}
