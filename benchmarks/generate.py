"""Deterministic journey maps of any size, for benchmarks.

    python benchmarks/generate.py 300 big.cjm.yaml       # one map with 300 touchpoints
    python benchmarks/generate.py 30 maps/ --count 1000  # 1,000 maps of 30 touchpoints each

The same arguments always give the same bytes. Maps are valid and look like the
examples: two personas with per-persona emotions, stages of up to ten
touchpoints, pains, metrics, evidence and a non-linear ``next`` now and then.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

CHANNELS = ("web", "search", "social", "email", "ads", "store", "phone", "chat", "app", "review-site")
MEDIA = ("owned", "paid", "earned")
STAGE_KINDS = ("awareness", "consideration", "decision", "purchase", "onboarding", "usage", "retention", "support")
WORDS = ("price", "delivery", "account", "basket", "coupon", "review", "size", "return", "payment", "stock",
         "address", "password", "newsletter", "filter", "search", "invoice", "tracking", "refund")
PERSONAS = ("rosa", "malik")
TOUCHPOINTS_PER_STAGE = 10


def _phrase(rng: random.Random, words: int = 4) -> str:
    picked = [rng.choice(WORDS) for _ in range(words)]
    return " ".join(picked).capitalize()


def _touchpoint(rng: random.Random, index: int, total: int) -> list[str]:
    tid = f"tp-{index:05d}"
    lines = [
        f"      - id: {tid}",
        f"        name: {_phrase(rng, 3)} {index}",
        f"        channel: {rng.choice(CHANNELS)}",
        f"        medium: {rng.choice(MEDIA)}",
        f"        online: {'true' if rng.random() < 0.8 else 'false'}",
        "        owner: Digital team",
        f"        actions: [{_phrase(rng)}, {_phrase(rng)}]",
        f'        thoughts: ["{_phrase(rng, 5)}?"]',
        f"        pains: [{_phrase(rng, 5)}]",
        f"        opportunities: [{_phrase(rng, 6)}]",
        f"        emotion: {{{PERSONAS[0]}: {rng.randint(-4, 4) / 2}, {PERSONAS[1]}: {rng.randint(-4, 4) / 2}}}",
        f"        target_emotion: {rng.randint(0, 4) / 2}",
        "        metrics:",
        f"          - {{name: conversion, value: {rng.randint(10, 90)}, target: {rng.randint(50, 95)}, unit: '%', source: analytics}}",
        "        evidence:",
        f"          - {{source: survey {index}, kind: quantitative, date: 2026-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}, n: {rng.randint(20, 900)}}}",
    ]
    if index % 7 == 3 and index + 2 < total:
        lines.append(f"        next: [tp-{index + 1:05d}, tp-{index + 2:05d}]")
    if index % 11 == 5:
        lines.append("        moment_of_truth: true")
    return lines


def make_map(touchpoints: int, seed: int = 0) -> str:
    """A valid map with ``touchpoints`` touchpoints, the same text for the same arguments."""
    rng = random.Random(f"{seed}:{touchpoints}")
    lines = [
        "# yaml-language-server: $schema=../schemas/cjm-map.v1.schema.json",
        "cjm: 1",
        f"id: generated-{seed}",
        f"title: Generated journey {seed} with {touchpoints} touchpoints",
        "owner: Benchmarks",
        "reviewed: 2026-01-15",
        "objectives:",
        "  - {id: convert, statement: Convert more visitors, metric: conversion, baseline: 2.1, target: 2.6, unit: '%'}",
        "personas:",
    ]
    for persona in PERSONAS:
        lines += [f"  - id: {persona}", f"    name: {persona.title()}", f"    goals: [{_phrase(rng)}]",
                  f"    channels: [{', '.join(rng.sample(CHANNELS, 3))}]"]
    lines.append("stages:")
    index = 0
    stage = 0
    while index < touchpoints:
        lines += [f"  - id: stage-{stage:04d}", f"    name: Stage {stage}",
                  f"    kind: {STAGE_KINDS[stage % len(STAGE_KINDS)]}", f"    customer_goal: {_phrase(rng)}"]
        if stage == 0:
            lines.append("    objectives: [convert]")
        lines.append("    touchpoints:")
        for _ in range(min(TOUCHPOINTS_PER_STAGE, touchpoints - index)):
            lines += _touchpoint(rng, index, touchpoints)
            index += 1
        stage += 1
    return "\n".join(lines) + "\n"


def write_maps(folder: Path, count: int, touchpoints: int) -> list[Path]:
    """``count`` different maps of ``touchpoints`` each, as folder/map-NNNN.cjm.yaml."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for seed in range(count):
        path = folder / f"map-{seed:04d}.cjm.yaml"
        path.write_text(make_map(touchpoints, seed), encoding="utf-8")
        paths.append(path)
    return paths


def one_map(touchpoints: int):
    """Set-up for a case: write ``generated-<touchpoints>.cjm.yaml`` into the scratch folder once; its path."""
    def setup(scratch: Path) -> Path:
        path = scratch / f"generated-{touchpoints}.cjm.yaml"
        if not path.exists():
            path.write_text(make_map(touchpoints), encoding="utf-8")
        return path
    return setup


def many_maps(count: int, touchpoints: int):
    """Set-up for a case: ``count`` maps in the scratch folder's ``maps/``, written once."""
    def setup(scratch: Path) -> Path:
        folder = scratch / "maps"
        if len(list(folder.glob("*.cjm.yaml"))) != count:
            write_maps(folder, count, touchpoints)
        return folder
    return setup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("touchpoints", type=int)
    parser.add_argument("target", type=Path, help="a file, or a folder with --count")
    parser.add_argument("--count", type=int, default=0, help="write this many maps into the target folder")
    args = parser.parse_args()
    if args.count:
        write_maps(args.target, args.count, args.touchpoints)
    else:
        args.target.write_text(make_map(args.touchpoints), encoding="utf-8")


if __name__ == "__main__":
    main()
