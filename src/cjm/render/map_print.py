"""``--view map -f pdf|png``: the journey map page printed by Chromium, headless, through Playwright.

Why Chromium: the map page is HTML and CSS that a browser already shows (and the test suite
checks in Chromium), so its print is the same page, with the same colours and the same inline
SVG pictures, with no second renderer to keep in step. Its PDF keeps text as text (searchable,
selectable) and its screenshot gives the PNG from the same engine. WeasyPrint, the other choice,
has no PNG output and lacks CSS the page uses (``position: sticky``, ``max()``), so the two
outputs would drift apart. Chromium is found as ``$CJM_CHROMIUM``, then ``chromium``,
``chromium-browser``, ``google-chrome`` on ``PATH``, then Playwright's own download
(``playwright install chromium``).

The page is the map page with print changes, no network and no script:

- ``--paper a4|a3|letter`` (``--landscape`` turns them): pages of that size. A table cannot break
  across pages sideways, so the grid is cut into parts of whole stages that fit the page width
  (a stage wider than a page is cut too, its heading marked ``(continued)``); the emotion curve,
  which spans the whole grid, moves to a picture of its own; the diagram and the blueprint each
  start a page, fitted to its width.
- ``--paper poster``: one page as large as the map page on a screen wide enough for the whole grid.
- PNG: the same page as one picture (the paper's width, or the poster's), at ``--dpi``.

Chromium runs with JavaScript off, offline, and every request refused; the page's own
Content-Security-Policy forbids scripts and outside sources too. The PDF's creation and
modification dates are blanked (same length), so the same map gives the same bytes.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import replace

from cjm.journey import Journey
from cjm.render import MissingTool, RenderError, RenderOptions

PAPER_MM = {"a4": (210.0, 297.0), "a3": (297.0, 420.0), "letter": (215.9, 279.4)}
MARGIN_MM = 8.0  # as the page's own @page rule
PX_PER_MM = 96 / 25.4
LANE_PX = 88.0  # the print grid's heading column (5.5rem)
MIN_COLUMN_PX = 105.0  # a touchpoint column narrower than this on paper is too cramped to read
SCREEN_LANE_PX = 8.5 * 16  # the screen grid: 8.5rem of lane headings, 11rem a touchpoint (1 rem = 16 px)
SCREEN_COLUMN_PX = 11 * 16
POSTER_MAX_PX = 200 * 96  # the largest page PDF viewers must handle: 200 in (PDF 1.7, annex C)
TIMEOUT_MS = 60_000
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
                 "--font-render-hinting=none"]
INSTALL_HINT = ("the map page as PDF or PNG needs Chromium and Playwright for Python: pip install 'cjm[pdf]', "
                "then apt-get install chromium (Debian, Ubuntu) or playwright install chromium; "
                "or set CJM_CHROMIUM to a Chromium or Chrome executable")


def render_print(journey: Journey, fmt: str, options: RenderOptions) -> bytes:
    if options.paper != "poster" and options.paper not in PAPER_MM:
        raise RenderError(f"unknown paper '{options.paper}' (papers: {', '.join(PAPER_MM)}, poster)")
    html, width_px = print_html(journey, options)
    return _chromium(html, fmt, options, width_px)


def page_width_px(paper: str, landscape: bool) -> float:
    """The printable width of one page, CSS pixels."""
    short, long = PAPER_MM[paper]
    return ((long if landscape else short) - 2 * MARGIN_MM) * PX_PER_MM


def print_html(journey: Journey, options: RenderOptions) -> tuple[str, float]:
    """The page to print, and the width (CSS px) Chromium lays it out at."""
    from cjm.render.html_map import _environment, build_page
    from cjm.render.inline_svg import inline_svg

    page = build_page(journey, options, one_scheme=True)
    if options.paper == "poster":
        columns = max(1, len(page["columns"]))
        width = SCREEN_LANE_PX + columns * SCREEN_COLUMN_PX + 2 * 24 + 2
        return _environment().get_template("map.html.j2").render(**page), width
    width = page_width_px(options.paper, options.landscape)
    per_part = max(1, int((width - LANE_PX) // MIN_COLUMN_PX))
    page["grid_parts"] = grid_parts(page["heads"], page["columns"], page["lanes"], per_part)
    if any(lane.curve for lane in page["lanes"]):
        from cjm.render.curve import curve_svg

        svg = curve_svg(journey, options)
        page["curve_picture"] = {"base": inline_svg(svg, "print-curve-", title=f"Emotion curve of {journey.map.title}")}
    return _environment().get_template("map.html.j2").render(**page), width


def grid_parts(heads: list, columns: list, lanes: list, per_part: int) -> list[dict]:
    """The grid cut into parts of at most ``per_part`` touchpoint columns, at stage boundaries where
    a stage fits; the emotion curve lane, which spans the whole grid, is left out of the parts."""
    ranges: list[tuple[int, int]] = []  # column index ranges
    start = 0
    i = 0
    while i < len(columns):
        stage = columns[i].stage_index
        end = i
        while end < len(columns) and columns[end].stage_index == stage:
            end += 1
        if end - start > per_part and i > start:  # the stage does not fit beside what is there: new part
            ranges.append((start, i))
            start = i
        while end - start > per_part:  # a stage wider than a page: cut it
            ranges.append((start, start + per_part))
            start += per_part
        i = end
    if start < len(columns):
        ranges.append((start, len(columns)))
    parts = []
    for a, b in ranges:
        cols = columns[a:b]
        stage_counts: dict[int, int] = {}
        for col in cols:
            stage_counts[col.stage_index] = stage_counts.get(col.stage_index, 0) + 1
        continued = {s for s in stage_counts if a > 0 and columns[a - 1].stage_index == s}
        part_heads = [replace(h, span=stage_counts[h.index], name=h.name + (" (continued)" if h.index in continued else ""))
                      for h in heads if h.index in stage_counts]
        part_lanes = []
        for lane in lanes:
            if lane.curve is not None:
                continue
            if lane.wide:
                cells = [replace(cell, span=stage_counts[h.index]) for cell, h in zip(lane.cells, heads) if h.index in stage_counts]
            else:
                cells = lane.cells[a:b]
            part_lanes.append(replace(lane, cells=cells))
        parts.append({"heads": part_heads, "columns": cols, "lanes": part_lanes})
    return parts


def find_chromium() -> str | None:
    """A Chromium or Chrome to print with: ``$CJM_CHROMIUM``, else one on PATH; None: Playwright's own."""
    named = os.environ.get("CJM_CHROMIUM")
    if named:
        if not (os.path.isfile(named) and os.access(named, os.X_OK)):
            raise MissingTool(f"CJM_CHROMIUM={named} is not an executable file")
        return named
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _chromium(html: str, fmt: str, options: RenderOptions, width_px: float) -> bytes:
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise MissingTool(INSTALL_HINT) from None
    executable = find_chromium()
    try:
        with sync_playwright() as playwright:
            try:
                browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, timeout=TIMEOUT_MS)
            except PlaywrightError as exc:
                raise MissingTool(f"{INSTALL_HINT} ({_first_line(exc)})") from None
            try:
                return _print(browser, html, fmt, options, width_px)
            finally:
                browser.close()
    except PlaywrightError as exc:
        raise RenderError(f"Chromium could not print the page: {_first_line(exc)}") from None


