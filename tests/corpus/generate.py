"""Big hostile inputs, made at test time instead of committed (they are megabytes each).

``write_big_inputs(folder)`` writes every generated input and returns {file name: (what it
attacks, expectation)} in the same shape as the committed corpus. ``scale_map(n)`` is also what
the benchmarks use for maps of 30 ... 20,000 touchpoints.
"""

from __future__ import annotations

import random
from pathlib import Path

CHANNELS = ("web", "email", "app", "store", "phone", "chat", "social", "search")


def scale_map(touchpoints: int, *, stages: int | None = None, next_edges: int = 0, seed: int = 7,
              map_id: str = "scale") -> str:
    """A realistic, valid map with ``touchpoints`` touchpoints spread over ``stages`` stages.

    With ``next_edges`` > 0 every touchpoint gets that many ``next`` links to random others
    (fixed seed), which makes a tangled graph for Graphviz.
    """
    rng = random.Random(seed)
    stages = stages or max(1, min(100, touchpoints // 10 or 1))
    per_stage = [touchpoints // stages + (1 if i < touchpoints % stages else 0) for i in range(stages)]
    ids = [f"t{i}" for i in range(touchpoints)]
    out = [
        "cjm: 1", f"id: {map_id}", f"title: Generated journey with {touchpoints} touchpoints",
        "owner: Benchmarks", "reviewed: 2026-10-01",
        "personas:",
        "  - id: rosa", "    name: Rosa, repeat buyer", "    channels: [web, email, app]",
        "  - id: sam", "    name: Sam, first-time buyer", "    channels: [store, phone]",
        "stages:",
    ]
    index = 0
    kinds = ("awareness", "consideration", "decision", "purchase", "onboarding", "usage", "retention", "support")
    for s, count in enumerate(per_stage):
        out += [f"  - id: s{s}", f"    name: Stage {s}", f"    kind: {kinds[min(s * len(kinds) // stages, len(kinds) - 1)]}",
                "    touchpoints:"]
        for _ in range(count):
            i = index
            index += 1
            out += [
                f"      - id: t{i}",
                f"        name: Touchpoint {i} where the customer compares delivery options",
                f"        channel: {CHANNELS[i % len(CHANNELS)]}",
                f"        emotion: {{rosa: {rng.randint(-2, 2)}, sam: {rng.randint(-2, 2)}}}",
            ]
            if i % 3 == 0:
                out += ["        pains: [Delivery costs appear late, Form asks twice for the address]",
                        "        opportunities: [Show the total price on the product page]"]
            if i % 5 == 0:
                out += [f"        metrics: [{{name: conversion, value: {40 + i % 50}, target: 70, unit: '%'}}]",
                        "        evidence: [{source: exit survey, kind: quantitative, n: 120}]"]
            if i % 7 == 0:
                out.append("        moment_of_truth: true")
            if next_edges:
                targets = rng.sample(ids, min(next_edges, len(ids)))
                out.append(f"        next: [{', '.join(targets)}]")
    return "\n".join(out) + "\n"


def _nesting_block(levels: int) -> str:
    # compact nested block sequences ("- - - x"): real block nesting in 2 bytes per level
    return "cjm: 1\nid: deep\ntitle: Deep\ndeep:\n  " + "- " * levels + "x\n"


def _nesting_flow(levels: int) -> str:
    half = levels // 2
    return "cjm: 1\nid: deep\ntitle: Deep\ndeep: " + "[{a: " * half + "x" + "}]" * half + "\n"


def _ten_megabytes() -> str:
    text = scale_map(20_000)
    line = "# padding comment line to push the file past ten megabytes ..........................\n"
    return text + line * ((10 * 1024 * 1024 - len(text)) // len(line) + 1)


def _many_diagnostics(count: int) -> str:
    lines = ["cjm: 1", "id: many", "title: Many problems", "stages:", "  - id: s", "    name: S", "    touchpoints:"]
    for i in range(count):
        lines += [f"      - id: t{i}", f"        name: T{i}", f"        chanel: typo {i}", f"        next: [missing{i}]"]
    return "\n".join(lines) + "\n"


BIG_INPUTS = {
    # name: (what it attacks, expectation, builder)
    "big-10mb.cjm.yaml": ("a 10 MB file (over the 5 MB size limit)", "invalid CJM003", _ten_megabytes),
    "touchpoints-20000.cjm.yaml": ("a valid map with 20,000 touchpoints: every command must finish or stop cleanly",
                                   "valid", lambda: scale_map(20_000)),
    "tangled-next-200.cjm.yaml": ("a tangled `next` graph (200 touchpoints, 600 crossing edges) that makes dot slow",
                                  "valid", lambda: scale_map(200, stages=10, next_edges=3, map_id="tangled")),
    "nesting-10000-block.cjm.yaml": ("nesting of 10,000 block sequences", "invalid CJM003", lambda: _nesting_block(10_000)),
    "nesting-100000-block.cjm.yaml": ("nesting of 100,000 block sequences", "invalid CJM003", lambda: _nesting_block(100_000)),
    "nesting-10000-flow.cjm.yaml": ("nesting of 10,000 flow sequences and mappings", "invalid CJM003", lambda: _nesting_flow(10_000)),
    "nesting-100000-flow.cjm.yaml": ("nesting of 100,000 flow sequences and mappings", "invalid CJM003", lambda: _nesting_flow(100_000)),
    "long-line-1mb.cjm.yaml": ("one 1 MB line (a description over its 20,000-character limit; excerpts must be capped)",
                               "invalid CJM010", lambda: "cjm: 1\nid: long\ntitle: Long\ndescription: " + "x" * 1_000_000 + "\n"),
    "many-diagnostics-5000.cjm.yaml": ("5,000 touchpoints with a misspelt field and an unknown `next` (10,000 diagnostics)",
                                       "invalid CJM010", lambda: _many_diagnostics(5_000)),
}


def write_big_inputs(folder: Path) -> dict[str, tuple[str, str]]:
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, (attacks, expect, build) in BIG_INPUTS.items():
        (folder / name).write_text(build(), encoding="utf-8")
        out[name] = (attacks, expect)
    return out


if __name__ == "__main__":  # python tests/corpus/generate.py DIR
    import sys

    target = Path(sys.argv[1] if len(sys.argv) > 1 else "generated-corpus")
    for name in write_big_inputs(target):
        print(target / name)
