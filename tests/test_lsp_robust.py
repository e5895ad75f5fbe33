"""cjm lsp takes bad input without falling over: random edits (truncations, insertions,
deletions, lone surrogates, odd line breaks) with requests at random places in between, invalid
UTF-8 in an imported file changed on disk; and a broken buffer still gets answers from its last
good parse."""

from __future__ import annotations

import random

import pytest

from lsp_testing import project, started, units
from lsprotocol import types

pytestmark = pytest.mark.asyncio

SNIPPETS = ["- ", ": ", "[", "]", "{", "}", "\n", "\n  - id: x\n", "\t", "🎁", "礼物", "\ud800", "\u2028", "\r\n",
            "&a ", "*a", "!!python/object ", "next: [", "personas: [rosa, ", "emotion: {", "#", "'", '"', "|\n",
            "  cjm: disable=", "\x00", "~", "---\n", "-" * 40]


async def _request(client, uri: str, rng: random.Random, lines: int) -> None:
    position = types.Position(line=rng.randrange(0, lines + 3), character=rng.randrange(0, 90))
    doc = client.doc(uri)
    kind = rng.randrange(8)
    lsp = client.lsp
    if kind == 0:
        await lsp.text_document_hover_async(types.HoverParams(text_document=doc, position=position))
    elif kind == 1:
        await lsp.text_document_completion_async(types.CompletionParams(text_document=doc, position=position))
    elif kind == 2:
        await lsp.text_document_definition_async(types.DefinitionParams(text_document=doc, position=position))
    elif kind == 3:
        await lsp.text_document_references_async(types.ReferenceParams(
            text_document=doc, position=position, context=types.ReferenceContext(include_declaration=True)))
    elif kind == 4:
        await lsp.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=doc))
    elif kind == 5:
        await lsp.text_document_code_action_async(types.CodeActionParams(
            text_document=doc, range=types.Range(start=position, end=position), context=types.CodeActionContext(diagnostics=[])))
    elif kind == 6:
        await lsp.text_document_prepare_rename_async(types.PrepareRenameParams(text_document=doc, position=position))
    else:
        try:
            await lsp.text_document_rename_async(types.RenameParams(text_document=doc, position=position, new_name="renamed"))
        except Exception as exc:  # a refusal (LSP's RequestFailed, with the reason) is an answer
            assert getattr(exc, "code", None) == -32803, repr(exc)


@pytest.mark.parametrize("seed", [1, 2])
async def test_random_edits_and_requests_never_take_the_server_down(seed, tmp_path):
    root = project(tmp_path)
    path = root / "shop.cjm.yaml"
    original = path.read_text()
    rng = random.Random(seed)
    async with started("neovim", root=root, settings={"debounceMs": 5}) as client:
        uri = client.open(path)
        expected = await client.diagnostics(uri, 1)
        text = original
        for _ in range(120):
            roll = rng.random()
            at = rng.randrange(0, len(text) + 1)
            if roll < 0.15:
                text = text[:at]
            elif roll < 0.6:
                text = text[:at] + rng.choice(SNIPPETS) + text[at:]
            else:
                text = text[:at] + text[at + rng.randrange(1, 60):]
            if rng.random() < 0.3:
                text = original  # back to a good text now and then: the last good parse changes
            client.change(uri, text)
            await _request(client, uri, rng, text.count("\n"))
        version = client.change(uri, original)
        final = await client.diagnostics(uri, version)
    assert [(d.code, d.range) for d in final] == [(d.code, d.range) for d in expected]


async def test_invalid_utf8_in_an_imported_file_changed_on_disk(tmp_path):
    root = project(tmp_path)
    async with started("vscode", root=root) as client:
        uri = client.open(root / "shop.cjm.yaml")
        await client.diagnostics(uri, 1)
        (root / "shared-personas.cjm.yaml").write_bytes(b"cjm: 1\nid: shared\xff\xfe\n")
        client.files_changed(root / "shared-personas.cjm.yaml")
        broken = await client.diagnostics(uri)
        line = client.texts[uri].split("\n").index("imports: [shared-personas.cjm.yaml]")
        hover = await client.hover(uri, client.position(uri, "next: [checkout]", 8))
    assert [(d.code, d.range.start.line, d.range.start.character) for d in broken] == [("CJM030", line, 10)]
    assert hover.startswith("**touchpoint `checkout`**")


async def test_lone_surrogates_in_a_change_are_a_bad_encoding_not_a_crash(tmp_path):
    root = project(tmp_path)
    async with started("vscode", root=root) as client:
        uri = client.open(root / "shop.cjm.yaml")
        await client.diagnostics(uri, 1)
        version = client.change(uri, client.texts[uri].replace("Small shop", "Small \ud800 shop"))
        found = await client.diagnostics(uri, version)
    assert [d.code for d in found] == ["CJM004"]


async def test_a_broken_buffer_keeps_hover_definition_and_completion(tmp_path):
    root = project(tmp_path)
    path = root / "shop.cjm.yaml"
    async with started("vscode", root=root, settings={"debounceMs": 0}) as client:
        uri = client.open(path)
        await client.diagnostics(uri, 1)
        # a broken line near the top and a new line above the checkout: nothing parses any more
        broken = client.texts[uri].replace("title: Small shop", "title: [Small shop\n  oops: {")
        version = client.change(uri, broken)
        found = await client.diagnostics(uri, version)
        hover = await client.hover(uri, client.position(uri, "next: [checkout]", 8))
        definition = await client.lsp.text_document_definition_async(types.DefinitionParams(
            text_document=client.doc(uri), position=client.position(uri, "next: [checkout]", 8)))
        typed = broken.replace("        medium: owned\n        owner: Web team\n        personas: [rosa, tom, walter]",
                               "        medium: \n        owner: Web team\n        personas: [rosa, tom, walter]")
        version = client.change(uri, typed)
        await client.diagnostics(uri, version)
        line = typed.split("\n").index("        medium: ")
        labels = await client.complete(uri, types.Position(line=line, character=16))
    assert [d.code for d in found] == ["CJM001"]
    assert hover.startswith("**touchpoint `checkout`**: Checkout")
    lines = broken.split("\n")
    assert [(d.range.start.line, d.range.start.character) for d in definition] == [(lines.index("      - id: checkout"), 12)]
    assert labels == ["owned", "paid", "earned"]
    assert units("x", client.encoding) == 1
