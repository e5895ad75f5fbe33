"""Where each code's documentation lives.

Every code a finding can carry has a page of its own, ``docs/rules/CODE.md`` in the repository,
published by the documentation site (``make docs``) at ``BASE/rules/CODE/``. Where the site is
hosted is the user's choice: ``--docs-url`` or the ``CJM_DOCS_URL`` environment variable name its
base. Without one, links lead to the repository's own ``docs/`` files: on disk in a source
checkout, else as a path relative to the repository.
"""

from __future__ import annotations

import os
from pathlib import Path

DOCS_URL_ENV = "CJM_DOCS_URL"
_CHECKOUT_RULES = Path(__file__).resolve().parents[2] / "docs" / "rules"


def docs_base(explicit: str | None = None) -> str | None:
    """The documentation site's base address, or None for the repository's own files."""
    base = explicit if explicit is not None else os.environ.get(DOCS_URL_ENV)
    return base.strip().rstrip("/") or None if base else None


def rule_url(code: str, base: str | None = None) -> str:
    """The address of ``code``'s page (``base`` as :func:`docs_base` gives it)."""
    if base:
        return f"{base}/rules/{code}/"
    page = _CHECKOUT_RULES / f"{code}.md"
    return page.as_uri() if page.is_file() else f"docs/rules/{code}.md"


def is_absolute(url: str) -> bool:
    return url.startswith(("http://", "https://", "file://"))
