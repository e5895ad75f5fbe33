"""A real public event log for the evidence tests: the e-commerce log that retentioneering 5.2.4
(Apache-2.0) ships as ``retentioneering/datasets/ecom.csv.gz`` in its wheel.

The wheel is fetched once with ``pip download --no-deps`` into a cache (``$CJM_DATA_CACHE``, else
``~/.cache/cjm/datasets``) and the file is read out of it as a zip; the package is never installed
or imported. Nothing of it is committed. ``ecom_log()`` skips the calling test, with the reason,
when the wheel cannot be had (no network, no pip); in CI (``CI=true``) it fails it instead.

The log: 31,106 events of 600 users in 3,605 sessions, 19 event names, columns
``user_id, session_id, event, timestamp, platform, acquisition_channel, ...``; 162
(session, timestamp) pairs hold more than one event, so the tie-break order matters.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

WHEEL_PROJECT = "retentioneering"
WHEEL_VERSION = "5.2.4"
MEMBER = "retentioneering/datasets/ecom.csv.gz"
FILE_NAME = "ecom.csv.gz"

# What the log holds, to tell a changed or truncated download from the real one.
EVENTS = 31_106
USERS = 600
SESSIONS = 3_605
EVENT_NAMES = 19
TIED_SESSION_TIMESTAMPS = 162


class Unavailable(Exception):
    """The log could not be fetched or read; the message says why."""


def cache_dir() -> Path:
    configured = os.environ.get("CJM_DATA_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "cjm" / "datasets"


def _wheel(folder: Path) -> Path | None:
    found = sorted(folder.glob(f"{WHEEL_PROJECT}-{WHEEL_VERSION}-*.whl"))
    return found[0] if found else None


def fetch_ecom(cache: Path | None = None) -> Path:
    """The path of ``ecom.csv.gz`` in the cache, fetching the wheel first when it is not there."""
    folder = cache or cache_dir()
    target = folder / f"{WHEEL_PROJECT}-{WHEEL_VERSION}" / FILE_NAME
    if target.is_file():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    wheel = _wheel(folder)
    if wheel is None:
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
                   "--disable-pip-version-check", "--quiet", "-d", str(folder), f"{WHEEL_PROJECT}=={WHEEL_VERSION}"]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=300)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise Unavailable(f"pip download {WHEEL_PROJECT}=={WHEEL_VERSION} did not run: {error}") from None
        wheel = _wheel(folder)
        if done.returncode != 0 or wheel is None:
            last = (done.stderr.strip().splitlines() or ["no wheel written"])[-1]
            raise Unavailable(f"pip download {WHEEL_PROJECT}=={WHEEL_VERSION} failed: {last}")
    try:
        with zipfile.ZipFile(wheel) as archive:
            data = archive.read(MEMBER)
    except (OSError, KeyError, zipfile.BadZipFile) as error:
        raise Unavailable(f"{wheel.name} has no readable {MEMBER}: {error}") from None
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    partial.write_bytes(data)
    partial.replace(target)
    return target


def ecom_log(cache: Path | None = None) -> Path:
    """``fetch_ecom()`` for a test. When the log cannot be had the test is skipped with the reason,
    except in CI (``CI=true``), where it fails: the package index is reachable there (the set-up
    needs it), and the tests on this log are the suite's best independent check."""
    import pytest

    from skip_allowlist import in_ci

    try:
        return fetch_ecom(cache)
    except Unavailable as error:
        reason = f"the real event log is not available: {error}"
        if in_ci():
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)


def main(argv: list[str]) -> int:
    """``python tests/evidence_data.py [DIR]``: fetch the log, copy it into DIR, print its path."""
    import shutil

    try:
        path = fetch_ecom()
    except Unavailable as error:
        print(f"the ecom event log is not available: {error}", file=sys.stderr)
        return 2
    if argv:
        folder = Path(argv[0])
        folder.mkdir(parents=True, exist_ok=True)
        copy = folder / FILE_NAME
        if not copy.is_file() or copy.read_bytes() != path.read_bytes():
            shutil.copyfile(path, copy)
        path = copy
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
