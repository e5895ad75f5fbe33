"""SVG -> PNG or PDF through cairosvg, imported only when a picture needs converting.

Output is deterministic: the same SVG gives the same bytes. cairo stamps PDFs
with the time they were made; that entry is blanked out (same length, so the
PDF's byte offsets stay valid). PNGs get a ``pHYs`` chunk so viewers know the
resolution asked for with ``--dpi``.
"""

from __future__ import annotations

import re
import struct
import zlib

from cjm.render import RenderError

MAX_SIDE = 32767  # cairo image surfaces hold at most this many pixels per side
MAX_PIXELS = 150_000_000  # about 600 MB of pixels: beyond this a PNG is not worth the memory
MAX_DPI = 1200
PDF_MAX_POINTS = 14_400  # the largest page PDF viewers must handle: 200 inches (PDF 1.7, annex C)
PDF_MIN_SCALE = 0.25  # shrinking a wider picture onto that page further leaves text too small to read
PT_PER_PX = 0.75
MAX_ELEMENTS = 100_000  # cairosvg takes about 0.1 ms of CPU an element: past this, minutes
CAIRO_MISSING = ("PNG and PDF output needs cairosvg and the cairo library ({reason}); install cairo with "
                 "'apt-get install libcairo2' (Debian, Ubuntu) or 'brew install cairo' (macOS), "
                 "or write SVG, which needs neither")
PDF_DATE = re.compile(rb"/(?:CreationDate|ModDate)\s*\([^)]*\)")
SVG_SIZE = re.compile(rb'<svg\b[^>]*?\swidth="([0-9.]+)"[^>]*?\sheight="([0-9.]+)"')


def to_png(svg: bytes, dpi: int = 96) -> bytes:
    """A PNG of ``svg`` at ``dpi`` (96 = one SVG pixel per image pixel)."""
    if not 1 <= dpi <= MAX_DPI:
        raise RenderError(f"--dpi must be between 1 and {MAX_DPI}, not {dpi}")
    _refuse_huge(svg, "PNG")
    scale = dpi / 96
    size = _pixel_size(svg, scale)
    if size is not None:
        width, height = size
        if max(width, height) > MAX_SIDE or width * height > MAX_PIXELS:
            raise RenderError(f"a PNG of {width} x {height} pixels at {dpi} dpi is too large to make "
                              f"(at most {MAX_SIDE} pixels a side); lower --dpi or write SVG or PDF")
    cairosvg = _cairosvg()
    png = _convert(cairosvg.svg2png, svg, scale=scale)
    return with_resolution(png, dpi)


def to_pdf(svg: bytes) -> bytes:
    """A one-page PDF of ``svg``, vector text and lines, without a creation date.

    A picture wider than a PDF page can be is shrunk to fit (it is vector: zooming in brings the
    text back); one that would need shrinking below a quarter is refused before cairo starts on it.
    """
    _refuse_huge(svg, "PDF")
    scale = 1.0
    size = _pixel_size(svg, PT_PER_PX)
    if size is not None and max(size) > PDF_MAX_POINTS:
        scale = PDF_MAX_POINTS / max(size)
        if scale < PDF_MIN_SCALE:
            width, height = (round(side / PT_PER_PX) for side in size)
            raise RenderError(f"a picture of {width:,} x {height:,} pixels is too large for a PDF page "
                              f"(at most {PDF_MAX_POINTS:,} points, 200 inches, a side, even shrunk to a "
                              "quarter); write SVG instead")
    cairosvg = _cairosvg()
    return without_dates(_convert(cairosvg.svg2pdf, svg, scale=scale))


def _refuse_huge(svg: bytes, kind: str) -> None:
    elements = svg.count(b"<")
    if elements > MAX_ELEMENTS:
        raise RenderError(f"the picture has {elements:,} SVG elements, too many to convert to {kind} "
                          f"in reasonable time (at most {MAX_ELEMENTS:,}); write SVG instead")


def without_dates(pdf: bytes) -> bytes:
    """Blank the creation and modification dates with spaces of the same length."""
    return PDF_DATE.sub(lambda m: b" " * len(m.group()), pdf)


def with_resolution(png: bytes, dpi: int) -> bytes:
    """Add a ``pHYs`` chunk (pixels per metre) after the PNG header chunk, unless one is there."""
    if png[:8] != b"\x89PNG\r\n\x1a\n" or b"pHYs" in png[:64]:
        return png
    per_metre = round(dpi / 0.0254)
    body = b"pHYs" + struct.pack(">IIB", per_metre, per_metre, 1)
    chunk = struct.pack(">I", len(body) - 4) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
    header_end = 8 + 4 + 4 + 13 + 4  # signature, then IHDR: length, type, 13 bytes, CRC
    return png[:header_end] + chunk + png[header_end:]


def _pixel_size(svg: bytes, scale: float) -> tuple[int, int] | None:
    match = SVG_SIZE.search(svg[:4096])
    if match is None:
        return None
    return round(float(match.group(1)) * scale), round(float(match.group(2)) * scale)


def _cairosvg():
    try:
        import cairosvg
    except ImportError as exc:  # cairosvg missing, or cairocffi finds no libcairo
        raise RenderError(CAIRO_MISSING.format(reason=exc)) from None
    except OSError as exc:
        raise RenderError(CAIRO_MISSING.format(reason=exc)) from None
    return cairosvg


def _convert(function, svg: bytes, **kwargs) -> bytes:
    try:
        return function(bytestring=svg, unsafe=False, **kwargs)  # safe: no entities, no external files
    except MemoryError:
        raise RenderError("not enough memory to convert the picture; write SVG instead") from None
    except Exception as exc:  # cairo's errors have no common base class worth naming
        raise RenderError(f"cairo could not convert the picture: {exc}") from None
