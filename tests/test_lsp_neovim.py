"""One real editor: Debian's Neovim (``make neovim`` installs it), headless, opens a broken map,
receives cjm's diagnostics through its own LSP client and writes them out for this test."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lsp_testing import DATA, TODAY, project

pytestmark = pytest.mark.slow

LINE = '      - {id: gift, name: "Geschenk 🎁 礼物 包装", next: [sigup]}'


def test_neovim_shows_cjm_diagnostics_of_a_broken_map(tmp_path):
    nvim = shutil.which("nvim")
    if nvim is None:
        pytest.skip("Neovim is not installed (make neovim installs it with apt-get)")
    root = project(tmp_path)
    map_file = root / "shop.cjm.yaml"
    text = map_file.read_text().replace("    touchpoints:\n      - id: delivery", "    touchpoints:\n" + LINE + "\n      - id: delivery")
    map_file.write_text(text)
    out = tmp_path / "diagnostics.tsv"
    env = {**os.environ, "CJM_NVIM_MAP": str(map_file), "CJM_NVIM_OUT": str(out), "CJM_PYTHON": sys.executable,
           "CJM_TODAY": TODAY, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_STATE_HOME": str(tmp_path / "state")}
    done = subprocess.run([nvim, "--headless", "-n", "-i", "NONE", "-u", str(DATA / "nvim" / "init.lua")],
                          env=env, cwd=root, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert out.is_file(), f"Neovim wrote nothing (exit {done.returncode}): {done.stderr[-2000:]}"
    rows = [line.split("\t") for line in out.read_text(encoding="utf-8").splitlines()]
    assert rows and rows[0] != ["timeout"], rows
    unknown = [r for r in rows if r[2] == "CJM021"]
    line = text.split("\n").index(LINE)
    # Neovim counts columns in bytes: cjm's UTF-16 position came through its client's conversion
    assert [r[:4] for r in unknown] == [[str(line), str(len(LINE[:LINE.index("sigup")].encode("utf-8"))), "CJM021", "1"]]
    assert unknown[0][4].startswith("unknown touchpoint 'sigup'")
    assert {r[2] for r in rows} == {"CJM021"}  # an invalid map is not linted: validation problems only
