"""The pictures in docs/images (README.md, docs/rendering.md) are what ``make pictures`` draws now.

Each is drawn again into a temporary folder and compared with the committed one: same size
(within 2 %) and, after scaling to the same size, an average difference per pixel of at most
``TOLERANCE`` on 0..255, so another machine's fonts and rasteriser pass, and a layout change does
not. A failure says to run ``make pictures`` and look at the result. The same comparison is the
regression check of each picture's layout (map page, diagram, curve, blueprint).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pictures import PICTURES, ROOT, draw

Image = pytest.importorskip("PIL.Image", reason="Pillow is not installed (pip install -e '.[dev]')")
ImageChops = pytest.importorskip("PIL.ImageChops")
ImageStat = pytest.importorskip("PIL.ImageStat")

TOLERANCE = 6.0
COMMITTED = ROOT / "docs" / "images"


def difference(a: Path, b: Path) -> tuple[tuple[int, int], tuple[int, int], float]:
    first, second = Image.open(a).convert("RGB"), Image.open(b).convert("RGB")
    size = first.size
    if second.size != size:
        second = second.resize(size)
    mean = sum(ImageStat.Stat(ImageChops.difference(first, second)).mean) / 3
    return first.size, Image.open(b).size, mean


@pytest.mark.parametrize("name", list(PICTURES))
def test_the_committed_picture_is_up_to_date(name: str, tmp_path: Path) -> None:
    if shutil.which("dot") is None:
        pytest.skip("Graphviz dot is not installed (make setup installs it)")
    if name == "map.png" and shutil.which("chromium") is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium; `make test` does it as root)")
    (fresh,) = draw(tmp_path, [name])
    committed = COMMITTED / name
    assert committed.exists(), f"{committed} is missing: run make pictures"
    size, new_size, mean = difference(committed, fresh)
    assert abs(new_size[0] - size[0]) <= 0.02 * size[0] and abs(new_size[1] - size[1]) <= 0.02 * size[1], (
        f"{name}: {new_size} now, {size} committed; run make pictures and look at docs/images/{name}")
    assert mean <= TOLERANCE, f"{name} differs by {mean:.1f} on average; run make pictures and look at docs/images/{name}"


def test_a_layout_change_is_seen(tmp_path: Path) -> None:
    """The tolerance is not so loose that a moved picture passes: the diagram against its line layout."""
    if shutil.which("dot") is None:
        pytest.skip("Graphviz dot is not installed (make setup installs it)")
    import subprocess
    import sys

    line = tmp_path / "line.png"
    args = [a for a in PICTURES["diagram.png"]]
    subprocess.run([sys.executable, "-m", "cjm", "render", *args, "--layout", "line", "-o", str(line)], cwd=ROOT,
                   check=True, capture_output=True)
    _, _, mean = difference(COMMITTED / "diagram.png", line)
    assert mean > TOLERANCE
