"""Shared pytest set-up for the suite.

ci_skips: in CI (``CI=true``) a skip that tests/skip_allowlist.py does not allow is a failure.
"""

pytest_plugins = ["ci_skips"]
