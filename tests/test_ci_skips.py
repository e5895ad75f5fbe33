"""The CI skip guard (tests/ci_skips.py) on a small suite run by pytester, with and without CI=true."""

from __future__ import annotations

import re

import pytest
import yaml

import skip_allowlist

pytest_plugins = ["pytester"]

SUITE = """
import pytest

def test_runs():
    pass

def test_skips_in_its_body():
    pytest.skip("the frobnicator is not installed")

@pytest.fixture
def frobnicator():
    pytest.skip("no frobnicator in the fixture")

def test_skips_in_a_fixture(frobnicator):
    pass

@pytest.mark.skipif(True, reason="a skipif mark says so")
def test_skipped_by_a_mark():
    pass

def test_allow_listed():
    pytest.skip("PyYAML was built without libyaml")

@pytest.mark.xfail(strict=True, reason="a known bug")
def test_expected_to_fail():
    assert False
"""


@pytest.fixture
def suite(pytester):
    pytester.makepyfile(test_inner=SUITE)
    return pytester


def run(pytester, monkeypatch, ci: str | None, *, libyaml: bool = True):
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    monkeypatch.setattr(yaml, "__with_libyaml__", libyaml)
    return pytester.runpytest("-p", "ci_skips", "-ra", "-p", "no:cacheprovider")


def test_outside_ci_every_skip_stays_a_skip_and_the_summary_gives_its_reason(suite, monkeypatch):
    result = run(suite, monkeypatch, None)
    result.assert_outcomes(passed=1, skipped=4, xfailed=1)
    result.stdout.fnmatch_lines_random([
        "SKIPPED [[]1[]] test_inner.py:*: the frobnicator is not installed",
        "SKIPPED [[]1[]] test_inner.py:*: no frobnicator in the fixture",
        "SKIPPED [[]1[]] test_inner.py:*: a skipif mark says so",
        "SKIPPED [[]1[]] test_inner.py:*: PyYAML was built without libyaml",
    ])


@pytest.mark.parametrize("ci", ["true", "1", "TRUE"])
def test_in_ci_a_skip_not_on_the_allow_list_fails_and_names_the_test_and_the_reason(suite, monkeypatch, ci):
    result = run(suite, monkeypatch, ci, libyaml=False)
    # a skip in the body fails the test; one in its set-up (fixture, skipif mark) is a set-up error
    result.assert_outcomes(passed=1, failed=1, errors=2, skipped=1, xfailed=1)
    result.stdout.fnmatch_lines_random([
        "FAILED test_inner.py::test_skips_in_its_body*",
        "ERROR test_inner.py::test_skips_in_a_fixture*",
        "ERROR test_inner.py::test_skipped_by_a_mark*",
        "SKIPPED [[]1[]] test_inner.py:*: PyYAML was built without libyaml",
    ])
    text = result.stdout.str()
    assert "test_inner.py::test_skips_in_its_body was skipped in CI: the frobnicator is not installed" in text
    assert "test_inner.py::test_skips_in_a_fixture was skipped in CI: no frobnicator in the fixture" in text
    assert "test_inner.py::test_skipped_by_a_mark was skipped in CI: a skipif mark says so" in text
    assert text.count("this reason is not on the allow-list (tests/skip_allowlist.py)") >= 3
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_an_allow_listed_reason_fails_in_ci_where_its_excuse_does_not_hold(suite, monkeypatch):
    result = run(suite, monkeypatch, "true", libyaml=True)  # PyYAML has libyaml: no reason to skip
    result.assert_outcomes(passed=1, failed=2, errors=2, xfailed=1)
    assert ("test_inner.py::test_allow_listed was skipped in CI: PyYAML was built without libyaml\n"
            "this reason is allowed only when PyYAML was built without its C extension (libyaml), "
            "which is not the case here") in result.stdout.str()


@pytest.mark.parametrize("ci", ["false", "0", ""])
def test_ci_set_to_something_else_is_not_ci(suite, monkeypatch, ci):
    run(suite, monkeypatch, ci).assert_outcomes(passed=1, skipped=4, xfailed=1)


def test_a_module_that_skips_itself_while_collected_fails_in_ci(pytester, monkeypatch):
    pytester.makepyfile(test_needs_a_module="""
        import pytest
        pytest.importorskip("cjm_no_such_module", reason="cjm_no_such_module is not installed")

        def test_uses_it():
            pass
    """)
    outside = run(pytester, monkeypatch, None)
    outside.assert_outcomes(skipped=1)
    outside.stdout.fnmatch_lines(["SKIPPED [[]1[]] test_needs_a_module.py:*cjm_no_such_module is not installed*"])
    inside = run(pytester, monkeypatch, "true")
    inside.assert_outcomes(failed=1)
    inside.stdout.fnmatch_lines(["test_needs_a_module.py was skipped in CI: cjm_no_such_module is not installed",
                                 "this reason is not on the allow-list (tests/skip_allowlist.py)*",
                                 "FAILED test_needs_a_module.py::skipped-in-ci*"])


def test_the_allow_list_is_short_and_every_entry_says_when_it_holds():
    assert 1 <= len(skip_allowlist.ALLOWED_SKIPS) <= 5
    for entry in skip_allowlist.ALLOWED_SKIPS:
        assert entry.when.strip() and isinstance(entry.holds(), bool)
    # what `make test` installs is never an excuse in CI
    for reason in ("Graphviz dot is not installed", "Chromium is not installed", "pip cannot reach the package index",
                   "Spark is not available here: Java", "could not import 'duckdb': No module named 'duckdb'"):
        assert not any(re.fullmatch(e.reason, reason) for e in skip_allowlist.ALLOWED_SKIPS), reason
