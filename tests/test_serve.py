"""``cjm serve`` as a real process on a free port, driven by Debian's Chromium through Playwright.

Each server runs on a temporary copy of examples/ (or of the hostile corpus); saves are real file
writes, in place and as an editor's atomic rename; every wait is bounded.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="cjm serve needs the serve extra (pip install -e '.[serve]')")
pytest.importorskip("watchfiles", reason="cjm serve needs the serve extra (pip install -e '.[serve]')")

from test_browser import browser  # noqa: E402,F401  (the shared headless Chromium fixture)

ROOT = Path(__file__).resolve().parent.parent
CHECKOUT = "online-shop-checkout.cjm.yaml"
SLUG = "online-shop-checkout"
WAIT_MS = 15_000
SECRET = "cjm-serve-secret-3f9a1c"


class Served:
    def __init__(self, folder: Path, *args: str):
        self.folder = folder
        self.log = folder.parent / f"{folder.name}-serve.log"  # a file, so a chatty server never blocks on a pipe
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "cjm", "serve", str(folder), "--port", "0", "--no-open", *args],
            cwd=folder.parent, stdout=subprocess.PIPE, stderr=self.log.open("w"), text=True,
            env={**os.environ, "NO_COLOR": "1", "CJM_TODAY": "2026-11-01"},
        )
        line = self.proc.stdout.readline()
        match = re.search(r"http://[^ ]+/", line)
        if not match:
            self.proc.kill()
            pytest.fail(f"no URL printed: {line!r} {self.stderr()!r}")
        self.url = match.group(0)
        self.host, self.port = self.url.split("//")[1].rstrip("/").rsplit(":", 1)

    def raw(self, target: str, host: str | None = None) -> tuple[int, bytes]:
        """One request with the target sent exactly as given (no client-side normalising)."""
        with socket.create_connection((self.host, int(self.port)), timeout=10) as sock:
            sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {host or f'{self.host}:{self.port}'}\r\n"
                         "Connection: close\r\n\r\n".encode("latin-1"))
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        return int(head.split()[1]), body

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()

    def stderr(self) -> str:
        return self.log.read_text()


@pytest.fixture()
def served(tmp_path):
    folder = tmp_path / "examples"
    shutil.copytree(ROOT / "examples", folder)
    server = Served(folder)
    yield server
    server.stop()


@pytest.fixture()
def page(browser, served):  # noqa: F811
    context = browser.new_context(viewport={"width": 1500, "height": 950})
    tab = context.new_page()
    tab.errors = []
    tab.on("pageerror", lambda exc: tab.errors.append(str(exc)))
    tab.on("console", lambda msg: tab.errors.append(msg.text) if msg.type == "error" else None)
    tab.goto(served.url + f"maps/{SLUG}/")
    tab.wait_for_selector("#findings li", timeout=WAIT_MS)
    wait_live(tab)
    yield tab
    context.close()


def wait_live(tab) -> None:
    tab.wait_for_function("() => document.getElementById('status').textContent === 'live'", timeout=WAIT_MS)


def frame_of(tab):
    return tab.frame_locator("#content")


def frame_text(tab, selector: str) -> str:
    return tab.evaluate("(s) => { const d = document.getElementById('content').contentDocument;"
                        " const el = d && d.querySelector(s); return el ? el.textContent : null; }", selector)


def wait_frame_text(tab, selector: str, text: str) -> None:
    tab.wait_for_function("([s, t]) => { const d = document.getElementById('content').contentDocument;"
                          " const el = d && d.querySelector(s); return !!el && el.textContent.includes(t); }",
                          arg=[selector, text], timeout=WAIT_MS)


def atomic_write(path: Path, text: str) -> None:
    """What vim, VS Code and JetBrains do on save: write a temporary file, rename it over the map."""
    temp = path.with_name(path.name + ".tmp~")
    temp.write_text(text)
    os.replace(temp, path)


def test_a_save_shows_on_the_page_in_place_both_in_place_writes_and_atomic_renames(served, page):
    path = served.folder / CHECKOUT
    text = path.read_text()
    page.evaluate("window.__sameDocument = true")
    path.write_text(text.replace("Northtrail Outdoor", "Northtrail Saved-In-Place", 1))
    wait_frame_text(page, "h1", "Northtrail Saved-In-Place")
    atomic_write(path, text.replace("Northtrail Outdoor", "Northtrail Renamed-Over", 1))
    wait_frame_text(page, "h1", "Northtrail Renamed-Over")
    assert page.evaluate("window.__sameDocument") is True, "the page was reloaded"
    assert page.locator("#title").text_content().startswith("Northtrail Renamed-Over")
    assert not page.errors


def test_scroll_position_stays_across_a_save(served, page):
    path = served.folder / CHECKOUT
    page.evaluate("document.getElementById('content').contentWindow.scrollTo(0, 900)")
    grid_scroll = "document.getElementById('content').contentDocument.querySelector('.scroll')"
    page.evaluate(f"{grid_scroll}.scrollLeft = 400")
    before = page.evaluate("document.getElementById('content').contentWindow.scrollY")
    assert before > 500
    paints = int(page.evaluate("document.body.dataset.paints || '0'"))
    path.write_text(path.read_text().replace("Northtrail Outdoor", "Northtrail Scrolled", 1))
    wait_frame_text(page, "h1", "Northtrail Scrolled")
    page.wait_for_function(f"() => +(document.body.dataset.paints || 0) > {paints}", timeout=WAIT_MS)
    assert page.evaluate("document.getElementById('content').contentWindow.scrollY") == before
    assert page.evaluate(f"{grid_scroll}.scrollLeft") == 400


def test_a_broken_save_keeps_the_last_good_render_under_a_banner_until_fixed(served, page):
    path = served.folder / CHECKOUT
    good = path.read_text()
    lines = good.splitlines(keepends=True)
    broken_line = next(i for i, line in enumerate(lines) if line.startswith("title:"))
    lines[broken_line] = "title: [unclosed\n"
    atomic_write(path, "".join(lines))
    page.wait_for_selector("#banner:not([hidden])", timeout=WAIT_MS)
    banner = page.locator("#banner-text").text_content()
    assert re.search(rf"{re.escape(CHECKOUT)}:\d+:\d+: error CJM0", banner), banner
    assert "^" in banner and "│" in banner  # the source line and its caret, as validate prints them
    assert "Northtrail Outdoor" in frame_text(page, "h1")  # the old content is still there
    assert "stale" in page.locator("#content").get_attribute("class")
    path.write_text(good)
    page.wait_for_selector("#banner", state="hidden", timeout=WAIT_MS)
    assert "stale" not in (page.locator("#content").get_attribute("class") or "")


def test_a_finding_links_its_rule_and_a_click_highlights_what_it_is_about(served, page):
    first = page.locator("#findings li").first
    assert re.search(rf"{re.escape(CHECKOUT)}:\d+:\d+", first.locator(".where").text_content())
    rule = first.locator("a.rule")
    assert re.fullmatch(r"/rules/CJM\d+", rule.get_attribute("href"))
    status, body = served.raw(rule.get_attribute("href"))
    assert status == 200 and rule.text_content().split()[0].encode() in body
    anchor = first.get_attribute("data-anchor")
    assert anchor
    first.locator("button").click()
    page.wait_for_function("(a) => document.getElementById('content').contentDocument.getElementById(a)"
                           ".classList.contains('cjm-hl')", arg=anchor, timeout=WAIT_MS)


def test_persona_and_view_switches_survive_a_reload(served, page):
    page.select_option("#persona", "tom")
    page.wait_for_function("() => location.search.includes('persona=tom')", timeout=WAIT_MS)
    wait_frame_text(page, "header", "Tom")
    page.click("button[data-view=curve]")
    page.wait_for_function("() => document.getElementById('content').contentDocument?.documentElement?.tagName === 'svg'",
                           timeout=WAIT_MS)
    page.reload()
    wait_live(page)
    # the persona list is painted from the first state message, which may come just after 'live'
    page.wait_for_function("() => document.getElementById('persona').value === 'tom'", timeout=WAIT_MS)
    assert page.locator("#persona").input_value() == "tom"
    assert page.locator("button[data-view=curve]").get_attribute("aria-pressed") == "true"


def test_screenshot_of_the_live_page_with_its_findings(served, page):
    """The map with its findings panel, one finding picked: build/screenshots/serve.png, or
    docs/images/serve.png when ``make pictures`` asks (CJM_PICTURES_DIR), so a test run leaves
    the committed picture alone."""
    page.locator("#findings li").nth(2).locator("button").click()
    page.wait_for_timeout(300)

    out = Path(os.environ.get("CJM_PICTURES_DIR", ROOT / "build" / "screenshots")) / "serve.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out))
    assert out.stat().st_size > 20_000


def test_the_index_follows_maps_that_come_go_and_are_renamed(browser, served):  # noqa: F811
    tab = browser.new_page()
    try:
        tab.goto(served.url)
        wait_live(tab)
        wait_frame_text(tab, "body", "Northtrail Outdoor")
        new = served.folder / "extra.cjm.yaml"
        new.write_text((served.folder / CHECKOUT).read_text().replace("Northtrail Outdoor", "Brand New Shop", 1)
                       .replace("id: online-shop-checkout", "id: extra", 1))
        wait_frame_text(tab, "body", "Brand New Shop")
        new.rename(served.folder / "renamed.cjm.yaml")
        wait_frame_text(tab, "body", "renamed.cjm.yaml")
        (served.folder / "renamed.cjm.yaml").unlink()
        tab.wait_for_function("() => !document.getElementById('content').contentDocument.body.textContent"
                              ".includes('Brand New Shop')", timeout=WAIT_MS)
    finally:
        tab.close()


def test_an_imported_personas_file_updates_the_maps_that_import_it(browser, served):  # noqa: F811
    tab = browser.new_page()
    try:
        tab.goto(served.url + "maps/bank-branch-service/")
        wait_live(tab)
        wait_frame_text(tab, "#personas", "Walter")
        shared = served.folder / "personas" / "shared-personas.cjm.yaml"
        atomic_write(shared, shared.read_text().replace("Walter", "Waldemar"))
        wait_frame_text(tab, "#personas", "Waldemar")
    finally:
        tab.close()


# --- safety ---------------------------------------------------------------------------

TRAVERSALS = [
    "/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "//etc/passwd",
    "/etc/passwd", "/maps/..%2f..%2f..%2fetc%2fpasswd/", "/render/..%2f..%2fetc%2fpasswd/map",
    "/render/%2e%2e/map", "/_cjm/..%2f..%2f..%2f..%2fetc%2fpasswd", "/_cjm/../../pyproject.toml",
    "/maps/outside/", "/render/outside/map", "/api/maps/outside", "/outside.cjm.yaml",
    "/examples/online-shop-checkout.cjm.yaml", "/" + "/".join([".."] * 8) + "/etc/passwd",
]


def test_host_header_must_name_this_machine(served):
    assert served.raw("/", host="evil.example")[0] == 403
    assert served.raw("/", host=f"evil.example:{served.port}")[0] == 403
    for host in ("localhost", "127.0.0.1", "[::1]"):
        assert served.raw("/", host=f"{host}:{served.port}")[0] == 200
    assert served.proc.poll() is None


def test_the_live_channel_checks_its_origin(served):
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    address = f"ws://{served.host}:{served.port}/live"
    with pytest.raises((InvalidStatus, ConnectionError, OSError)):
        with connect(address, origin="http://evil.example"):
            pass
    with connect(address, origin=f"http://{served.host}:{served.port}") as ws:
        assert '"hello"' in ws.recv(timeout=5)


def test_nothing_is_served_by_path_and_no_byte_of_a_file_outside_leaks(tmp_path):
    folder = tmp_path / "maps"
    shutil.copytree(ROOT / "examples", folder)
    secret = tmp_path / "outside.cjm.yaml"
    secret.write_text(f"cjm: 1\nid: outside\ntitle: {SECRET}\n")
    (folder / "outside.cjm.yaml").symlink_to(secret)  # a symlink out of the served folder
    (folder / "linked").symlink_to(tmp_path, target_is_directory=True)
    server = Served(folder)
    try:
        for target in TRAVERSALS:
            status, body = server.raw(target)
            assert status == 404, target
            assert b"root:" not in body and SECRET.encode() not in body, target
        for target in ("/", "/catalog", f"/maps/{SLUG}/", f"/api/maps/{SLUG}"):
            status, body = server.raw(target)
            assert status == 200 and SECRET.encode() not in body, target
        assert server.raw("/", host="evil.example")[0] == 403
        assert server.proc.poll() is None, "a bad request must not stop the server"
    finally:
        server.stop()


def test_hostile_maps_run_no_script(browser, tmp_path):  # noqa: F811
    folder = tmp_path / "corpus"
    folder.mkdir()
    for path in sorted((ROOT / "tests" / "corpus").glob("*.cjm.yaml")):
        if path.stat().st_size < 200_000:
            shutil.copy(path, folder / path.name)
    from hostile_maps import hostile_yaml  # the map with a payload in every text field

    (folder / "payloads.cjm.yaml").write_bytes(hostile_yaml())
    server = Served(folder, "--dot-timeout", "5")
    context = browser.new_context()
    dialogs, errors = [], []
    try:
        tab = context.new_page()
        tab.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        tab.on("pageerror", lambda exc: errors.append(str(exc)))
        tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        tab.goto(server.url)
        wait_live(tab)
        slugs = sorted(set(re.findall(r"/maps/([^/]+)/", tab.evaluate(
            "document.getElementById('content').contentDocument.body.innerHTML"))))
        assert "payloads" in slugs
        for slug in slugs:
            tab.goto(server.url + f"maps/{slug}/")
            wait_live(tab)
            tab.wait_for_function("() => +(document.body.dataset.paints || 0) > 0", timeout=WAIT_MS)
            tab.wait_for_timeout(200)
            assert tab.evaluate("[typeof window.__pwned, typeof document.getElementById('content')"
                                ".contentWindow.__pwned]") == ["undefined", "undefined"], slug
        assert not dialogs, dialogs
        assert not [e for e in errors if "Content Security Policy" in e or "pwned" in e], errors
        assert server.proc.poll() is None
    finally:
        context.close()
        server.stop()


# --- the process ------------------------------------------------------------------------

def test_ctrl_c_with_a_tab_connected_exits_within_two_seconds(served, page):
    started = time.monotonic()
    served.proc.send_signal(signal.SIGINT)
    code = served.proc.wait(5)
    assert time.monotonic() - started < 2.0
    assert code == 0
    assert "Traceback" not in served.stderr()


def test_a_port_in_use_is_one_line_and_exit_2(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "cjm", "serve", str(ROOT / "examples"), "--port", str(port),
                                 "--no-open"], capture_output=True, text=True, timeout=30, cwd=tmp_path)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and str(port) in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_listening_on_every_interface_warns(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "cjm", "serve", str(ROOT / "examples"), "--port", "0", "--no-open",
                             "--host", "0.0.0.0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        assert "http://" in proc.stdout.readline()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(10)
    assert "warning" in proc.stderr.read()
    proc.stdout.close()
    proc.stderr.close()


def test_a_hidden_tab_closes_its_channel_and_catches_up_when_shown(served, page):
    page.evaluate("""() => { Object.defineProperty(document, 'hidden', {value: true, configurable: true});
                            document.dispatchEvent(new Event('visibilitychange')); }""")
    assert page.locator("#status").text_content().startswith("paused")
    path = served.folder / CHECKOUT
    path.write_text(path.read_text().replace("Northtrail Outdoor", "Northtrail While-Hidden", 1))
    page.wait_for_timeout(1500)
    assert "While-Hidden" not in frame_text(page, "h1")  # nothing arrives for a hidden tab
    page.evaluate("""() => { Object.defineProperty(document, 'hidden', {value: false, configurable: true});
                            document.dispatchEvent(new Event('visibilitychange')); }""")
    wait_live(page)
    wait_frame_text(page, "h1", "Northtrail While-Hidden")


def test_ten_tabs_all_follow_a_save(browser, served):  # noqa: F811
    context = browser.new_context()
    try:
        tabs = [context.new_page() for _ in range(10)]
        for tab in tabs:
            tab.goto(served.url + f"maps/{SLUG}/")
        for tab in tabs:
            wait_live(tab)
        path = served.folder / CHECKOUT
        path.write_text(path.read_text().replace("Northtrail Outdoor", "Northtrail Ten-Tabs", 1))
        for tab in tabs:
            wait_frame_text(tab, "h1", "Northtrail Ten-Tabs")
    finally:
        context.close()


def test_the_page_reconnects_after_the_server_restarts(browser, tmp_path):  # noqa: F811
    folder = tmp_path / "examples"
    shutil.copytree(ROOT / "examples", folder)
    first = Served(folder)
    tab = browser.new_page()
    try:
        tab.goto(first.url + f"maps/{SLUG}/")
        wait_live(tab)
        first.stop()
        tab.wait_for_function("() => document.getElementById('status').textContent !== 'live'", timeout=WAIT_MS)
        (folder / CHECKOUT).write_text((folder / CHECKOUT).read_text().replace("Northtrail Outdoor", "Northtrail Restarted", 1))
        second = Served(folder, "--port", first.port)  # the last --port wins
        try:
            wait_live(tab)
            wait_frame_text(tab, "h1", "Northtrail Restarted")
        finally:
            second.stop()
    finally:
        tab.close()


def test_a_layout_past_the_dot_timeout_is_named_on_the_page_and_the_server_keeps_serving(tmp_path):
    folder = tmp_path / "examples"
    shutil.copytree(ROOT / "examples", folder)
    server = Served(folder, "--dot-timeout", "0.01")
    try:
        status, body = server.raw(f"/render/{SLUG}/map")
        assert status == 200 and b"The flow diagram is left out" in body
        status, body = server.raw(f"/api/maps/{SLUG}?view=diagram")
        assert status == 200 and b'"error":' in body and b'"error":null' not in body.replace(b" ", b"")
        status, _ = server.raw(f"/render/{SLUG}/diagram")
        assert status == 422
        assert server.raw("/")[0] == 200 and server.proc.poll() is None
    finally:
        server.stop()


def test_editing_the_observed_file_redraws_the_evidence(browser, tmp_path):  # noqa: F811
    folder = tmp_path / "examples"
    shutil.copytree(ROOT / "examples", folder)
    observed = folder / "ecom-shop.observed.json"
    server = Served(folder, "--observed", str(observed))
    tab = browser.new_page()
    try:
        tab.goto(server.url + "maps/ecom-shop/")
        wait_live(tab)
        wait_frame_text(tab, "header", "Observed")
        before = frame_text(tab, "header")
        text = observed.read_text()
        atomic_write(observed, text.replace('"users": 600', '"users": 987654', 1))
        tab.wait_for_function("(b) => document.getElementById('content').contentDocument.querySelector('header')"
                              ".textContent !== b", arg=before, timeout=WAIT_MS)
        assert "987,654 users" in frame_text(tab, "header")
    finally:
        tab.close()
        server.stop()


def test_a_new_lint_configuration_relints_the_page(served, page):
    assert page.locator("#findings li").count() > 0
    codes = {c.split()[0] for c in page.locator("#findings a.rule").all_text_contents()}
    (served.folder / "cjm.toml").write_text(f"[lint]\nignore = {sorted(codes)!r}\n".replace("'", '"'))
    page.wait_for_function("() => document.querySelectorAll('#findings li').length === 0", timeout=WAIT_MS)
    assert not page.locator("#findings-empty").is_hidden()


def test_nothing_of_serve_is_imported_on_the_way_to_validate():
    code = ("import sys, cjm.cli; print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('starlette', 'uvicorn', 'watchfiles', 'websockets', 'anyio') or m.startswith(('cjm.serve', 'cjm.workspace'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", out


@pytest.mark.parametrize("header, name", [
    ("localhost:8000", "localhost"), ("127.0.0.1:80", "127.0.0.1"), ("[::1]:8000", "[::1]"), ("[::1]", "[::1]"),
    ("LOCALHOST", "localhost"), ("evil.example:8000", "evil.example"), ("", ""), ("localhost.evil.example", "localhost.evil.example"),
])
def test_host_names_are_read_without_their_port(header, name):
    from cjm.serve.app import host_name

    assert host_name(header) == name


def test_rule_pages_exist_for_rules_and_validation_codes_only():
    from cjm.serve.app import rule_text

    assert rule_text("CJM202").startswith("# CJM202")
    assert rule_text("CJM001") is not None
    assert rule_text("../../etc/passwd") is None and rule_text("CJM9999") is None
