"""cjm lsp end to end: a real server over stdio, driven by a pytest-lsp client that speaks as
VS Code and as Neovim do. Expected values are read from the test maps and the models, or written
out by hand; columns are counted with Python's own encoders."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from lsp_testing import DATA, TODAY, apply_edits, project, started, units  # noqa: F401 (skips without pygls)
from lsprotocol import types

from cjm.format.model import KNOWN_CHANNELS, Touchpoint
from cjm.links import rule_url

pytestmark = pytest.mark.asyncio


@pytest.fixture(params=["vscode", "neovim"])
def profile(request) -> str:
    return request.param


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return project(tmp_path)


def codes(diagnostics) -> list[str]:
    return sorted(str(d.code) for d in diagnostics)


# --- diagnostics -------------------------------------------------------------------------------


async def test_diagnostics_on_open_carry_code_source_severity_and_rule_page(profile, root):
    async with started(profile, root=root) as client:
        uri = client.open(root / "shop.cjm.yaml")
        found = await client.diagnostics(uri, 1)
    # what cjm lint says about the same file (CJM_TODAY as the server has it), written out by hand
    assert codes(found) == ["CJM202", "CJM305", "CJM305", "CJM305"]
    drop = next(d for d in found if d.code == "CJM202")
    assert drop.source == "cjm"
    assert drop.severity == types.DiagnosticSeverity.Warning
    assert drop.code_description.href == rule_url("CJM202")
    assert drop.message.startswith("emotion drops by 2 from 1 at 'product-page' to -1 at 'checkout' for persona 'rosa'")
    assert (drop.range.start.line, drop.range.start.character) == (45, 10)  # 46:11 in cjm lint's words
    assert all(d.severity == types.DiagnosticSeverity.Information for d in found if d.code == "CJM305")


EMOJI_LINE = '      - {id: gift, name: "Geschenk 🎁 礼物 包装", next: [sigup]}'


def _with_emoji_line(text: str) -> str:
    return text.replace("    touchpoints:\n      - id: delivery", "    touchpoints:\n" + EMOJI_LINE + "\n      - id: delivery")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8"])
async def test_columns_are_exact_after_emoji_and_cjk_text(encoding, root):
    path = root / "shop.cjm.yaml"
    text = _with_emoji_line(path.read_text())
    offered = [encoding] if encoding == "utf-8" else None  # UTF-16 is the default nobody has to ask for
    async with started("vscode", root=root, encodings=offered) as client:
        assert client.encoding == encoding
        uri = client.open(path, text)
        found = await client.diagnostics(uri, 1)
    unknown = [d for d in found if d.code == "CJM021"]
    assert len(unknown) == 1 and unknown[0].message.startswith("unknown touchpoint 'sigup'")
    line_no = text.split("\n").index(EMOJI_LINE)
    start = EMOJI_LINE.index("sigup")
    assert unknown[0].range.start == types.Position(line=line_no, character=units(EMOJI_LINE[:start], encoding))
    assert unknown[0].range.end == types.Position(line=line_no, character=units(EMOJI_LINE[:start + 5], encoding))
    # the two encodings differ on this line: the test would catch a server that ignored the agreement
    assert units(EMOJI_LINE[:start], "utf-8") != units(EMOJI_LINE[:start], "utf-16")


async def test_edits_are_checked_after_the_debounce_and_newer_edits_supersede_older(profile, root):
    path = root / "shop.cjm.yaml"
    text = path.read_text()
    async with started(profile, root=root, settings={"debounceMs": 300}) as client:
        uri = client.open(path)
        await client.diagnostics(uri, 1)
        versions = [client.change(uri, text.replace("next: [checkout]", f"next: [chec{'k' * n}]")) for n in range(1, 6)]
        final = client.change(uri, text.replace("next: [checkout]", "next: [checkou]"))
        found = await client.diagnostics(uri, final)
        await asyncio.sleep(0.5)
        published = [p.version for p in client.published(uri)]
    assert [d.message.split(";")[0] for d in found if d.code == "CJM021"] == ["unknown touchpoint 'checkou'\nhint: did you mean 'checkout'?"]
    assert published == [1, final], f"older versions {versions} were published: {published}"


async def test_incremental_edits_apply_in_the_agreed_encoding(profile, root):
    path = root / "shop.cjm.yaml"
    text = _with_emoji_line(path.read_text())
    async with started(profile, root=root, settings={"debounceMs": 0}) as client:
        uri = client.open(path, text)
        await client.diagnostics(uri, 1)
        where = client.position(uri, "sigup")
        version = client.edit(uri, (where.line, where.character), (where.line, where.character + 5), "delivery")
        found = await client.diagnostics(uri, version)
    assert "CJM021" not in codes(found)


async def test_on_save_only_checks_on_save(root):
    path = root / "shop.cjm.yaml"
    async with started("vscode", root=root, settings={"run": "onSave", "debounceMs": 0}) as client:
        uri = client.open(path)
        await client.diagnostics(uri, 1)
        version = client.change(uri, path.read_text().replace("next: [checkout]", "next: [nowhere]"))
        await asyncio.sleep(0.6)
        assert [p.version for p in client.published(uri)] == [1]
        client.save(uri)
        found = await client.diagnostics(uri, version)
    assert "CJM021" in codes(found)


async def test_lint_off_reports_validation_only(root):
    path = root / "shop.cjm.yaml"
    async with started("neovim", root=root, settings={"lint": False}) as client:
        uri = client.open(path, path.read_text().replace("next: [checkout]", "next: [nowhere]"))
        found = await client.diagnostics(uri, 1)
    assert codes(found) == ["CJM021"]


async def test_observed_setting_adds_evidence_findings(tmp_path):
    examples = Path(__file__).parents[1] / "examples"
    for name in ("ecom-shop.cjm.yaml", "ecom-shop.observed.json"):
        (tmp_path / name).write_bytes((examples / name).read_bytes())
    (tmp_path / "cjm.toml").write_text("")
    async with started("vscode", root=tmp_path) as client:
        uri = client.open(tmp_path / "ecom-shop.cjm.yaml")
        without = await client.diagnostics(uri, 1)
    async with started("vscode", root=tmp_path, settings={"observed": "ecom-shop.observed.json"}) as client:
        uri = client.open(tmp_path / "ecom-shop.cjm.yaml")
        found = await client.diagnostics(uri, 1)
    assert not [d for d in without if str(d.code).startswith("CJM6")]
    evidence = [d for d in found if str(d.code).startswith("CJM6")]
    assert {"CJM601", "CJM603"} <= {d.code for d in evidence}


async def test_a_big_map_does_not_hold_up_hover(root, tmp_path_factory):
    from map_testing import generated_map

    big = tmp_path_factory.mktemp("big") / "big.cjm.yaml"
    big.write_text(generated_map(3000))
    async with started("vscode", root=root) as client:
        small = client.open(root / "shop.cjm.yaml")
        await client.diagnostics(small, 1)
        big_uri = client.open(big)
        answer = await client.hover(small, client.position(small, "channel"))
        big_published_first = bool(client.published(big_uri))
        completion = await client.complete(small, client.position(small, "medium: owned", offset=8))
        await client.diagnostics(big_uri, 1, timeout=120)
    assert answer and "**channel**" in answer
    assert completion == ["owned", "paid", "earned"]
    assert not big_published_first, "hover waited for the big map's check"


# --- hover --------------------------------------------------------------------------------------


async def test_hover_on_a_field_shows_its_description_from_the_model(profile, root):
    async with started(profile, root=root) as client:
        uri = client.open(root / "shop.cjm.yaml")
        await client.diagnostics(uri, 1)
        shown = await client.hover(uri, client.position(uri, "moment_of_truth", 3))
    assert Touchpoint.model_fields["moment_of_truth"].description in shown
    assert shown.startswith("**moment_of_truth**")


async def test_hover_on_references_says_what_they_name(profile, root):
    async with started(profile, root=root) as client:
        uri = client.open(root / "shop.cjm.yaml")
        await client.diagnostics(uri, 1)
        touchpoint = await client.hover(uri, client.position(uri, "next: [checkout]", 8))
        persona = await client.hover(uri, client.position(uri, "walter", 2, occurrence=1))  # the emotion key
        imported = await client.hover(uri, client.position(uri, "personas: [rosa, tom, walter]", 24))
        objective = await client.hover(uri, client.position(uri, "objectives: [more-orders]", 15))
        imports = await client.hover(uri, client.position(uri, "shared-personas.cjm.yaml", 3))
    assert touchpoint.splitlines()[:5] == [
        "**touchpoint `checkout`**: Checkout",
        "- stage: Buy",
        "- channel: web",
        "- emotion: rosa -1, tom +1, walter +0",
        "- pains: Too many form fields; No wallet payment",
    ]
    assert persona.startswith("**persona `walter`**: Walter, retired branch customer")
    assert "(defined in shared-personas.cjm.yaml)" in persona
    assert imported == persona
    assert objective.startswith("**objective `more-orders`**: More orders from the product page.")
    assert "- from 2 to 3 %" in objective
    assert imports.startswith("imports the personas of `shared-personas.cjm.yaml`")


async def test_hover_on_a_diagnostic_shows_the_rule_and_its_page(profile, root):
    async with started(profile, root=root) as client:
        uri = client.open(root / "shop.cjm.yaml")
        found = await client.diagnostics(uri, 1)
        drop = next(d for d in found if d.code == "CJM202")
        shown = await client.hover(uri, drop.range.start)
    assert "**CJM202** emotion-drop: emotion drops by 2" in shown
    assert "A persona's emotion drops sharply between consecutive touchpoints." in shown  # the rule's summary
    assert "Reports a sharp drop in a persona's emotion" in shown and "**Fails**" in shown  # its documentation
    assert f"]({rule_url('CJM202')})" in shown


# --- completion ---------------------------------------------------------------------------------


def _typed(text: str, after: str, typed: str) -> tuple[str, str]:
    """The text with ``typed`` on a new line after the line holding ``after``; the marker ``|`` is the cursor."""
    lines = text.split("\n")
    at = next(i for i, line in enumerate(lines) if after in line)
    lines.insert(at + 1, typed)
    return "\n".join(lines), typed


async def _complete_at(client, uri: str, text: str, typed: str) -> list[str]:
    version = client.change(uri, text.replace("|", ""))
    await client.diagnostics(uri, version)
    line = text.split("\n").index(typed)
    col = typed.index("|")
    return await client.complete(uri, types.Position(line=line, character=units(typed[:col], client.encoding)))


async def test_completion_of_field_names_on_a_half_typed_line(profile, root):
    path = root / "shop.cjm.yaml"
    async with started(profile, root=root, settings={"debounceMs": 0}) as client:
        uri = client.open(path)
        await client.diagnostics(uri, 1)
        text, typed = _typed(path.read_text(), "        name: Delivery", "        tar|")
        labels = await _complete_at(client, uri, text, typed)
    present = {"id", "name", "channel", "medium", "emotion", "content"}
    assert set(labels) == set(Touchpoint.model_fields) - present


async def test_completion_of_values_and_ids(profile, root):
    path = root / "shop.cjm.yaml"
    text = path.read_text()
    cases = {  # what the line says, and what it becomes while it is typed (| is the cursor)
        "medium": ("        medium: owned\n        owner: Web team\n        personas", "        medium: |"),
        "kind": ("    kind: usage", "    kind: |"),
        "channel": ("        channel: email", "        channel: |"),
        "next": ("        next: [delivery]", "        next: [delivery, |]"),
        "personas": ("        emotion: 1", "        emotion: 1\n        personas: [|"),
        "objectives": ("    kind: purchase", "    kind: purchase\n    objectives: [|]"),
        "block next": ("        next: [checkout]", "        next:\n          - |"),
        "imports": ("imports: [shared-personas.cjm.yaml]", "imports:\n  - |"),
    }
    got = {}
    async with started(profile, root=root, settings={"debounceMs": 0}) as client:
        uri = client.open(path)
        await client.diagnostics(uri, 1)
        for name, (line, typed) in cases.items():
            assert text.count(line) >= 1
            current = text.replace(line, typed.split("\n", 1)[0] if name == "medium" else typed, 1)
            cursor_line = next(l for l in current.split("\n") if "|" in l)
            got[name] = await _complete_at(client, uri, current, cursor_line)
    assert got["medium"] == ["owned", "paid", "earned"]
    assert got["kind"] == ["awareness", "consideration", "decision", "purchase", "onboarding", "usage", "retention",
                           "support", "advocacy", "other"]
    assert got["channel"] == list(KNOWN_CHANNELS)
    assert set(got["next"]) == {"product-page", "checkout"}  # delivery is there already
    assert set(got["personas"]) == {"rosa", "tom", "walter"}
    assert got["objectives"] == ["more-orders"]
    assert set(got["block next"]) == {"product-page", "checkout", "delivery"}
    assert got["imports"] == ["shared-personas.cjm.yaml"]  # the other map files of the folder, not itself


async def test_completion_of_emotion_keys_in_a_block_mapping_of_a_broken_buffer(profile, root):
    path = root / "shop.cjm.yaml"
    async with started(profile, root=root, settings={"debounceMs": 0}) as client:
        uri = client.open(path)
        await client.diagnostics(uri, 1)
        # another line elsewhere is broken too: the buffer does not parse; the last good parse answers
        text = path.read_text().replace("title: Small shop", "title: [Small shop")
        text = text.replace("          tom: 1\n", "")
        text, typed = _typed(text, "          rosa: -1", "          |")
        labels = await _complete_at(client, uri, text, typed)
    assert set(labels) == {"tom"}  # rosa and walter have their emotion already


# --- navigation ---------------------------------------------------------------------------------


async def test_definition_and_references_across_imported_files(profile, root):
    async with started(profile, root=root) as client:
        uri = client.open(root / "shop.cjm.yaml")
        await client.diagnostics(uri, 1)
        lsp = client.lsp
        to_checkout = await lsp.text_document_definition_async(types.DefinitionParams(
            text_document=client.doc(uri), position=client.position(uri, "next: [checkout]", 8)))
        to_walter = await lsp.text_document_definition_async(types.DefinitionParams(
            text_document=client.doc(uri), position=client.position(uri, "walter", 1)))
        to_file = await lsp.text_document_definition_async(types.DefinitionParams(
            text_document=client.doc(uri), position=client.position(uri, "shared-personas", 1)))
        refs = await lsp.text_document_references_async(types.ReferenceParams(
            text_document=client.doc(uri), position=client.position(uri, "walter", 1),
            context=types.ReferenceContext(include_declaration=True)))
    shared = (root / "shared-personas.cjm.yaml").as_uri()
    lines = (root / "shop.cjm.yaml").read_text().split("\n")
    checkout_line = lines.index("      - id: checkout")
    assert [(l.uri, l.range.start.line, l.range.start.character, l.range.end.character) for l in to_checkout] == \
        [(uri, checkout_line, 12, 20)]
    assert [(l.uri, l.range.start.line, l.range.start.character) for l in to_walter] == [(shared, 6, 8)]
    assert [l.uri for l in to_file] == [shared]
    walter_lines = sorted((l.uri == shared, l.range.start.line) for l in refs)
    expected = sorted([(True, 6)] + [(False, n) for n, line in enumerate(lines) if "walter" in line])
    assert walter_lines == expected and len(refs) == 1 + 3


async def test_references_from_the_shared_file_reach_the_open_maps_that_import_it(profile, root):
    async with started(profile, root=root) as client:
        shop = client.open(root / "shop.cjm.yaml")
        await client.diagnostics(shop, 1)
        shared = client.open(root / "shared-personas.cjm.yaml")
        await client.diagnostics(shared, 1)
        refs = await client.lsp.text_document_references_async(types.ReferenceParams(
            text_document=client.doc(shared), position=client.position(shared, "walter", 2),
            context=types.ReferenceContext(include_declaration=False)))
    assert sorted(l.uri for l in refs) == [shop] * 3


async def test_document_and_workspace_symbols(profile, root):
    async with started(profile, root=root) as client:
        uri = client.open(root / "shop.cjm.yaml")
        await client.diagnostics(uri, 1)
        symbols = await client.lsp.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=client.doc(uri)))
        found = await client.lsp.workspace_symbol_async(types.WorkspaceSymbolParams(query="walt"))
        everything = await client.lsp.workspace_symbol_async(types.WorkspaceSymbolParams(query=""))
    outline = [(s.name, [c.name for c in s.children or []]) for s in symbols]
    assert outline == [("Browse", ["Product page"]), ("Buy", ["Checkout"]), ("After the sale", ["Delivery"]),
                       ("Rosa, repeat buyer", []), ("Tom, gift buyer", []), ("More orders from the product page.", [])]
    assert [(s.name, s.location.uri.rsplit("/", 1)[1]) for s in found] == [
        ("walter (Walter, retired branch customer)", "shared-personas.cjm.yaml")]
    assert {s.location.uri.rsplit("/", 1)[1] for s in everything} == {"shop.cjm.yaml", "shared-personas.cjm.yaml"}


# --- rename -------------------------------------------------------------------------------------


async def test_rename_a_touchpoint_updates_definition_and_references(profile, root):
    async with started(profile, root=root) as client:
        uri = client.open(root / "shop.cjm.yaml")
        await client.diagnostics(uri, 1)
        prepared = await client.lsp.text_document_prepare_rename_async(types.PrepareRenameParams(
            text_document=client.doc(uri), position=client.position(uri, "next: [checkout]", 8)))
        edit = await client.lsp.text_document_rename_async(types.RenameParams(
            text_document=client.doc(uri), position=client.position(uri, "next: [checkout]", 8), new_name="pay"))
    assert prepared.placeholder == "checkout"
    renamed = apply_edits(client.texts[uri], edit.changes[uri], client.encoding)
    assert renamed == client.texts[uri].replace("id: checkout", "id: pay").replace("next: [checkout]", "next: [pay]")
    assert list(edit.changes) == [uri]


async def test_rename_a_shared_persona_reaches_the_open_maps_that_import_it(profile, root):
    async with started(profile, root=root) as client:
        shop = client.open(root / "shop.cjm.yaml")
        shared = client.open(root / "shared-personas.cjm.yaml")
        await client.diagnostics(shop, 1)
        await client.diagnostics(shared, 1)
        edit = await client.lsp.text_document_rename_async(types.RenameParams(
            text_document=client.doc(shared), position=client.position(shared, "walter", 1), new_name="wally"))
    assert apply_edits(client.texts[shared], edit.changes[shared], client.encoding) == \
        client.texts[shared].replace("id: walter", "id: wally")
    assert apply_edits(client.texts[shop], edit.changes[shop], client.encoding) == client.texts[shop].replace("walter", "wally")


@pytest.mark.parametrize("new, reason", [("tom", "id 'tom' already exists"), ("Rosa Maria", "is not a valid id"),
                                         ("checkout", "id 'checkout' already exists"), ("walter", "already exists")])
async def test_rename_refuses_taken_and_invalid_ids(new, reason, root):
    async with started("vscode", root=root) as client:
        uri = client.open(root / "shop.cjm.yaml")
        await client.diagnostics(uri, 1)
        with pytest.raises(Exception) as refused:
            await client.lsp.text_document_rename_async(types.RenameParams(
                text_document=client.doc(uri), position=client.position(uri, "id: rosa", 5), new_name=new))
    assert reason in str(refused.value)
    assert getattr(refused.value, "code", None) == -32803  # LSP's RequestFailed: the editor shows the reason


# --- code actions -------------------------------------------------------------------------------


async def _actions(client, uri: str, diagnostic: types.Diagnostic) -> list[types.CodeAction]:
    return await client.lsp.text_document_code_action_async(types.CodeActionParams(
        text_document=client.doc(uri), range=diagnostic.range, context=types.CodeActionContext(diagnostics=[diagnostic])))


async def test_did_you_mean_fix_for_an_unknown_reference(profile, root):
    path = root / "shop.cjm.yaml"
    async with started(profile, root=root, settings={"debounceMs": 0}) as client:
        uri = client.open(path, path.read_text().replace("next: [checkout]", "next: [chekout]").replace("rosa: -1", "rosaa: -1"))
        found = await client.diagnostics(uri, 1)
        fixes = {d.message.split("\n")[0]: await _actions(client, uri, d) for d in found if d.code == "CJM021"}
        fixed = client.texts[uri]
        for actions in fixes.values():
            fixed = apply_edits(fixed, actions[0].edit.changes[uri], client.encoding)
        version = client.change(uri, fixed)
        after = await client.diagnostics(uri, version)
    assert {m: [a.title for a in acts] for m, acts in fixes.items()} == {
        "unknown touchpoint 'chekout'": ["Replace with 'checkout'"],
        "unknown persona 'rosaa'": ["Replace with 'rosa'"],
    }
    assert fixed == path.read_text()
    assert "CJM021" not in codes(after)


async def test_suppression_comments_silence_the_finding_for_the_linter(profile, root):
    path = root / "shop.cjm.yaml"
    async with started(profile, root=root, settings={"debounceMs": 0}) as client:
        uri = client.open(path)
        found = await client.diagnostics(uri, 1)
        drop = next(d for d in found if d.code == "CJM202")
        actions = await _actions(client, uri, drop)
        titles = [a.title for a in actions]
        element = next(a for a in actions if a.title == "Disable CJM202 (emotion-drop) for this element")
        whole = next(a for a in actions if a.title == "Disable CJM202 (emotion-drop) for this file")
        results = []
        for action in (element, whole):
            version = client.change(uri, apply_edits(path.read_text(), action.edit.changes[uri], client.encoding))
            results.append(codes(await client.diagnostics(uri, version)))
    assert titles == ["Disable CJM202 (emotion-drop) for this element", "Disable CJM202 (emotion-drop) for this file"]
    assert results == [["CJM305"] * 3, ["CJM305"] * 3]  # the linter reads both comments: CJM202 is gone, nothing else came


async def test_unused_suppression_is_removed_with_certainty(profile, root):
    path = root / "shop.cjm.yaml"
    text = path.read_text().replace("      - id: delivery", "      - id: delivery  # cjm: disable=CJM503,CJM203")
    async with started(profile, root=root, settings={"debounceMs": 0}) as client:
        uri = client.open(path, text)
        found = await client.diagnostics(uri, 1)
        unused = [d for d in found if d.code == "CJM090"]
        actions = await _actions(client, uri, unused[0])
        fix = next(a for a in actions if a.title == "Remove the unused suppression")
        version = client.change(uri, apply_edits(text, fix.edit.changes[uri], client.encoding))
        after = await client.diagnostics(uri, version)
    assert len(unused) == 2 and fix.is_preferred
    assert [d.code for d in after if d.code == "CJM090"] == ["CJM090"]  # one code left in the comment, still unused


# --- configuration ------------------------------------------------------------------------------


@pytest.mark.parametrize("config_name, content", [("cjm.toml", '[lint]\nignore = ["CJM305"]\n'),
                                                  ("pyproject.toml", '[tool.cjm.lint]\nignore = ["CJM305"]\n')])
async def test_configuration_changes_relint_open_maps_without_a_restart(config_name, content, root):
    (root / "cjm.toml").unlink()
    config = root / config_name
    config.write_text("[project]\nname = 'x'\n" if config_name == "pyproject.toml" else "")
    async with started("vscode", root=root) as client:
        uri = client.open(root / "shop.cjm.yaml")
        before = await client.diagnostics(uri, 1)
        config.write_text(content if config_name == "cjm.toml" else "[project]\nname = 'x'\n" + content)
        client.files_changed(config)
        after = await client.diagnostics(uri)
    assert "CJM305" in codes(before)
    assert codes(after) == ["CJM202"]


async def test_file_watchers_are_registered_when_the_client_can(root):
    async with started("vscode", root=root) as client:
        uri = client.open(root / "shop.cjm.yaml")
        await client.diagnostics(uri, 1)
        registrations = list(client.recorder.registrations)
    assert [r.method for r in registrations] == ["workspace/didChangeWatchedFiles"]
    globs = [w["globPattern"] if isinstance(w, dict) else w.glob_pattern for w in
             (registrations[0].register_options["watchers"] if isinstance(registrations[0].register_options, dict)
              else registrations[0].register_options.watchers)]
    assert {"**/cjm.toml", "**/pyproject.toml"} <= set(globs)


async def test_configuration_changes_are_noticed_without_a_notification(root):
    """Not every editor watches files for its server (Neovim 0.7 does not): the server looks itself."""
    (root / "cjm.toml").unlink()
    async with started("neovim", root=root) as client:
        uri = client.open(root / "shop.cjm.yaml")
        before = await client.diagnostics(uri, 1)
        (root / "cjm.toml").write_text('[lint]\nignore = ["CJM305"]\n')  # a new file, where there was none
        after = await client.diagnostics(uri, timeout=20)
    assert "CJM305" in codes(before)
    assert codes(after) == ["CJM202"]
