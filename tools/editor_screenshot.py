"""The editors page's picture: Neovim (headless in tmux) with cjm lsp's diagnostics and its
completion menu, captured from the terminal and drawn as PNG (docs/images/editor-lsp.png).

    python tools/editor_screenshot.py [OUTPUT.png]

Needs nvim, tmux and the lsp extra. The terminal's text and colours are turned into an SVG with
one monospaced font and rendered by cairosvg (a dependency of cjm).
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COLS, ROWS = 110, 40
PALETTE = ["#1d1f21", "#cc6666", "#b5bd68", "#f0c674", "#81a2be", "#b294bb", "#8abeb7", "#c5c8c6",
           "#666666", "#d54e53", "#b9ca4a", "#e7c547", "#7aa6da", "#c397d8", "#70c0b1", "#eaeaea"]
SGR = re.compile(r"\x1b\[([0-9;]*)m")


def color256(n: int) -> str:
    if n < 16:
        return PALETTE[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return "#%02x%02x%02x" % (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    level = 8 + (n - 232) * 10
    return "#%02x%02x%02x" % (level, level, level)


def cells(line: str) -> list[tuple[str, str, str | None, bool]]:
    """(character, foreground, background, bold) for each character of a captured line."""
    fg, bg, bold = PALETTE[7], None, False
    out = []
    pos = 0
    for match in SGR.finditer(line + "\x1b[m"):
        for char in line[pos:match.start()]:
            out.append((char, fg, bg, bold))
        pos = match.end()
        codes = [int(c) if c else 0 for c in match.group(1).split(";")] if match.group(1) else [0]
        i = 0
        while i < len(codes):
            code = codes[i]
            if code == 0:
                fg, bg, bold = PALETTE[7], None, False
            elif code == 1:
                bold = True
            elif code == 22:
                bold = False
            elif 30 <= code <= 37:
                fg = PALETTE[code - 30]
            elif 90 <= code <= 97:
                fg = PALETTE[code - 82]
            elif 40 <= code <= 47:
                bg = PALETTE[code - 40]
            elif 100 <= code <= 107:
                bg = PALETTE[code - 92]
            elif code == 39:
                fg = PALETTE[7]
            elif code == 49:
                bg = None
            elif code in (38, 48) and i + 2 < len(codes) and codes[i + 1] == 5:
                if code == 38:
                    fg = color256(codes[i + 2])
                else:
                    bg = color256(codes[i + 2])
                i += 2
            i += 1
    return out


def svg(lines: list[str]) -> str:
    cw, ch = 9.0, 18.0
    width, height = COLS * cw + 24, ROWS * ch + 24
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">',
             f'<rect width="100%" height="100%" rx="8" fill="{PALETTE[0]}"/>',
             '<g font-family="DejaVu Sans Mono" font-size="14.5">']
    for row, line in enumerate(lines[:ROWS]):
        y = 12 + row * ch
        for col, (char, fg, bg, bold) in enumerate(cells(line)):
            x = 12 + col * cw
            if bg:
                parts.append(f'<rect x="{x}" y="{y}" width="{cw + 0.5}" height="{ch}" fill="{bg}"/>')
            if char.strip():
                weight = ' font-weight="bold"' if bold else ""
                parts.append(f'<text x="{x}" y="{y + 13.5}" fill="{fg}"{weight}>{html.escape(char)}</text>')
    parts.append("</g></svg>")
    return "\n".join(parts)


def main() -> None:
    output = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "images" / "editor-lsp.png"
    for tool in ("nvim", "tmux"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is needed")
    work = Path(tempfile.mkdtemp(prefix="cjm-shot-"))
    (work / "cjm.toml").write_text("")
    source = (REPO / "tests" / "data" / "lsp" / "shop.cjm.yaml").read_text()
    shutil.copy(REPO / "tests" / "data" / "lsp" / "shared-personas.cjm.yaml", work)
    text = source.replace("next: [delivery]", "next: [delivry]").replace("        channel: email\n", "        channel: \n")
    (work / "shop.cjm.yaml").write_text(text)
    line = text.split("\n").index("        channel: ") + 1
    env = {**os.environ, "CJM_PYTHON": sys.executable, "CJM_SHOT_LINE": str(line), "CJM_TODAY": "2026-04-01",
           "TERM": "xterm-256color", "XDG_CONFIG_HOME": str(work / "config"), "XDG_DATA_HOME": str(work / "data"),
           "XDG_STATE_HOME": str(work / "state")}
    session = f"cjm-shot-{os.getpid()}"
    command = f"nvim -n -i NONE -u {REPO / 'tools' / 'editor_screenshot.lua'} shop.cjm.yaml"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", str(COLS), "-y", str(ROWS), "-c", str(work), command],
                   env=env, check=True)
    try:
        time.sleep(float(os.environ.get("CJM_SHOT_WAIT", "8")))
        captured = subprocess.run(["tmux", "capture-pane", "-p", "-e", "-t", session], capture_output=True, text=True,
                                  check=True).stdout
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False)
    import cairosvg

    output.parent.mkdir(parents=True, exist_ok=True)
    cairosvg.svg2png(bytestring=svg(captured.split("\n")).encode(), write_to=str(output))
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
