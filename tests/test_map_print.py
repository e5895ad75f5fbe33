"""The journey map page as PDF and PNG (``--view map -f pdf|png``), printed by Chromium: a real PDF
with the expected pages, whose text (read back with pypdf) holds every stage and touchpoint;
the same bytes twice; the hostile corpus printed with no ``javascript:`` link; PNG at --dpi; and
the command's errors (missing Chromium, bad paper) as one line with no file left behind."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from cjm.format.validate import read_map
from cjm.journey import Journey
from cjm.render import MissingTool, RenderOptions
from cjm.render import map_print
from hostile_maps import hostile_journey
from test_browser import _chromium, browser  # noqa: F401  (the shared headless Chromium fixture)

ROOT = Path(__file__).resolve().parent.parent
CHECKOUT = ROOT / "examples" / "online-shop-checkout.cjm.yaml"
CORPUS = ROOT / "tests" / "corpus"

pypdf = pytest.importorskip("pypdf", reason="pypdf is not installed (pip install -e '.[dev]')")


def journey_at(path: Path) -> Journey:
    loaded = read_map(path)
    assert loaded.valid
    return Journey(loaded.journey, loaded.personas)


def printed(browser, journey: Journey, fmt: str = "pdf", **options) -> bytes:
    opts = RenderOptions(**options)
    html, width = map_print.print_html(journey, opts)
    return map_print._print(browser, html, fmt, opts, width)


def pdf_text(data: bytes, tmp_path: Path) -> tuple[int, str]:
    path = tmp_path / "out.pdf"
    path.write_bytes(data)
    reader = pypdf.PdfReader(str(path))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return len(reader.pages), text


def squash(text: str) -> str:
    return "".join(text.split())


def test_the_pdf_holds_every_stage_and_touchpoint_as_text(browser, tmp_path: Path) -> None:
    journey = journey_at(CHECKOUT)
    data = printed(browser, journey)
    assert data.startswith(b"%PDF-")
    pages, text = pdf_text(data, tmp_path)
    assert pages >= 4  # a4 portrait: the grid is cut into parts of whole stages
    flat = squash(text)
    for stage in journey.map.stages:
        assert squash(stage.name) in flat, stage.name
    for step in journey.steps:
        assert squash(step.touchpoint.name) in flat, step.touchpoint.name
    assert "Serviceblueprint" in flat and "Lineofvisibility" in flat  # the map has frontstage and backstage
    for persona in journey.personas:
        assert squash(persona.name) in flat


def test_poster_is_one_page_and_landscape_fewer_pages(browser, tmp_path: Path) -> None:
    journey = journey_at(CHECKOUT)
    poster_pages, text = pdf_text(printed(browser, journey, paper="poster"), tmp_path)
    assert poster_pages == 1
    assert all(squash(step.touchpoint.name) in squash(text) for step in journey.steps)
    portrait, _ = pdf_text(printed(browser, journey, paper="a4"), tmp_path)
    landscape, _ = pdf_text(printed(browser, journey, paper="a3", landscape=True), tmp_path)
    assert landscape < portrait


def test_grid_parts_keep_whole_stages_and_cut_only_a_stage_wider_than_a_page() -> None:
    from cjm.render.html_map import build_page

    stand_in = lambda *args, **kwargs: None  # noqa: E731
    journey = journey_at(CHECKOUT)
    page = build_page(journey, RenderOptions(), curve=stand_in, diagram=stand_in)
    parts = map_print.grid_parts(page["heads"], page["columns"], page["lanes"], per_part=6)
    assert all(len(p["columns"]) <= 6 for p in parts)
    assert sum(len(p["columns"]) for p in parts) == len(page["columns"])
    names = [h.name for p in parts for h in p["heads"]]
    assert any(name.endswith("(continued)") for name in names)  # 7 and 8 touchpoint stages on 6 columns
    for part in parts:
        for lane in part["lanes"]:
            cells = sum(c.span for c in lane.cells)
            assert cells == len(part["columns"]), lane.key


def test_the_same_map_gives_the_same_pdf(browser) -> None:
    journey = journey_at(CHECKOUT)
    assert printed(browser, journey) == printed(browser, journey)


def test_png_is_the_page_at_the_papers_width_and_dpi(browser) -> None:
    from PIL import Image
    import io

    journey = journey_at(CHECKOUT)
    data = printed(browser, journey, fmt="png", paper="a4", dpi=48)
    assert data.startswith(b"\x89PNG")
    width, height = Image.open(io.BytesIO(data)).size
    assert abs(width - map_print.page_width_px("a4", False) / 2) <= 2 and height > width


def test_a_page_chromium_cannot_capture_is_refused_with_what_to_do_instead(browser, monkeypatch) -> None:
    from playwright.sync_api import Error, Page

    def refuse(self, **kwargs):
        raise Error("Protocol error (Page.captureScreenshot): Unable to capture screenshot")

    monkeypatch.setattr(Page, "screenshot", refuse)  # what Chromium answered for one of the fuzzer's maps
    from cjm.render import RenderError

    with pytest.raises(RenderError) as refused:
        printed(browser, journey_at(CHECKOUT), fmt="png", paper="a4", dpi=48)
    message = str(refused.value)
    assert "as one PNG of" in message and "-f pdf" in message and "--dpi" in message
    assert message.count("\n") == 0


def corpus_maps() -> list[Path]:
    return [p for p in sorted(CORPUS.glob("*.cjm.yaml")) if read_map(p).valid]


def test_hostile_maps_print_with_no_script_link(browser, tmp_path: Path) -> None:
    journeys = [hostile_journey()] + [journey_at(p) for p in corpus_maps()]
    for journey in journeys:
        data = printed(browser, journey, paper="poster")
        path = tmp_path / "h.pdf"
        path.write_bytes(data)
        reader = pypdf.PdfReader(str(path))
        for page in reader.pages:
            for annotation in page.get("/Annots") or []:
                action = annotation.get_object().get("/A") or {}
                uri = str(action.get("/URI", ""))
                assert not re.match(r"\s*(javascript|data|vbscript|file):", uri, re.I), (journey.map.id, uri)
                assert uri == "" or re.match(r"https?://|#", uri) or not re.match(r"[a-z]+:", uri, re.I), uri
        assert b"/JavaScript" not in data and b"/JS " not in data


def test_missing_chromium_or_playwright_is_one_clear_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CJM_CHROMIUM", str(tmp_path / "no-such-chromium"))
    with pytest.raises(MissingTool, match="CJM_CHROMIUM=.* is not an executable file"):
        map_print.render_print(journey_at(CHECKOUT), "pdf", RenderOptions())


def run_cjm(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cjm", *args], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


def test_the_command_writes_the_pdf_and_refuses_bad_input_without_a_file(tmp_path: Path) -> None:
    _chromium()
    done = run_cjm("render", str(CHECKOUT), "--view", "map", "-f", "pdf", "--paper", "letter", "--landscape",
                   "-o", str(tmp_path / "map.pdf"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "map.pdf").read_bytes().startswith(b"%PDF-")
    bad = run_cjm("render", str(CHECKOUT), "--view", "map", "-f", "pdf", "--paper", "a5", "-o", str(tmp_path / "x.pdf"),
                  cwd=tmp_path)
    assert bad.returncode == 2 and "a5" in bad.stderr and "Traceback" not in bad.stderr
    missing = run_cjm("render", str(CHECKOUT), "--view", "map", "-f", "png", "-o", str(tmp_path / "y.png"), cwd=tmp_path,
                      env={"CJM_CHROMIUM": str(tmp_path / "nothing")})
    assert missing.returncode == 2 and "CJM_CHROMIUM" in missing.stderr and "Traceback" not in missing.stderr
    assert not (tmp_path / "x.pdf").exists() and not (tmp_path / "y.png").exists()
    stdout = run_cjm("render", str(CHECKOUT), "--view", "map", "-f", "pdf", "-o", "-", cwd=tmp_path)
    assert stdout.returncode == 2 and "binary" in stdout.stderr
