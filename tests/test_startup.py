"""What `cjm validate` imports: the start-up path stays free of heavy modules.

Every run of `cjm validate` in pre-commit and CI pays for each import, so renderers, rule
packs, the evidence engines and pydantic's plugin discovery stay off its path.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "online-shop-checkout.cjm.yaml"

KEPT_OFF = ("graphviz", "jinja2", "cairosvg", "rich", "cjm.render", "cjm.lint.rules", "cjm.evidence",
            "duckdb", "ibis", "pyspark", "pyarrow", "importlib.metadata", "email", "multiprocessing")


def _imported_by(*args: str) -> set[str]:
    code = (
        "import sys\n"
        "from cjm.cli import main\n"
        f"sys.argv = ['cjm', *{list(args)!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('\\n'.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1"})
    assert done.returncode == 0, done.stderr
    return set(done.stderr.split())


def test_validate_imports_nothing_heavy():
    modules = _imported_by("validate", str(EXAMPLE))
    heavy = sorted(m for m in modules for prefix in KEPT_OFF if m == prefix or m.startswith(prefix + "."))
    assert heavy == []


def test_the_plugin_loader_stand_in_keeps_models_working():
    modules = _imported_by("validate", str(EXAMPLE))
    assert "cjm.format.model" in modules and "pydantic.plugin._loader" in modules
    assert "importlib.metadata" not in modules
