"""Shared pytest set-up for the suite.

ci_skips: in CI (``CI=true``) a skip that tests/skip_allowlist.py does not allow is a failure.

`make mutate` (docs/mutation.md): mutmut runs, for each mutant, the selected tests that cover the
mutated function (until one fails). Of those, only the ones MUTATION_JUDGES names for the mutated
module run, in that order, so that a mutant of the loader, which nearly every test calls, is judged
by the loader's own tests, and a mutant of the evidence pipeline by its broadest fast tests first.
A judge that runs past MUTANT_TEST_SECONDS fails (a mutant that loops is detected): mutmut's own
limit is five times the time of every test that covers the function, not of its judges, which for
the loader is over 40 CPU minutes.
"""

import fnmatch
import os
import signal

import pytest

pytest_plugins = ["ci_skips"]

MUTATION_JUDGES = {  # mutant id prefix -> test id patterns, in the order to run them
    "cjm.format.diagnostics.": ["tests/test_check.py::*", "tests/test_load.py::*", "tests/test_model.py::*",
                                "tests/test_reporters.py::*", "tests/test_cli_lint.py::*"],
    "cjm.format.": ["tests/test_load.py::*", "tests/test_check.py::*", "tests/test_model.py::*"],
    "cjm.report": ["tests/test_reporters.py::*", "tests/test_cli_lint.py::*"],
    "cjm.lint.rules.": ["tests/test_rules.py::*", "tests/test_evidence_lint.py::*", "tests/test_lint_config.py::*"],
    "cjm.evidence.pipeline.": [
        "*::test_every_part_equals_a_plain_python_reference*", "*::test_paths_and_flows_keep_touchpoint_codes_past_*",
        "*::test_touchpoints_stages_variants_and_unmatched_events",
        "*::test_edges_equal_*[[]user-1]", "*::test_edges_equal_*[[]session-1]", "*::test_medians_by_ranking_*", "*::test_repeats_are_one_step_*",
        "*::test_min_users_*", "*::test_half_microsecond_*", "*::test_sessions_are_cut_*", "*::test_a_session_column_*",
        "*::test_seq_orders_*", "*::test_ties_in_time_*", "*::test_first_matching_*", "*::test_since_and_until_*",
        "*::test_an_empty_window_*", "*::test_unmatched_names_*", "*::test_unreadable_times_*", "*::test_a_missing_column_*",
    ],
}
MUTANT_TEST_SECONDS = 120  # a judge takes seconds; ten times that and more is a mutant that loops


def _judging() -> bool:
    mutant = os.environ.get("MUTANT_UNDER_TEST", "")
    return "__mutmut_" in mutant and any(mutant.startswith(prefix) for prefix in MUTATION_JUDGES)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    if not _judging():
        yield
        return

    def too_long(signum, frame):
        raise TimeoutError(f"a judge ran past {MUTANT_TEST_SECONDS} s: the mutant loops")

    previous = signal.signal(signal.SIGALRM, too_long)
    signal.alarm(MUTANT_TEST_SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def pytest_collection_modifyitems(config, items):
    mutant = os.environ.get("MUTANT_UNDER_TEST", "")
    judges = next((tests for prefix, tests in MUTATION_JUDGES.items() if mutant.startswith(prefix)), None)
    if "__mutmut_" not in mutant or judges is None:
        return

    def rank(item):
        return next((n for n, pattern in enumerate(judges) if fnmatch.fnmatchcase(item.nodeid, pattern)), None)

    kept = sorted((item for item in items if rank(item) is not None), key=rank)
    config.hook.pytest_deselected(items=[item for item in items if rank(item) is None])
    items[:] = kept
