"""The HTML journey map in a real browser: headless Chromium (Debian's ``chromium``) via Playwright.

Opened from disk, the page must log no console error, request nothing but itself, and run no
script even when every text in the map is a payload. Screenshots (light, dark, print on A3
landscape) are written under pytest's tmp folder for a person to look at. Without Chromium or
Playwright the tests are skipped and say why, except in CI (``CI=true``), where that skip fails
(tests/ci_skips.py): ``make test`` installs both. A Chromium that is there but does not start
is a failure everywhere.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from cjm.journey import Journey
from cjm.render import RenderOptions
from cjm.render.html_map import html_page
from cjm.render.map_print import CHROMIUM_ARGS  # the flags cjm itself starts Chromium with
from cjm.format.validate import read_map
from hostile_maps import hostile_journey

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
CHECKOUT = ROOT / "examples" / "online-shop-checkout.cjm.yaml"
A3_LANDSCAPE_PX = round((420 - 2 * 8) / 25.4 * 96)  # page width minus the 8 mm print margins, at 96 px/in

# Events a payload could hang on; dispatched on every element after load.
POKE = """() => {
  for (const el of document.querySelectorAll('*')) {
    for (const type of ['mouseover', 'mouseenter', 'focus', 'click', 'load', 'error']) {
      el.dispatchEvent(new Event(type, {bubbles: true}));
    }
  }
  return typeof window.__pwned;
}"""
DOM_AUDIT = """() => {
  const bad = [];
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      if (attr.name.toLowerCase().startsWith('on')) bad.push(el.tagName + ' ' + attr.name);
    }
    const href = el.getAttribute('href') || el.getAttribute('xlink:href');
    if (href && !/^(#|https?:\\/\\/)/i.test(href.trim())) bad.push(el.tagName + ' href=' + href);
  }
  for (const tag of ['script', 'img', 'iframe', 'object', 'embed', 'link', 'foreignObject', 'image']) {
    if (document.getElementsByTagName(tag).length) bad.push('<' + tag + '>');
  }
  return bad;
}"""


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium; `make test` does it as root)")
    return exe


@pytest.fixture(scope="module")
def browser():
    exe = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright for Python is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS, timeout=60_000)
        except Exception as exc:  # noqa: BLE001 - an installed browser that does not start is a failure
            pytest.fail(f"Chromium at {exe} does not start headless: {exc}", pytrace=False)
        yield chromium
        chromium.close()


def test_a_chromium_that_does_not_start_fails_the_tests_that_need_it(pytester, tmp_path, monkeypatch):
    """Not a skip: an installed browser that cannot start is what this file exists to catch."""
    fake = tmp_path / "bin" / "chromium"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'cannot open the display' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("CI", raising=False)
    pytester.makepyfile(test_needs_a_browser="from test_browser import browser  # noqa: F401\n\n"
                                             "def test_page(browser):\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"*Chromium at {fake} does not start headless*"])


@pytest.fixture(scope="module")
def screens(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


class Visit:
    """A page opened from disk, with everything it logged, requested and tried to open."""

    def __init__(self, browser, html: str, folder: Path, name: str, **context):
        self.file = folder / f"{name}.html"
        self.file.write_text(html, encoding="utf-8")
        self.context = browser.new_context(**{"viewport": {"width": 1400, "height": 900}, **context})
        self.page = self.context.new_page()
        self.console: list[str] = []
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", self._dialog)
        self.page.goto(self.file.as_uri(), wait_until="load", timeout=60_000)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def assert_quiet(self) -> None:
        problems = [c for c in self.console if c.startswith(("error", "warning"))]
        assert not problems and not self.errors, (problems, self.errors)
        assert self.requests == [self.file.as_uri()], self.requests
        assert not self.dialogs, self.dialogs

    def close(self) -> None:
        self.context.close()


def test_hostile_map_runs_no_script_and_loads_nothing(browser, screens):
    journey = hostile_journey()
    visit = Visit(browser, html_page(journey), screens, "hostile")
    try:
        assert visit.page.evaluate(POKE) == "undefined"
        for x in range(20, 1400, 60):  # real pointer moves over the page, for any hover handler
            for y in range(20, 900, 60):
                visit.page.mouse.move(x, y)
        assert visit.page.evaluate("typeof window.__pwned") == "undefined"
        assert visit.page.evaluate(DOM_AUDIT) == []
        assert visit.page.title() == " ".join(journey.map.title.split()) + " - journey map"
        visit.page.screenshot(path=str(screens / "hostile.png"), full_page=False)
        visit.assert_quiet()
    finally:
        visit.close()


def _checkout_html(**options) -> str:
    loaded = read_map(CHECKOUT)
    return html_page(Journey(loaded.journey, loaded.personas), RenderOptions(**options))


def test_example_map_opens_cleanly_light_and_dark(browser, screens):
    html = _checkout_html()
    for scheme, background in (("light", "rgb(255, 255, 255)"), ("dark", "rgb(30, 30, 30)")):
        visit = Visit(browser, html, screens, f"checkout-{scheme}", color_scheme=scheme)
        try:
            assert visit.page.evaluate("getComputedStyle(document.body).backgroundColor") == background
            shown = visit.page.evaluate(
                "[...document.querySelectorAll('.lane-curve .pic-base, .lane-curve .pic-dark')]"
                ".map(e => getComputedStyle(e).display)")
            assert shown == (["block", "none"] if scheme == "light" else ["none", "block"])
            visit.page.locator("#map-h").scroll_into_view_if_needed()
            visit.page.screenshot(path=str(screens / f"checkout-{scheme}.png"))
            visit.assert_quiet()
        finally:
            visit.close()


def test_print_layout_fits_a3_landscape(browser, screens):
    viewport = {"width": A3_LANDSCAPE_PX, "height": round(A3_LANDSCAPE_PX / 1.414)}
    visit = Visit(browser, _checkout_html(), screens, "checkout-print", viewport=viewport, color_scheme="dark")
    try:
        visit.page.emulate_media(media="print")
        widths = visit.page.evaluate(
            "[document.querySelector('.grid').getBoundingClientRect().width, document.documentElement.clientWidth,"
            " document.documentElement.scrollWidth]")
        assert widths[0] <= widths[1] and widths[2] <= widths[1], widths
        assert visit.page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
        visit.page.screenshot(path=str(screens / "checkout-print.png"), full_page=True)
        pdf = visit.page.pdf(path=str(screens / "checkout.pdf"), prefer_css_page_size=True, print_background=True)
        assert pdf.startswith(b"%PDF")
        visit.assert_quiet()
    finally:
        visit.close()
