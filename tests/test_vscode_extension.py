"""The VS Code extension (editors/vscode): it type-checks against the VS Code API and the language
client it uses (packages from ``npm ci`` in ``make vscode-deps``, which ``make test`` runs when node
is there), and every setting it offers is one ``cjm lsp`` reads."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

EXTENSION = Path(__file__).parents[1] / "editors" / "vscode"


def test_the_extension_type_checks():
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed, so the VS Code extension cannot be type-checked")
    tsc = EXTENSION / "node_modules" / "typescript" / "bin" / "tsc"
    assert tsc.is_file(), "the extension's packages are missing: run make vscode-deps (make test does)"
    done = subprocess.run([node, str(tsc), "-p", str(EXTENSION), "--noEmit"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_setting_of_the_extension_is_read_by_the_server():
    pytest.importorskip("lsprotocol", reason="cjm lsp needs the lsp extra (pip install 'cjm[lsp]')")
    from cjm.lsp.settings import Settings, read_settings

    manifest = json.loads((EXTENSION / "package.json").read_text())
    properties = manifest["contributes"]["configuration"]["properties"]
    offered = {name.split(".", 1)[1]: spec["default"] for name, spec in properties.items() if name != "cjm.path"}
    settings, problems = read_settings({"cjm": offered})
    assert problems == []
    assert settings == Settings()  # the extension's defaults are the server's
    source = (EXTENSION / "src" / "extension.ts").read_text()
    assert all(f'config.get("{name}")' in source for name in offered)
    assert manifest["dependencies"].keys() == {"vscode-languageclient"}
