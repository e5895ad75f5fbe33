"""Rename an id: its definition and every reference, in the map and in the open maps that import
it. A name that is not an id, or one already taken, is refused."""

from __future__ import annotations

import re

from lsprotocol import types

from cjm.format.model import SLUG_PATTERN
from cjm.lsp.index import NAMESPACE
from cjm.lsp.navigation import Known, Target, places_of

MAX_ID = 64


class Refused(ValueError):
    """Why a rename cannot be done, in words for the user."""


def check_name(target: Target, new: str, maps: list[Known]) -> None:
    if not re.fullmatch(SLUG_PATTERN, new) or len(new) > MAX_ID:
        raise Refused(f"'{new}' is not a valid id: lower-case letters, digits, '-' or '_' (at most {MAX_ID}), "
                      "e.g. `checkout-page`")
    definition = target.definition
    if definition is None or target.defined is None:
        raise Refused(f"'{target.place.ident}' is defined nowhere cjm can see; nothing to rename")
    if new == definition.ident:
        return
    space = NAMESPACE[definition.kind]
    for known in [target.defined, *maps]:
        taken = known.index.by_id.get((space, new))
        if taken is not None and (known is target.defined or known.imports_file(target.defined.index.file)
                                  or target.defined.imports_file(known.index.file)):
            raise Refused(f"id '{new}' already exists ({taken.kind} in {known.index.file.name})")


def edits(target: Target, new: str, maps: list[Known]) -> types.WorkspaceEdit:
    changes: dict[str, list[types.TextEdit]] = {}
    for known, place in places_of(target, maps):
        where = known.view.path_range(place.path, place.at_key)
        if where is not None:
            changes.setdefault(known.uri, []).append(types.TextEdit(range=where, new_text=new))
    return types.WorkspaceEdit(changes=changes)
