"""cjm site: the catalog of maps, its pages, links, escaping, determinism and atomic writes."""

from __future__ import annotations

import json
import os
import re
import shutil
import textwrap
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cjm import io as cjm_io
from cjm.cli import app
from cjm.io import replace_folder
from cjm.journey import Journey
from cjm.render import RenderError
from cjm.site import SITE_MARKER, build_site, plan, slugify, sparkline, unique_slug
from cjm.format.validate import validate_bytes

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
runner = CliRunner()
HAS_DOT = shutil.which("dot") is not None


def cjm(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


class Links(HTMLParser):
    """Every href and src in a page, and whether it has scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.scripts = 0
        self.csp: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self.scripts += 1
        if tag == "meta" and (attrs.get("http-equiv") or "").lower() == "content-security-policy":
            self.csp = attrs.get("content")
        for name in ("href", "src"):
            if attrs.get(name):
                self.links.append(attrs[name])


def parse(html: str) -> Links:
    parser = Links()
    parser.feed(html)
    return parser


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


SMALL = """\
    cjm: 1
    id: {id}
    title: {title}
    owner: {owner}
    reviewed: {reviewed}
    personas:
      - {{id: rosa, name: Rosa}}
      - {{id: sam, name: Sam}}
    stages:
      - id: find
        name: Find
        touchpoints:
          - {{id: ad, name: Ad, channel: social, emotion: {{rosa: 1, sam: 0}}}}
          - {{id: page, name: Product page, channel: web, emotion: {{rosa: -1}}}}
      - id: buy
        name: Buy
        kind: purchase
        touchpoints:
          - {{id: checkout, name: Checkout, channel: web, emotion: {{rosa: 2, sam: -2}}}}
    """


def small_map(folder: Path, name: str, *, id="shop", title="Shop", owner="Web team", reviewed="2026-10-01") -> Path:
    return write(folder, name, SMALL.format(id=id, title=json.dumps(title), owner=json.dumps(owner), reviewed=reviewed))


BROKEN = """\
    cjm: 1
    id: broken
    title: Broken
    stages:
      - id: s
        name: S
        touchpoints:
          - {id: t, name: T, emotion: 7}
    """


@pytest.fixture()
def today(monkeypatch):
    monkeypatch.setenv("CJM_TODAY", "2026-11-01")


@pytest.fixture(scope="module")
def examples_site(tmp_path_factory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("site") / "site"
    os.environ["CJM_TODAY"] = "2026-11-01"
    try:
        result = cjm("site", str(EXAMPLES), "-o", str(out))
    finally:
        del os.environ["CJM_TODAY"]
    return out, result


# --- the catalog over the examples -------------------------------------------

def test_examples_site_lists_every_map_with_its_facts(examples_site):
    out, result = examples_site
    assert result.exit_code == 0, result.output
    assert "5 maps" in result.output
    index = (out / "index.html").read_text()
    for title, owner, persona, stage in [
        ("Northtrail Outdoor - from first ad to repeat purchase", "E-commerce", "Rosa", "Purchase"),
        ("Pipewise - B2B trial to paid plan and first renewal", None, None, None),
        ("Riverside Community Bank - switching a current account through the branch", None, "Walter", None),
    ]:
        assert title in index
        for text in (owner, persona, stage):
            if text:
                assert text in index
    rows = re.findall(r'<tr class="map" id="map-([a-z0-9_-]+)" data-status="(\w+)"', index)
    assert [slug for slug, _ in rows] == [
        "bank-branch-service", "ecom-shop", "online-shop-checkout", "personas-shared-personas", "saas-trial-to-paid"]
    assert all(status in ("clean", "info", "warning", "error") for _, status in rows)
    assert index.count('<svg class="spark"') == 4  # the personas-only file has no touchpoints
    assert "(imported)" in index  # the bank map's shared personas
    assert "not reviewed" in index  # the personas file has no reviewed date


def test_every_relative_link_of_the_index_resolves_and_none_leaves_the_folder(examples_site):
    out, _ = examples_site
    page = parse((out / "index.html").read_text())
    assert page.scripts == 0
    assert page.links, "the index links to nothing"
    for link in page.links:
        assert not re.match(r"^[a-z][a-z0-9+.-]*:|^/|^//", link), f"not a relative link: {link}"
        target = (out / link).resolve()
        assert out.resolve() in target.parents and target.is_file(), link
    wanted = {"map.html", "curve.svg"} | ({"diagram.svg"} if HAS_DOT else set())
    for slug in ("bank-branch-service", "online-shop-checkout", "saas-trial-to-paid"):
        assert {f"maps/{slug}/{name}" for name in wanted} <= set(page.links)


def test_index_forbids_scripts_and_outside_sources(examples_site):
    out, _ = examples_site
    csp = parse((out / "index.html").read_text()).csp
    assert csp is not None
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
    assert directives["default-src"] == "'none'"
    assert "script-src" not in directives
    assert "http" not in csp


def test_map_pages_are_the_renderers_output(examples_site):
    out, _ = examples_site
    page = out / "maps" / "online-shop-checkout"
    assert (page / "map.html").read_text().lstrip().lower().startswith("<!doctype html")
    assert (page / "curve.svg").read_bytes().lstrip().startswith((b"<svg", b"<?xml"))
    if HAS_DOT:
        assert b"<svg" in (page / "diagram.svg").read_bytes()


# --- content -----------------------------------------------------------------

def test_lint_counts_stale_review_and_average_emotion(tmp_path, today):
    small_map(tmp_path, "fresh.cjm.yaml", id="fresh", title="Fresh map")
    small_map(tmp_path, "old.cjm.yaml", id="old", title="Old map", reviewed="2020-01-01")
    result = cjm("site", str(tmp_path), "-o", str(tmp_path / "site"))
    assert result.exit_code == 0, result.output
    index = (tmp_path / "site" / "index.html").read_text()
    old_row = index[index.index('id="map-old"'):]
    old_row = old_row[:old_row.index("</tr>")]
    fresh_row = index[index.index('id="map-fresh"'):]
    fresh_row = fresh_row[:fresh_row.index("</tr>")]
    assert 'class="badge stale"' in old_row and "2020-01-01" in old_row
    assert 'class="badge stale"' not in fresh_row
    assert "review-overdue" not in fresh_row
    # average of per-touchpoint means: (0.5 + -1 + 0) / 3
    assert "\u22120.17" in fresh_row and "neutral" in fresh_row
    warnings = re.search(r'<span class="badge warning">(\d+) warnings?</span>', old_row)
    assert warnings and int(warnings.group(1)) >= 1
    assert "CJM501" in old_row
    # the map pages carry the same findings
    assert "CJM501" in (tmp_path / "site" / "maps" / "old" / "map.html").read_text()
    assert "CJM501" not in (tmp_path / "site" / "maps" / "fresh" / "map.html").read_text()
    assert "Lint findings" in (tmp_path / "site" / "maps" / "fresh" / "map.html").read_text()


def test_map_text_is_escaped_everywhere(tmp_path, today):
    small_map(tmp_path, "evil.cjm.yaml", id="evil", title='"<script>alert(1)</script>',
              owner="'<img src=x onerror=alert(1)>'")
    result = cjm("site", str(tmp_path), "-o", str(tmp_path / "site"))
    assert result.exit_code == 0, result.output
    for path in (tmp_path / "site").rglob("*"):
        if path.suffix in (".html", ".svg"):
            text = path.read_text()
            assert "<script>" not in text and "<img src=x" not in text, path
    index = (tmp_path / "site" / "index.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in index
    assert "&lt;img src=x onerror=alert(1)&gt;" in index


def test_invalid_maps_are_listed_with_their_diagnostics_and_exit_1(tmp_path, today):
    small_map(tmp_path, "good.cjm.yaml")
    write(tmp_path, "bad.cjm.yaml", BROKEN)
    write(tmp_path, "syntax.cjm.yaml", "cjm: 1\nid: [unclosed\n")
    result = cjm("site", str(tmp_path), "-o", str(tmp_path / "site"))
    assert result.exit_code == 1, result.output
    assert "2 invalid" in result.output
    index = (tmp_path / "site" / "index.html").read_text()
    invalid = index[index.index('id="invalid"'):]
    assert re.search(r"bad\.cjm\.yaml:8:\d+</code> error <code>CJM010</code>", invalid)
    assert "syntax.cjm.yaml:" in invalid and "CJM001" in invalid
    assert not (tmp_path / "site" / "maps" / "bad").exists()
    assert (tmp_path / "site" / "maps" / "good" / "curve.svg").is_file()


def test_without_dot_the_diagram_is_named_unavailable(tmp_path, today, monkeypatch):
    small_map(tmp_path, "shop.cjm.yaml")
    monkeypatch.setenv("PATH", str(tmp_path / "no-tools"))
    result = cjm("site", str(tmp_path / "shop.cjm.yaml"), "-o", str(tmp_path / "site"))
    assert result.exit_code == 0, result.output
    index = (tmp_path / "site" / "index.html").read_text()
    assert "Diagram: not available" in index and "Graphviz" in index
    assert not (tmp_path / "site" / "maps" / "shop" / "diagram.svg").exists()
    assert (tmp_path / "site" / "maps" / "shop" / "curve.svg").is_file()
    assert "maps/shop/diagram.svg" not in parse(index).links


def test_output_is_deterministic(tmp_path, today):
    small_map(tmp_path, "maps/a.cjm.yaml", id="a", title="A")
    small_map(tmp_path, "maps/b.cjm.yaml", id="b", title="B")

    def snapshot(folder: Path) -> dict[str, bytes]:
        return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}

    assert cjm("site", str(tmp_path / "maps"), "-o", str(tmp_path / "one")).exit_code == 0
    assert cjm("site", str(tmp_path / "maps/b.cjm.yaml"), str(tmp_path / "maps/a.cjm.yaml"),
               "-o", str(tmp_path / "two")).exit_code == 0
    one, two = snapshot(tmp_path / "one"), snapshot(tmp_path / "two")
    assert one.keys() == two.keys() and one == two
    assert "index.html" in one and "maps/a/map.html" in one


def test_index_follows_the_readers_colour_scheme_unless_a_theme_is_asked_for(tmp_path, today):
    from cjm.render.theme import DARK, LIGHT

    small_map(tmp_path, "shop.cjm.yaml")
    assert cjm("site", str(tmp_path / "shop.cjm.yaml"), "-o", str(tmp_path / "auto")).exit_code == 0
    assert cjm("site", str(tmp_path / "shop.cjm.yaml"), "-o", str(tmp_path / "dark"), "--theme", "dark").exit_code == 0
    auto = (tmp_path / "auto" / "index.html").read_text()
    dark = (tmp_path / "dark" / "index.html").read_text()
    assert "@media (prefers-color-scheme: dark)" in auto
    assert f"--bg: {LIGHT.background}" in auto and f"--bg: {DARK.background}" in auto
    assert "prefers-color-scheme" not in dark and f"--bg: {LIGHT.background}" not in dark
    assert f"--p0: {DARK.persona_colors[0]}" in dark


# --- writing -----------------------------------------------------------------

def test_rebuild_replaces_a_previous_site_and_drops_stale_pages(tmp_path, today):
    small_map(tmp_path, "maps/a.cjm.yaml", id="a", title="A")
    small_map(tmp_path, "maps/b.cjm.yaml", id="b", title="B")
    out = tmp_path / "site"
    assert cjm("site", str(tmp_path / "maps"), "-o", str(out)).exit_code == 0
    (tmp_path / "maps" / "b.cjm.yaml").unlink()
    assert cjm("site", str(tmp_path / "maps"), "-o", str(out)).exit_code == 0
    assert not (out / "maps" / "b").exists() and (out / "maps" / "a").is_dir()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no staging left


def test_a_folder_cjm_did_not_write_is_never_replaced(tmp_path, today):
    small_map(tmp_path, "shop.cjm.yaml")
    precious = tmp_path / "docs"
    write(precious, "notes.txt", "keep me")
    result = cjm("site", str(tmp_path / "shop.cjm.yaml"), "-o", str(precious))
    assert result.exit_code == 2
    assert "not written by cjm site" in result.output
    assert (precious / "notes.txt").read_text() == "keep me" and len(list(precious.iterdir())) == 1
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cjm("site", str(tmp_path / "shop.cjm.yaml"), "-o", str(empty)).exit_code == 0
    assert (empty / SITE_MARKER).is_file()
    a_file = write(tmp_path, "file.txt", "x")
    assert cjm("site", str(tmp_path / "shop.cjm.yaml"), "-o", str(a_file)).exit_code == 2


def test_usage_errors_exit_2(tmp_path):
    assert cjm("site", str(tmp_path)).exit_code == 2  # no -o
    result = cjm("site", str(tmp_path), "-o", str(tmp_path / "site"))  # no maps
    assert result.exit_code == 2 and "no maps" in result.output
    assert not (tmp_path / "site").exists()


def test_a_crash_while_building_leaves_the_old_site_as_it_was(tmp_path, today, monkeypatch):
    small_map(tmp_path, "shop.cjm.yaml")
    out = tmp_path / "site"
    assert cjm("site", str(tmp_path / "shop.cjm.yaml"), "-o", str(out)).exit_code == 0
    before = (out / "index.html").read_bytes()

    import cjm.site as site_module

    def exploding(*args, **kwargs):
        raise MemoryError("out of memory in the middle of the site")

    monkeypatch.setattr(site_module, "render_view", exploding)
    monkeypatch.setattr(site_module.build_site, "__kwdefaults__", {**site_module.build_site.__kwdefaults__,
                                                                     "render": exploding})
    with pytest.raises(MemoryError):
        cjm("site", str(tmp_path / "shop.cjm.yaml"), "-o", str(out))
    assert (out / "index.html").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shop.cjm.yaml", "site"]


def test_replace_folder_restores_the_old_folder_when_the_swap_fails(tmp_path, monkeypatch):
    target = tmp_path / "site"
    replace_folder(target, {"index.html": b"old", "maps/a/x.svg": b"<svg/>"})
    real_replace = os.replace
    calls = []

    def failing_second_rename(src, dst):
        calls.append((src, dst))
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(cjm_io.os, "replace", failing_second_rename)
    with pytest.raises(OSError):
        replace_folder(target, {"index.html": b"new"})
    assert (target / "index.html").read_bytes() == b"old"
    assert (target / "maps" / "a" / "x.svg").read_bytes() == b"<svg/>"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


@pytest.mark.parametrize("name", ["../x", "/etc/passwd", "a/../../b", ""])
def test_replace_folder_refuses_paths_outside_the_folder(tmp_path, name):
    with pytest.raises(ValueError):
        replace_folder(tmp_path / "site", {name: b"x"})
    assert not (tmp_path / "site").exists()


# --- pieces ------------------------------------------------------------------

def test_slugs():
    assert slugify("journeys/Check Out.cjm.yaml") == "journeys-check-out"
    assert slugify("a.cjm.yml") == "a"
    assert slugify("\u00e9\u00e9.cjm.yaml") == "map"
    taken: set[str] = set()
    assert [unique_slug(f, taken) for f in ("a-b.cjm.yaml", "a/b.cjm.yaml", "a_b.cjm.yaml", "A-B.cjm.yml")] == [
        "a-b", "a-b-2", "a_b", "a-b-3"]


def loaded_from(text: str, file: str):
    return validate_bytes(textwrap.dedent(text).encode(), Path(file), file)


def test_plan_orders_by_file_and_strips_the_shared_folder():
    maps = [loaded_from(SMALL.format(id=i, title=i, owner="o", reviewed="2026-01-01"), f"repo/journeys/{f}")
            for i, f in [("b", "z/b.cjm.yaml"), ("a", "a.cjm.yaml")]]
    assert [(m.file, slug) for m, slug in plan(maps)] == [
        ("repo/journeys/a.cjm.yaml", "a"), ("repo/journeys/z/b.cjm.yaml", "z-b")]
    single = plan([maps[0]])
    assert single[0][1] == "b"


def test_sparkline_breaks_at_missing_emotions_and_keeps_lone_points():
    loaded = loaded_from(SMALL.format(id="s", title="S", owner="o", reviewed="2026-01-01"), "s.cjm.yaml")
    sparks = sparkline(Journey(loaded.journey, loaded.personas))
    rosa, sam = sparks
    assert rosa.name == "Rosa" and len(rosa.runs) == 1 and len(rosa.runs[0].split()) == 3 and not rosa.dots
    # Sam has no emotion at the product page: his line is two lone points, not a line through zero
    assert sam.runs == () and len(sam.dots) == 2
    assert (rosa.slot, sam.slot) == (0, 1)
    ys = [float(p.split(",")[1]) for p in rosa.runs[0].split()]
    assert ys[1] > ys[0] > ys[2]  # -1 is drawn lower (larger y) than +1, +2 highest


def test_render_errors_become_reasons_and_other_views_still_render():
    loaded = loaded_from(SMALL.format(id="s", title="S", owner="o", reviewed="2026-01-01"), "s.cjm.yaml")

    def render(view, journey, fmt, options):
        if view == "diagram":
            raise RenderError("Graphviz is not installed")
        return f"<{view} {fmt} {options.theme}>".encode()

    site = build_site(plan([loaded]), lambda m: [], theme="dark", render=render)
    assert site.files["maps/s/map.html"] == b"<map html dark>"
    assert site.files["maps/s/curve.svg"] == b"<curve svg dark>"
    assert "maps/s/diagram.svg" not in site.files
    [entry] = site.entries
    assert [(l.label, l.href, l.reason) for l in entry.links] == [
        ("Map", "maps/s/map.html", None), ("Diagram", None, "Graphviz is not installed"),
        ("Curve", "maps/s/curve.svg", None)]


# --- in a browser ------------------------------------------------------------

from test_browser import browser  # noqa: E402,F401  (the shared headless Chromium fixture)


class Opened:
    """A site file opened from disk, with everything it logged and requested."""

    def __init__(self, browser, path: Path):
        self.context = browser.new_context(viewport={"width": 1500, "height": 1000})
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: m.type in ("error", "warning") and self.problems.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.problems.append(f"pageerror: {e}"))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(path.as_uri(), wait_until="load", timeout=60_000)

    def close(self) -> None:
        self.context.close()


def test_in_a_browser_every_link_resolves_and_no_page_errs_or_fetches(browser, examples_site, tmp_path):
    out, _ = examples_site
    root = out.resolve()
    index = Opened(browser, root / "index.html")
    try:
        hrefs = index.page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        assert index.problems == [] and index.requests == [(root / "index.html").as_uri()]
        assert index.page.evaluate("document.scripts.length") == 0
        index.page.screenshot(path=str(tmp_path / "site-index.png"), full_page=True)
    finally:
        index.close()
    assert len(hrefs) >= 9
    targets = sorted({href.split("#")[0] for href in hrefs})
    for url in targets:
        assert url.startswith(root.as_uri() + "/"), f"link leaves the site: {url}"
        target = Path(url[len("file://"):])
        assert target.is_file(), f"broken link: {url}"
        opened = Opened(browser, target)
        try:
            assert opened.problems == [], (url, opened.problems)
            assert opened.requests == [url], (url, opened.requests)
            inner = opened.page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
            for link in inner:
                if link.startswith("file:"):
                    assert Path(link.split("#")[0][len("file://"):]).exists(), (url, link)
        finally:
            opened.close()


def test_in_a_browser_the_title_leads_to_the_map_and_findings_unfold(browser, examples_site):
    out, _ = examples_site
    index = Opened(browser, out.resolve() / "index.html")
    try:
        row = index.page.locator("#map-online-shop-checkout")
        details = row.locator("details")
        assert not details.locator("li").first.is_visible()
        details.locator("summary").click()
        assert details.locator("li").first.is_visible()
        with index.page.expect_navigation():
            row.locator("td.title a").click()
        assert index.page.url.endswith("/maps/online-shop-checkout/map.html")
        assert "Northtrail Outdoor" in index.page.title()
        assert index.problems == []
    finally:
        index.close()


def test_in_a_browser_the_index_is_dark_for_a_dark_system(browser, examples_site, tmp_path):
    from cjm.render.theme import DARK

    out, _ = examples_site
    context = browser.new_context(color_scheme="dark", viewport={"width": 1500, "height": 1000})
    try:
        page = context.new_page()
        page.goto((out.resolve() / "index.html").as_uri(), wait_until="load")
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        r, g, b = (int(DARK.background[i:i + 2], 16) for i in (1, 3, 5))
        assert background == f"rgb({r}, {g}, {b})"
        line = page.locator("svg.spark polyline").first
        assert line.evaluate("e => getComputedStyle(e).fill") == "none"
        assert line.evaluate("e => getComputedStyle(e).stroke") != "none"
        page.screenshot(path=str(tmp_path / "site-index-dark.png"), full_page=True)
    finally:
        context.close()


def test_in_a_browser_a_hostile_map_runs_nothing_on_the_index(browser, tmp_path):
    from hostile_maps import hostile_yaml
    from test_browser import POKE

    (tmp_path / "maps").mkdir()
    (tmp_path / "maps" / "hostile.cjm.yaml").write_bytes(hostile_yaml())
    write(tmp_path, "maps/bad.cjm.yaml", "cjm: 1\nid: bad\ntitle: \"<script>window.__pwned=1</script>\"\nstages: 1\n")
    result = cjm("site", str(tmp_path / "maps"), "-o", str(tmp_path / "site"))
    assert result.exit_code == 1, result.output
    index = Opened(browser, tmp_path / "site" / "index.html")
    dialogs: list[str] = []
    index.page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        assert index.page.evaluate(POKE) == "undefined"
        for element in index.page.locator("a, td, span, summary").all()[:150]:
            element.hover(timeout=2_000, force=True)
        assert index.page.evaluate("typeof window.__pwned") == "undefined"
        handlers = index.page.evaluate(
            "[...document.querySelectorAll('*')].flatMap(e => [...e.attributes].map(a => a.name))"
            ".filter(n => n.startsWith('on'))")
        assert handlers == [] and dialogs == []
        assert index.page.evaluate("document.scripts.length") == 0
        assert index.problems == [] and index.requests == [(tmp_path / "site" / "index.html").as_uri()]
    finally:
        index.close()
