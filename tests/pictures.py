"""The pictures of README.md and docs/rendering.md, drawn from the examples: ``make pictures``.

    python tests/pictures.py docs/images      # write them
    python tests/pictures.py build/pictures   # draw them elsewhere (tests/test_pictures.py compares)

Each picture is ``cjm render`` run as a user would, with fixed options, so the same tools give the
same bytes; fonts and rasterisers of another machine may move a few pixels, which is why the test
compares with a tolerance instead of byte for byte.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECKOUT = "examples/online-shop-checkout.cjm.yaml"
BANK = "examples/bank-branch-service.cjm.yaml"

# file name -> the cjm render arguments that draw it
PICTURES = {
    "map.png": [CHECKOUT, "--view", "map", "-f", "png", "--paper", "poster", "--dpi", "40"],
    "diagram.png": [CHECKOUT, "--view", "diagram", "-f", "png", "--dpi", "72"],
    "curve.png": [CHECKOUT, "--view", "curve", "-f", "png", "--dpi", "72"],
    "blueprint.png": [BANK, "--view", "blueprint", "-f", "png", "--dpi", "60"],
}


def draw(folder: Path, names: list[str] | None = None) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, args in PICTURES.items():
        if names is not None and name not in names:
            continue
        target = folder / name
        subprocess.run([sys.executable, "-m", "cjm", "render", *args, "-o", str(target)], cwd=ROOT, check=True,
                       capture_output=True, env={"PATH": "/usr/local/bin:/usr/bin:/bin", "SOURCE_DATE_EPOCH": "0",
                                                 "HOME": str(Path.home()), "CJM_TODAY": "2026-11-22"})
        written.append(target)
    return written


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "images"
    for path in draw(out if out.is_absolute() else ROOT / out):
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
