"""Code actions: the "did you mean" fix of an unknown reference or rule, a suppression comment
for a lint finding (for the element, or the whole file), and the fixes that are certain (an unused
suppression taken out)."""

from __future__ import annotations

import re
from functools import lru_cache

from lsprotocol import types

from cjm.format.check import EMOTION_FIELDS, suggested
from cjm.format.diagnostics import Diagnostic
from cjm.lint.suppress import comment_with_code, comment_without_code, suppression_comment, top_comment_end
from cjm.lsp.analysis import Snapshot
from cjm.lsp.context import View
from cjm.lsp.diagnostics import extent

_TOKEN = re.compile(r"[^\s,]+")


@lru_cache(maxsize=1)
def _rule_codes() -> frozenset[str]:
    from cjm.lint.select import SUPPRESSION_CODES, catalog

    return frozenset(code for code in catalog() if code not in SUPPRESSION_CODES)


def _overlaps(a: types.Range, b: types.Range) -> bool:
    return (a.start.line, a.start.character) <= (b.end.line, b.end.character) and \
        (b.start.line, b.start.character) <= (a.end.line, a.end.character)


def _action(title: str, uri: str, edits: list[types.TextEdit], diag: types.Diagnostic | None,
            preferred: bool = False) -> types.CodeAction:
    return types.CodeAction(title=title, kind=types.CodeActionKind.QuickFix, is_preferred=preferred or None,
                            diagnostics=[diag] if diag is not None else None,
                            edit=types.WorkspaceEdit(changes={uri: edits}))


def code_actions(snapshot: Snapshot, view: View, wanted: types.Range, lsp_diag) -> list[types.CodeAction]:
    """Actions for the snapshot's diagnostics that touch ``wanted`` (a range of the current buffer).
    ``lsp_diag`` turns a cjm diagnostic into the LSP diagnostic the client was sent."""
    lines = view.good.lines
    out: list[types.CodeAction] = []
    for diag in snapshot.diagnostics:
        start, end = extent(diag, snapshot.loaded.source, lines)
        where = view.range(start, end)
        if not _overlaps(where, wanted):
            continue
        published = lsp_diag(diag)
        out.extend(_fixes(snapshot, view, diag, published, lines))
        if diag.code in _rule_codes():
            out.extend(_suppressions(snapshot, view, diag, published, lines))
    return out


def _line_edit(view: View, lines: list[str], line: int, new: str) -> types.TextEdit:
    return types.TextEdit(range=view.range((line, 0), (line, len(lines[line]))), new_text=new)


def _fixes(snapshot: Snapshot, view: View, diag: Diagnostic, published, lines: list[str]) -> list[types.CodeAction]:
    uri = snapshot.uri
    line = diag.line - 1
    if diag.code == "CJM021" and (proposal := suggested(diag.hint)):
        at_key = len(diag.path) >= 2 and diag.path[-2] in EMOTION_FIELDS
        where = view.path_range(diag.path, at_key)
        if where is not None:
            return [_action(f"Replace with '{proposal}'", uri, [types.TextEdit(range=where, new_text=proposal)], published, True)]
    if diag.code == "CJM091" and (proposal := suggested(diag.message)) and 0 <= line < len(lines):
        token = _TOKEN.match(lines[line], diag.col - 1)
        if token is not None:
            where = view.range((line, token.start()), (line, token.end()))
            return [_action(f"Replace with '{proposal}'", uri, [types.TextEdit(range=where, new_text=proposal)], published, True)]
    if diag.code == "CJM090" and 0 <= line < len(lines):
        new = comment_without_code(lines[line], diag.col)
        if new is not None:
            if not new.strip():  # the comment stood alone on its line: the line goes
                edit = types.TextEdit(range=view.range((line, 0), (line + 1, 0)), new_text="")
            else:
                edit = _line_edit(view, lines, line, new)
            return [_action("Remove the unused suppression", uri, [edit], published, True)]
    return []


def _suppressions(snapshot: Snapshot, view: View, diag: Diagnostic, published, lines: list[str]) -> list[types.CodeAction]:
    uri, line, code = snapshot.uri, diag.line - 1, diag.code
    out = []
    if 0 <= line < len(lines):
        text = lines[line]
        new = comment_with_code(text, code)
        if new is not None:
            edit = _line_edit(view, lines, line, new)
        else:
            indent = text[:len(text) - len(text.lstrip())].replace("-", " ")
            edit = types.TextEdit(range=view.range((line, 0), (line, 0)), new_text=suppression_comment(code, indent) + "\n")
        out.append(_action(f"Disable {code} ({diag.name}) for this element", uri, [edit], published))
    top = top_comment_end(lines)
    out.append(_action(f"Disable {code} ({diag.name}) for this file", uri,
                       [types.TextEdit(range=view.range((top, 0), (top, 0)), new_text=suppression_comment(code, whole_file=True) + "\n")],
                       published))
    return out
