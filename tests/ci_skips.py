"""No silent skips in CI: a pytest plugin (loaded by tests/conftest.py).

When ``CI`` is ``true`` or ``1``, a skip whose reason ``skip_allowlist.ALLOWED_SKIPS`` does not
allow on this machine is turned into a failure that names the test and the reason:

- a skip in a test's body fails the test; one in its set-up (a fixture, a ``skipif`` mark) is a
  set-up error of the test;
- a module that skips itself while being collected (``pytest.importorskip`` at the top) gets one
  failing test, ``<module>::skipped-in-ci``, instead of vanishing from the run.

Outside CI nothing changes; the summary lists every skip with its reason (``-ra`` in pyproject).
An expected failure (``xfail``) is not a skip and is left alone.
"""

from __future__ import annotations

import re

import pytest

import skip_allowlist

SKIPPED_MODULE_ITEM = "skipped-in-ci"


def reason_of(longrepr) -> str:
    """The reason a skip report carries, without pytest's ``Skipped: `` prefix."""
    text = str(longrepr[2]) if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    return text.removeprefix("Skipped: ")


def refusal(reason: str) -> str | None:
    """None when a skip with this reason may stand in CI; else why it may not."""
    for entry in skip_allowlist.ALLOWED_SKIPS:
        if re.fullmatch(entry.reason, reason):
            if entry.holds():
                return None
            return f"this reason is allowed only when {entry.when}, which is not the case here"
    return "this reason is not on the allow-list (tests/skip_allowlist.py)"


def failure(nodeid: str, reason: str, why: str) -> str:
    return (f"{nodeid} was skipped in CI: {reason}\n{why}; in CI a test must run: install what it needs "
            "(`make test` does) or fix the skip")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not report.skipped or hasattr(report, "wasxfail") or not skip_allowlist.in_ci():
        return
    reason = reason_of(report.longrepr)
    why = refusal(reason)
    if why is not None:
        report.outcome = "failed"
        report.longrepr = failure(item.nodeid, reason, why)


class SkippedInCI(pytest.Item):
    """Stands for a module that skipped itself during collection in CI: it fails, saying why."""

    def __init__(self, *, message: str, **kwargs):
        super().__init__(**kwargs)
        self.message = message
        self.funcargs: dict = {}  # as a test function has: pytest-lsp's call wrapper yields only when it is there

    def runtest(self) -> None:
        pytest.fail(self.message, pytrace=False)

    def reportinfo(self):
        return self.path, None, self.nodeid


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    report = outcome.get_result()
    if not report.skipped or not skip_allowlist.in_ci():
        return
    reason = reason_of(report.longrepr)
    why = refusal(reason)
    if why is not None:
        report.outcome = "passed"
        report.longrepr = None
        report.result = [SkippedInCI.from_parent(collector, name=SKIPPED_MODULE_ITEM,
                                                 message=failure(collector.nodeid, reason, why))]
