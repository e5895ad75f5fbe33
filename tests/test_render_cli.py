"""``cjm render`` end to end: output naming, -o FILE|DIR|-, several maps and views, invalid maps,
a missing or slow Graphviz, usage errors, and a real process."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cjm.cli import app

SVG = "{http://www.w3.org/2000/svg}"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
MAP = """\
cjm: 1
id: shop
title: Shop
personas:
  - {id: rosa, name: "Rosa, repeat buyer"}
  - {id: tom, name: "Tom, first-time buyer"}
stages:
  - id: aware
    name: Awareness
    touchpoints:
      - {id: ad, name: Instagram ad, channel: social, emotion: {rosa: 1, tom: 0}}
  - id: buy
    name: Purchase
    touchpoints:
      - {id: cart, name: Cart page, channel: web, emotion: -1, pains: [Surprise delivery costs], moment_of_truth: true}
      - {id: pay, name: Payment, channel: web, personas: [rosa], emotion: {rosa: 1}}
"""
BROKEN = MAP.replace("emotion: -1", "emotion: -7")
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot is not installed (make setup installs it)")


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with maps/ (shop.cjm.yaml) and out/, the current folder being out/."""
    (tmp_path / "maps").mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "maps" / "shop.cjm.yaml").write_text(MAP, encoding="utf-8")
    monkeypatch.chdir(tmp_path / "out")
    return tmp_path


def cjm(*args: str):
    return CliRunner().invoke(app, ["render", *args], catch_exceptions=False)


