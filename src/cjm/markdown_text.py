"""Making arbitrary map text safe inside Markdown that GitHub and GitLab render."""

from __future__ import annotations

import html
import re

_RUN_OF_BACKTICKS = re.compile(r"`+")


def table_cell(text: object) -> str:
    """One line of text for a Markdown table cell: HTML, pipes and line breaks neutralised."""
    value = html.escape(str(text), quote=False)
    value = value.replace("\\", "\\\\").replace("|", "\\|")
    value = re.sub(r"[\r\n]+", " ", value)
    value = value.replace("`", "\\`").replace("*", "\\*").replace("_", "\\_")
    value = value.replace("[", "\\[").replace("]", "\\]")
    return value.strip() or " "


def inline(text: object) -> str:
    """Text in a paragraph or list item: like a cell, and a leading block marker escaped."""
    value = table_cell(text)
    return "\\" + value if value[:1] in "#>-+=" or re.match(r"\d+\.", value) else value


def fence(content: str, info: str = "") -> str:
    """A code fence opened with more backticks than any run inside, so nothing can close it."""
    longest = max((len(m.group()) for m in _RUN_OF_BACKTICKS.finditer(content)), default=0)
    ticks = "`" * max(3, longest + 1)
    body = content if content.endswith("\n") else content + "\n"
    return f"{ticks}{info}\n{body}{ticks}\n"
