"""The only skips a CI run may show. In CI (``CI`` is ``true`` or ``1``) any other skip fails.

``make test`` installs everything the suite uses: the dev and spark extras (pytest, Hypothesis,
pre-commit, Playwright, DuckDB, Ibis, pyarrow, pyspark), Graphviz and Chromium; Java is on the
machine and the package index is reachable (the set-up itself needs it). So in CI a missing
tool, a browser that does not start, Spark without Java or an unreachable index is a broken
machine, and a test that skips for it would hide exactly the failure it exists to show.

Each entry: the skip reason (a regular expression the whole reason must match), the fact that
makes it legitimate, and the check of that fact on this machine. An allow-listed reason given
where the fact does not hold fails too. Keep this list short: every entry is a test that CI
may not run.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass


def in_ci() -> bool:
    """True in a CI run: the ``CI`` environment variable is ``true`` or ``1`` (any case)."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1")


@dataclass(frozen=True)
class Allowed:
    reason: str  # a regular expression the whole skip reason must match
    when: str  # the fact that makes the skip legitimate, as the failure names it
    holds: Callable[[], bool]  # whether that fact is true on this machine


def _pyyaml_without_libyaml() -> bool:
    import yaml

    return not yaml.__with_libyaml__


ALLOWED_SKIPS: tuple[Allowed, ...] = (
    # PyYAML has no wheel with its C extension for every platform, and a source build without libyaml is a valid PyYAML.
    Allowed(r"PyYAML was built without libyaml|positions of libyaml's own errors",
            "PyYAML was built without its C extension (libyaml)", _pyyaml_without_libyaml),
)
