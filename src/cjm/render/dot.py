"""The DOT language at the edges: map text made safe for DOT, and Graphviz ``dot`` run as a process.

Map text reaches a DOT file only through ``text_label`` and ``tooltip``. Both return
``graphviz.nohtml`` strings, so the ``graphviz`` package never mistakes text that looks
like ``<...>`` for an HTML-like label (which would let a touchpoint named
``<x> URL="javascript:..."`` become a link), and both escape what Graphviz would
otherwise interpret:

- ``\\`` starts escString sequences (``\\n``, ``\\l``, ``\\N``, ``\\G`` ...) and a trailing
  one breaks the quoted string, so labels double every backslash;
- ``&`` starts an entity that ``dot`` decodes in every label (``&lt;`` would show ``<``),
  so it becomes ``&amp;``;
- ``"`` is escaped by the ``graphviz`` package when it quotes the attribute.

Tooltips are escString too, but Graphviz 2.43 expands ``\\N``/``\\G``/``\\E``/``\\L`` in a
tooltip even after a doubled backslash, so there the doubled backslash is also followed by an
invisible WORD JOINER, which no escape sequence starts with: the same visible text either way.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import textwrap
import time

from cjm.render import MissingTool, RenderError

ELLIPSIS = "\u2026"
WORD_JOINER = "\u2060"
INSTALL_HINT = (
    "Graphviz 'dot' was not found on PATH; install Graphviz "
    "(Debian/Ubuntu: sudo apt-get install graphviz, macOS: brew install graphviz, "
    "Windows: winget install graphviz) or render with --format dot"
)
# cairo (PNG/PDF) writes the wall-clock time into PDFs; a fixed date keeps re-renders identical
PDF_DATE = re.compile(rb"/CreationDate \(D:\d{14}Z\)")
FIXED_PDF_DATE = b"/CreationDate (D:19700101000000Z)"
ROUTING_FAILED = re.compile(rb"in routesplines|Pshortestpath failed|Error: lost \S+ \S+ edge")
MAX_SIDE = 32767  # dot shrinks a bitmap to at most this many pixels a side
MAX_PIXELS = 150_000_000  # about 600 MB of pixels: beyond this a PNG is not worth the memory
# characters XML 1.0 cannot hold; the loader refuses most of them, this keeps the SVG well-formed regardless
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def wrap(text: str, width: int, max_lines: int) -> list[str]:
    """Whitespace collapsed (newlines too), wrapped at ``width`` and capped at ``max_lines``."""
    flat = " ".join(NOT_XML.sub("", text).split())
    if not flat:
        return []
    lines = textwrap.wrap(flat, width=width, break_long_words=True, break_on_hyphens=False)
    if len(lines) <= max_lines:
        return lines
    kept = lines[:max_lines]
    kept[-1] = kept[-1][: max(1, width - 1)].rstrip() + ELLIPSIS
    return kept


def _escape_line(line: str) -> str:
    return line.replace("\\", "\\\\").replace("&", "&amp;")


def text_label(lines: list[str], *, align: str = "center") -> str:
    """A plain-text DOT label from ready-wrapped lines; ``align`` is center or left."""
    import graphviz

    end = "\\l" if align == "left" else "\\n"
    body = end.join(_escape_line(line) for line in lines)
    if align == "left" and body:
        body += end
    return graphviz.nohtml(body)


def tooltip(parts: list[str], limit: int) -> str:
    """Hover text from several pieces of text, one per line, capped at ``limit`` characters."""
    import graphviz

    flat = [" ".join(NOT_XML.sub("", part).split()) for part in parts]
    text = "\n".join(p for p in flat if p)
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + ELLIPSIS
    safe = text.replace("\\", "\\\\" + WORD_JOINER).replace("&", "&amp;")
    return graphviz.nohtml(safe.replace("\n", "\\n"))


def render_png(source: str, *, dpi: int, timeout: float, engine: tuple[str, ...] = ()) -> bytes:
    """A PNG at ``dpi``. The layout is measured first (``-Tplain``), so a bitmap too large to hold
    in memory is refused with the resolution that would fit, instead of being made."""
    deadline = time.monotonic() + timeout
    width, height = _plain_size(run_dot(source, "plain", timeout=timeout, engine=engine))
    pixels_wide, pixels_high = _bitmap_size(width, height, dpi)
    if pixels_wide * pixels_high > MAX_PIXELS:
        fitting = int(math.sqrt(MAX_PIXELS / max(width * height, 1e-9)))
        advice = f"lower --dpi to {fitting} or less" if fitting >= 1 else "write SVG or PDF"
        raise RenderError(f"a PNG of {pixels_wide} x {pixels_high} pixels at {dpi} dpi is too large to make; "
                          f"{advice} (SVG and PDF stay sharp at any size)")
    return run_dot(source, "png", timeout=max(deadline - time.monotonic(), 0.001), dpi=dpi, budget=timeout,
                   engine=engine)


def _plain_size(plain: bytes) -> tuple[float, float]:
    """Width and height in inches from ``dot -Tplain`` (its first line: ``graph scale width height``)."""
    first = plain.split(b"\n", 1)[0].split()
    try:
        return float(first[2]), float(first[3])
    except (IndexError, ValueError):
        raise RenderError("Graphviz dot gave a layout without a size") from None


def _bitmap_size(width: float, height: float, dpi: int) -> tuple[int, int]:
    """Pixels of a ``width`` x ``height`` inch drawing at ``dpi``, after dot shrinks it to fit ``MAX_SIDE``."""
    wide, high = width * dpi, height * dpi
    shrink = min(1.0, MAX_SIDE / max(wide, high, 1.0))
    return max(1, round(wide * shrink)), max(1, round(high * shrink))


def run_dot(source: str, fmt: str, *, timeout: float, dpi: int | None = None, budget: float | None = None,
            engine: tuple[str, ...] = ()) -> bytes:
    """Lay out ``source`` with ``dot -T<fmt>``; RenderError when dot is missing, fails or runs too long.

    ``budget`` is the time limit to name in that error when ``timeout`` is what is left of it.
    When dot's spline router gives up (Graphviz 2.43 does on some crowded layouts, and then
    drops edges), the layout is made again with straight edges, which always route.
    """
    exe = shutil.which("dot")
    if exe is None:
        raise MissingTool(INSTALL_HINT)
    args = [exe, *engine, f"-T{fmt}"] + ([f"-Gdpi={dpi}"] if dpi is not None else [])
    deadline = time.monotonic() + timeout
    done = _run(args, source, timeout, budget or timeout)
    if done.returncode != 0 and ROUTING_FAILED.search(done.stderr):
        done = _run(args + ["-Gsplines=line"], source, max(deadline - time.monotonic(), 0.001), budget or timeout)
    if done.returncode != 0:
        raise RenderError(f"Graphviz dot failed: {_first_error(done.stderr)}")
    if not done.stdout:
        raise RenderError(f"Graphviz dot wrote nothing for -T{fmt}")
    if fmt == "pdf":
        return PDF_DATE.sub(FIXED_PDF_DATE, done.stdout, count=1)
    return done.stdout


def _run(args: list[str], source: str, timeout: float, budget: float) -> subprocess.CompletedProcess:
    env = {**os.environ, "SOURCE_DATE_EPOCH": "0"}
    try:
        return subprocess.run(args, input=source.encode("utf-8"), capture_output=True,
                              timeout=timeout, check=False, env=env)
    except subprocess.TimeoutExpired:
        raise RenderError(
            f"Graphviz dot did not finish the layout within {budget:g} s; "
            "raise --dot-timeout, or render --format dot and lay it out elsewhere") from None
    except OSError as exc:
        raise RenderError(f"cannot run {args[0]}: {exc.strerror or exc}") from None


def _first_error(stderr: bytes) -> str:
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    errors = [line for line in lines if line.lower().startswith("error")]
    return (errors or lines or ["no message"])[0][:300]