def files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def fake_dot(folder: Path, script: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Put a `dot` that runs ``script`` first on PATH."""
    folder.mkdir(exist_ok=True)
    exe = folder / "dot"
    exe.write_text("#!/bin/sh\n" + script + "\n")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", str(folder) + os.pathsep + os.environ["PATH"])


# --- output naming --------------------------------------------------------------

@needs_dot
def test_default_is_the_diagram_as_svg_named_after_the_map_in_the_current_folder(work: Path) -> None:
    result = cjm("../maps/shop.cjm.yaml")
    assert result.exit_code == 0, result.output
    assert files(work / "out") == ["shop.diagram.svg"]
    root = ET.parse(work / "out" / "shop.diagram.svg").getroot()
    assert root.tag == f"{SVG}svg"
    assert "shop.diagram.svg" in result.stderr


@needs_dot
@pytest.mark.parametrize(("args", "names"), [
    (("-f", "png"), ["shop.diagram.png"]),
    (("-f", "pdf"), ["shop.diagram.pdf"]),
    (("-f", "dot"), ["shop.diagram.dot"]),
    (("--view", "curve"), ["shop.curve.svg"]),
    (("--view", "curve", "--view", "diagram"), ["shop.curve.svg", "shop.diagram.svg"]),
    (("--view", "curve", "--view", "diagram", "-f", "png"), ["shop.curve.png", "shop.diagram.png"]),
])
def test_one_file_per_view_and_format(work: Path, args: tuple[str, ...], names: list[str]) -> None:
    result = cjm("../maps/shop.cjm.yaml", *args)
    assert result.exit_code == 0, result.output
    assert files(work / "out") == names


@needs_dot
def test_a_folder_of_maps_renders_each(work: Path) -> None:
    (work / "maps" / "sub").mkdir()
    (work / "maps" / "sub" / "trial.cjm.yml").write_text(MAP.replace("id: shop", "id: trial"), encoding="utf-8")
    result = cjm("../maps", "-f", "dot")
    assert result.exit_code == 0, result.output
    assert files(work / "out") == ["shop.diagram.dot", "trial.diagram.dot"]


@needs_dot
@pytest.mark.parametrize("target", ["pictures", "pictures/", "new/deeper/"])
def test_output_folder_gets_one_file_per_map_and_view(work: Path, target: str) -> None:
    if target == "pictures":
        (work / "out" / "pictures").mkdir()
    (work / "maps" / "trial.cjm.yaml").write_text(MAP.replace("id: shop", "id: trial"), encoding="utf-8")
    result = cjm("../maps", "--view", "diagram", "--view", "curve", "-o", target)
    assert result.exit_code == 0, result.output
    assert files(work / "out" / target) == [
        "shop.curve.svg", "shop.diagram.svg", "trial.curve.svg", "trial.diagram.svg"]


@needs_dot
def test_output_file_for_one_map_and_one_view(work: Path) -> None:
    assert cjm("../maps/shop.cjm.yaml", "-o", "flow.svg").exit_code == 0
    assert files(work / "out") == ["flow.svg"]
    ET.parse(work / "out" / "flow.svg")


@needs_dot
def test_output_file_extension_picks_the_format_when_none_is_given(work: Path) -> None:
    assert cjm("../maps/shop.cjm.yaml", "-o", "flow.png").exit_code == 0
    assert (work / "out" / "flow.png").read_bytes().startswith(b"\x89PNG")
    assert cjm("../maps/shop.cjm.yaml", "-o", "flow.gv", "-f", "dot").exit_code == 0
    assert (work / "out" / "flow.gv").read_bytes().startswith(b"digraph")


@pytest.mark.parametrize("args", [
    ("../maps", "-o", "one.svg"),
    ("../maps/shop.cjm.yaml", "--view", "diagram", "--view", "curve", "-o", "one.svg"),
    ("../maps", "-o", "-"),
])
def test_one_file_or_stdout_takes_one_map_and_one_view(work: Path, args: tuple[str, ...]) -> None:
    (work / "maps" / "trial.cjm.yaml").write_text(MAP.replace("id: shop", "id: trial"), encoding="utf-8")
    result = cjm(*args)
    assert result.exit_code == 2
    assert "takes one map and one view" in result.stderr
    assert files(work / "out") == []


def test_stdout_gets_text_formats(work: Path) -> None:
    result = cjm("../maps/shop.cjm.yaml", "-f", "dot", "-o", "-")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("digraph journey {")
    assert files(work / "out") == []


@needs_dot
def test_stdout_svg_is_one_parsable_document(work: Path) -> None:
    result = cjm("../maps/shop.cjm.yaml", "-o", "-")
    assert result.exit_code == 0
    assert ET.fromstring(result.stdout_bytes).tag == f"{SVG}svg"


@pytest.mark.parametrize("fmt", ["png", "pdf"])
def test_stdout_refuses_binary_formats(work: Path, fmt: str) -> None:
    result = cjm("../maps/shop.cjm.yaml", "-f", fmt, "-o", "-")
    assert result.exit_code == 2
    assert "cannot go to standard output" in result.stderr
    assert result.stdout == ""


def test_two_maps_with_one_name_are_refused_before_anything_is_written(work: Path) -> None:
    (work / "maps" / "a").mkdir()
    (work / "maps" / "a" / "shop.cjm.yaml").write_text(MAP, encoding="utf-8")
    result = cjm("../maps", "-f", "dot")
    assert result.exit_code == 2
    assert "would both be written to shop.diagram.dot" in result.stderr
    assert files(work / "out") == []


def test_a_picture_never_overwrites_a_map(work: Path) -> None:
    result = cjm("../maps/shop.cjm.yaml", "-f", "dot", "-o", "../maps/shop.cjm.yaml")
    assert result.exit_code == 2
    assert "is a map" in result.stderr
    assert (work / "maps" / "shop.cjm.yaml").read_text(encoding="utf-8") == MAP


# --- options reach the picture ------------------------------------------------------

def test_persona_no_pains_and_theme_reach_the_diagram(work: Path) -> None:
    plain = cjm("../maps/shop.cjm.yaml", "-f", "dot", "-o", "-", "--layout", "line").stdout
    assert "Surprise delivery costs\" color" in plain or "label=\"Surprise delivery costs\"" in plain
    assert "Rosa +1 \u00b7 Tom 0" in plain
    tom = cjm("../maps/shop.cjm.yaml", "-f", "dot", "-o", "-", "--layout", "line", "--persona", "tom", "--no-pains",
              "--theme", "dark").stdout
    assert "Payment" not in tom  # serves Rosa only
    assert "label=\"Surprise delivery costs\"" not in tom
    assert "Persona: Tom, first-time buyer" in tom
    assert 'bgcolor="#1e1e1e"' in tom


def test_unknown_persona_is_a_usage_error_with_a_suggestion(work: Path) -> None:
    result = cjm("../maps/shop.cjm.yaml", "--persona", "rossa", "-f", "dot")
    assert result.exit_code == 2
    assert "no persona 'rossa'; did you mean 'rosa'? (personas: rosa, tom)" in result.stderr
    assert files(work / "out") == []


def test_unknown_view_is_a_usage_error_with_a_suggestion(work: Path) -> None:
    result = cjm("../maps/shop.cjm.yaml", "--view", "diagarm")
    assert result.exit_code == 2
    assert "unknown view 'diagarm'; did you mean 'diagram'?" in result.stderr


def test_a_format_the_view_cannot_write_names_what_it_can(work: Path) -> None:
    result = cjm("../maps/shop.cjm.yaml", "--view", "curve", "-f", "dot")
    assert result.exit_code == 2
    assert "the curve view cannot write dot; it writes svg, png, pdf" in result.stderr
    result = cjm("../maps/shop.cjm.yaml", "-f", "gif")
    assert result.exit_code == 2
    assert "it writes svg, png, pdf, dot" in result.stderr


def test_no_maps_is_a_usage_error(work: Path) -> None:
    result = cjm(".")
    assert result.exit_code == 2
    assert "no maps" in result.stderr


# --- invalid maps ------------------------------------------------------------------------

def test_an_invalid_map_is_reported_like_validate_and_not_rendered(work: Path) -> None:
    (work / "maps" / "shop.cjm.yaml").write_text(BROKEN, encoding="utf-8")
    result = cjm("../maps/shop.cjm.yaml", "-f", "dot")
    assert result.exit_code == 1
    assert "../maps/shop.cjm.yaml:15:60: error CJM010" in result.stderr and "CJM010" in result.stderr
    assert "1 of 1 map invalid" in result.stderr
    assert files(work / "out") == []


def test_valid_maps_still_render_next_to_an_invalid_one(work: Path) -> None:
    (work / "maps" / "broken.cjm.yaml").write_text(BROKEN, encoding="utf-8")
    result = cjm("../maps", "-f", "dot")
    assert result.exit_code == 1
    assert files(work / "out") == ["shop.diagram.dot"]
    assert "broken.cjm.yaml" in result.stderr


def test_an_invalid_map_to_stdout_writes_nothing_there(work: Path) -> None:
    (work / "maps" / "shop.cjm.yaml").write_text(BROKEN, encoding="utf-8")
    result = cjm("../maps/shop.cjm.yaml", "-f", "dot", "-o", "-")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "CJM010" in result.stderr


# --- Graphviz missing or too slow -------------------------------------------------------------

def test_missing_dot_is_one_line_and_exit_2(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shutil.which", lambda name, *a, **k: None)
    result = cjm("../maps/shop.cjm.yaml")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Graphviz 'dot' was not found" in lines[0] and "install" in lines[0]
    assert files(work / "out") == []


def test_dot_format_and_the_curve_need_no_dot(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shutil.which", lambda name, *a, **k: None)
    assert cjm("../maps/shop.cjm.yaml", "-f", "dot").exit_code == 0
    assert cjm("../maps/shop.cjm.yaml", "--view", "curve").exit_code == 0
    assert files(work / "out") == ["shop.curve.svg", "shop.diagram.dot"]


def test_dot_past_the_time_limit_names_the_map_and_leaves_no_file(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (work / "out" / "shop.diagram.svg").write_text("old picture", encoding="utf-8")
    fake_dot(work / "bin", "cat >/dev/null; printf '<svg'; sleep 10", monkeypatch)
    result = cjm("../maps/shop.cjm.yaml", "--dot-timeout", "0.5")
    assert result.exit_code == 2
    assert "../maps/shop.cjm.yaml" in result.stderr and "within 0.5 s" in result.stderr
    assert files(work / "out") == ["shop.diagram.svg"]  # no temporary file left behind
    assert (work / "out" / "shop.diagram.svg").read_text(encoding="utf-8") == "old picture"


def test_a_failed_map_does_not_stop_the_others(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the fake dot fails for the map titled Slow and works (as cat) for the rest
    fake_dot(work / "bin", 'input=$(cat); case "$input" in *Slow*) echo "Error: too slow" >&2; exit 1;; esac; '
                           'printf "%s" "$input"', monkeypatch)
    (work / "maps" / "slow.cjm.yaml").write_text(MAP.replace("title: Shop", "title: Slow"), encoding="utf-8")
    result = cjm("../maps")
    assert result.exit_code == 2
    assert "slow.cjm.yaml: diagram (svg): Graphviz dot failed: Error: too slow" in result.stderr
    assert files(work / "out") == ["shop.diagram.svg"]


# --- the rest of the registry, and a real process -------------------------------------------------

def test_every_registered_view_renders_through_the_command(work: Path) -> None:
    from cjm.render import VIEWS, TEXT_FORMATS, view_module

    drawn = 0
    for view in VIEWS:
        module = view_module(view)
        fmt = next(f for f in module.FORMATS if f in TEXT_FORMATS)
        result = cjm("../maps/shop.cjm.yaml", "--view", view, "-f", fmt, "-o", "all/")
        if getattr(module, "NEEDS_OBSERVED", False):  # without --observed: one clear line, exit 2
            assert result.exit_code == 2, (view, result.output)
            assert "give --observed FILE" in result.stderr
            continue
        assert result.exit_code == 0, (view, result.output)
        drawn += 1
    assert len(files(work / "out" / "all")) == drawn == len(VIEWS) - 1


@needs_dot
def test_as_a_process_with_the_examples(tmp_path: Path) -> None:
    env = {**os.environ, "NO_COLOR": "1"}
    done = subprocess.run([sys.executable, "-m", "cjm", "render", str(EXAMPLES), "-o", str(tmp_path) + "/",
                           "--view", "diagram", "--view", "curve"], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    maps = [p for p in EXAMPLES.rglob("*.cjm.yaml")]
    assert len(files(tmp_path)) == 2 * len(maps)
    empty = {**env, "PATH": str(tmp_path / "nothing-here")}
    done = subprocess.run([sys.executable, "-m", "cjm", "render", str(EXAMPLES / "online-shop-checkout.cjm.yaml"),
                           "-o", str(tmp_path / "x.png")], capture_output=True, text=True, env=empty, timeout=300)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert not (tmp_path / "x.png").exists()