def _print(browser, html: str, fmt: str, options: RenderOptions, width_px: float) -> bytes:
    from playwright.sync_api import Error as PlaywrightError

    from cjm.render.convert import with_resolution, without_dates

    poster = options.paper == "poster"
    scale = options.dpi / 96 if fmt == "png" else 1
    context = browser.new_context(java_script_enabled=False, offline=True, viewport={"width": round(width_px), "height": 800},
                                  device_scale_factor=scale, color_scheme="dark" if options.theme == "dark" else "light")
    try:
        page = context.new_page()
        page.route("**/*", lambda route: route.abort())  # nothing leaves the machine
        page.set_default_timeout(TIMEOUT_MS)
        page.emulate_media(media="screen" if poster else "print")
        page.set_content(html, wait_until="load")
        if fmt == "png":
            size = _size(page)
            if not poster:  # the paper's width, as a page of the PDF would cut what overflows it
                size = (min(size[0], round(width_px)), size[1])
            if size[0] * size[1] * scale * scale > 150_000_000:
                raise RenderError(f"a PNG of {round(size[0] * scale)} x {round(size[1] * scale)} pixels is too large to make; "
                                  "lower --dpi, choose a --paper, or write PDF")
            clip = {"x": 0, "y": 0, "width": size[0], "height": size[1]}
            try:
                shot = page.screenshot(full_page=True, clip=clip, type="png", animations="disabled")
            except PlaywrightError as exc:  # Chromium's compositor gives up on some large pages, short of the limit above
                raise RenderError(f"Chromium could not capture the page as one PNG of {round(size[0] * scale)} x "
                                  f"{round(size[1] * scale)} pixels ({_first_line(exc)}); lower --dpi, or write PDF "
                                  "(-f pdf, which prints it on pages with --paper)") from None
            return with_resolution(shot, options.dpi)
        if poster:
            width, height = _size(page)
            shrink = min(1.0, POSTER_MAX_PX / max(width, height))
            if shrink < 0.1:
                raise RenderError(f"a poster of {width:,} x {height:,} px would have to shrink below a tenth to fit a "
                                  "PDF page (200 in a side); choose a --paper to print it on pages")
            pdf = page.pdf(width=f"{width * shrink:.0f}px", height=f"{height * shrink + 2:.0f}px", scale=shrink,
                           print_background=True, margin={"top": "0", "right": "0", "bottom": "0", "left": "0"})
        else:
            short, long = PAPER_MM[options.paper]
            pdf = page.pdf(width=f"{short}mm", height=f"{long}mm", landscape=options.landscape, print_background=True,
                           margin={k: f"{MARGIN_MM}mm" for k in ("top", "right", "bottom", "left")})
        return without_dates(pdf)
    finally:
        context.close()


def _size(page) -> tuple[int, int]:
    width, height = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    return int(width), int(height)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]
