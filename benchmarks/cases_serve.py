"""``cjm serve``: save-to-paint latency measured in the browser, and the server's memory over many saves.

A real server on a free port, Debian's Chromium through Playwright. Each save rewrites the map's
title; the time runs from just before the write to the frame in which the page shows the new render
(the page's script stamps ``data-painted-at`` on <body> in the animation frame after the swap).
Saves are 250 ms apart, so each is its own burst. Skipped, with a line saying why, without
Chromium or the serve extra.
"""

from __future__ import annotations

import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from bench import REPO
from generate import make_map

SAVES = 20
MEMORY_SAVES = 200
CHROMIUM = "/usr/bin/chromium"


@dataclass(frozen=True)
class BrowserCase:
    """A case with its own runner: ``report(scratch)`` returns the markdown to print."""

    name: str
    report: Callable[[Path], str]


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class _Server:
    def __init__(self, folder: Path):
        self.proc = subprocess.Popen([sys.executable, "-m", "cjm", "serve", str(folder), "--port", "0", "--no-open"],
                                     cwd=folder.parent, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.url = re.search(r"http://\S+/", self.proc.stdout.readline()).group(0)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(10)


def _saves(page, path: Path, count: int, expect: str, every: Callable[[int], None] | None = None) -> list[float]:
    text = path.read_text()
    latencies = []
    for i in range(count):
        paints = int(page.evaluate("() => document.body.dataset.paints || '0'"))
        started = time.time()
        path.write_text(text.replace(expect, f"{expect} {i}", 1))
        page.wait_for_function(f"() => +(document.body.dataset.paints || 0) > {paints}", timeout=60_000)
        latencies.append(float(page.evaluate("() => document.body.dataset.paintedAt")) - started * 1000)
        if every:
            every(i + 1)
        time.sleep(0.25)
    return latencies


def _measure(scratch: Path) -> str:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return "(skipped: Playwright is not installed)"
    if not Path(CHROMIUM).exists():
        return "(skipped: no Chromium at /usr/bin/chromium)"
    small = scratch / "examples"
    if small.exists():
        shutil.rmtree(small)
    shutil.copytree(REPO / "examples", small)
    big = scratch / "big"
    big.mkdir(exist_ok=True)
    (big / "big.cjm.yaml").write_text(make_map(3000))
    rows = ["| map | view | saves | median ms | worst ms | aim |", "| --- | --- | ---: | ---: | ---: | --- |"]
    memory = ""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        for folder, file, slug, view, title, aim in (
                (small, "online-shop-checkout.cjm.yaml", "online-shop-checkout", "map", "Northtrail Outdoor", 300),
                (big, "big.cjm.yaml", "big", "curve", None, 3000)):
            server = _Server(folder)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.goto(f"{server.url}maps/{slug}/?view={view}")
                page.wait_for_function("() => document.getElementById('status').textContent === 'live'", timeout=120_000)
                page.wait_for_function("() => +(document.body.dataset.paints || 0) > 0", timeout=120_000)
                path = folder / file
                expect = title or re.search(r"^title: (.+)$", path.read_text(), re.M).group(1)
                latencies = _saves(page, path, SAVES, expect)
                median, worst = statistics.median(latencies), max(latencies)
                verdict = "met" if median < aim else "missed"
                rows.append(f"| {file} | {view} | {SAVES} | {median:,.0f} | {worst:,.0f} | < {aim:,} ms: {verdict} |")
                if folder is small:
                    samples: list[tuple[int, float]] = [(0, _rss_mib(server.proc.pid))]
                    _saves(page, path, MEMORY_SAVES, expect,
                           lambda n: samples.append((n, _rss_mib(server.proc.pid))) if n % 50 == 0 else None)
                    memory = ("Server memory (RSS, MiB) after N saves of online-shop-checkout with a tab open: "
                              + ", ".join(f"{n}: {mib:.1f}" for n, mib in samples))
                page.close()
            finally:
                server.stop()
        browser.close()
    return "\n".join(rows) + "\n\n" + memory


CASES = [BrowserCase("serve: save-to-paint latency and memory", _measure)]
