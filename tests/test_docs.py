"""The documentation site: generated pages in step with the code, a strict build whose links all
resolve, one page per code at a stable address, and the pages looked at in Chromium."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from typer.testing import CliRunner

from cjm.cli import app
from cjm.docs_pages import generated_pages, main as docs_main
from cjm.lint.registry import all_rules
from cjm.lint.select import SUPPRESSION_CODES, VALIDATION_CODES

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
ALL_CODES = [*VALIDATION_CODES, *all_rules(), *SUPPRESSION_CODES]


def test_generated_pages_are_current():
    stale = [relative for relative, text in generated_pages().items()
             if not (DOCS / relative).is_file() or (DOCS / relative).read_text(encoding="utf-8") != text]
    assert stale == [], f"stale generated pages (run make docs): {stale}"
    committed = {p.relative_to(DOCS).as_posix() for p in (DOCS / "rules").glob("*.md")}
    assert committed == {r for r in generated_pages() if r.startswith("rules/")}


def test_a_stale_page_is_found_and_rewritten(tmp_path, capsys):
    assert docs_main([str(tmp_path), "--check"]) == 1
    assert docs_main([str(tmp_path)]) == 0
    assert docs_main([str(tmp_path), "--check"]) == 0
    (tmp_path / "rules" / "CJM204.md").write_text("old\n", encoding="utf-8")
    (tmp_path / "rules" / "CJM999.md").write_text("a code that is gone\n", encoding="utf-8")
    assert docs_main([str(tmp_path), "--check"]) == 1
    err = capsys.readouterr().err
    assert "rules/CJM204.md: out of date" in err and "rules/CJM999.md: out of date" in err
    assert docs_main([str(tmp_path)]) == 0
    assert not (tmp_path / "rules" / "CJM999.md").exists()
    assert (tmp_path / "rules" / "CJM204.md").read_text(encoding="utf-8") == generated_pages()["rules/CJM204.md"]


def test_every_code_has_its_page_with_its_documentation():
    pages = generated_pages()
    for code in ALL_CODES:
        page = pages[f"rules/{code}.md"]
        assert page.splitlines()[2].startswith(f"# {code} `"), code
    for rule in all_rules().values():
        assert rule.summary in pages[f"rules/{rule.code}.md"]
        assert f"[{rule.code}]({rule.code}.md)" in pages["rules/index.md"]


def test_the_format_reference_lists_every_field_of_the_models():
    from cjm.format.model import JourneyMap, Stage, Touchpoint

    reference = generated_pages()["reference/format.md"]
    for model, heading in ((JourneyMap, "## The map {#journeymap}"), (Stage, "## Stage {#stage}"),
                           (Touchpoint, "## Touchpoint {#touchpoint}")):
        section = reference.split(heading, 1)[1].split("\n## ", 1)[0]
        for name, info in model.model_fields.items():
            row = next(line for line in section.splitlines() if line.startswith(f"| `{info.alias or name}` |"))
            assert " ".join(info.description.split()) in row.replace("\\|", "|"), name
    assert "| `id` | text | yes |" in reference


# -- rule links ----------------------------------------------------------------------------------

def test_rules_url_names_the_page(monkeypatch):
    monkeypatch.delenv("CJM_DOCS_URL", raising=False)
    runner = CliRunner()
    result = runner.invoke(app, ["rules", "CJM204", "--url"])
    assert result.exit_code == 0
    assert result.stdout == (DOCS / "rules" / "CJM204.md").as_uri() + "\n"
    for key, code in (("emotion-drop", "CJM202"), ("cjm001", "CJM001"), ("unused-suppression", "CJM090")):
        result = runner.invoke(app, ["rules", key, "--url", "--docs-url", "https://maps.example.org/cjm/"])
        assert result.stdout == f"https://maps.example.org/cjm/rules/{code}/\n", key
    monkeypatch.setenv("CJM_DOCS_URL", "https://docs.example.org")
    assert runner.invoke(app, ["rules", "CJM204", "--url"]).stdout == "https://docs.example.org/rules/CJM204/\n"


def test_rules_url_of_an_unknown_rule_is_a_usage_error():
    result = CliRunner().invoke(app, ["rules", "CJM2O4", "--url"])
    assert result.exit_code == 2
    assert result.stderr.startswith("cjm: error: unknown rule 'CJM2O4'")
    assert CliRunner().invoke(app, ["rules", "--url"]).exit_code == 2


def test_sarif_rules_carry_their_page(tmp_path, monkeypatch):
    (tmp_path / "m.cjm.yaml").write_text(
        "cjm: 1\nid: m\ntitle: M\nstages:\n  - id: s\n    name: S\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CJM_DOCS_URL", "https://docs.example.org/cjm")
    result = CliRunner().invoke(app, ["lint", "m.cjm.yaml", "--format", "sarif"])
    rules = json.loads(result.stdout)["runs"][0]["tool"]["driver"]["rules"]
    assert rules and all(r["helpUri"] == f"https://docs.example.org/cjm/rules/{r['id']}/" for r in rules)


# -- the site ------------------------------------------------------------------------------------

class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(values["id"])
        for key in ("href", "src"):
            if values.get(key):
                self.links.append(values[key])


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("docs-site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
                            cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr, result.stderr
    return out


def _parsed(page: Path) -> _Links:
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def test_every_internal_link_of_the_built_site_resolves(site):
    pages = sorted(p for p in site.rglob("*.html") if p.name != "404.html")  # 404 links from the site's root
    assert len(pages) > len(ALL_CODES)
    ids = {page: _parsed(page).ids for page in pages}
    broken = []
    for page in pages:
        for link in _parsed(page).links:
            parts = urlsplit(link)
            if parts.scheme or link.startswith(("//", "mailto:", "data:")):
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(site)}: {link}")
            elif parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in ids.get(target, _parsed(target).ids):
                broken.append(f"{page.relative_to(site)}: {link} (no such anchor)")
    assert broken == []


def test_each_code_has_a_stable_address(site):
    for code in ALL_CODES:
        page = site / "rules" / code / "index.html"
        assert page.is_file(), code
        assert re.search(rf"<h1[^>]*>{code}", page.read_text(encoding="utf-8")), code


from test_browser import CHROMIUM_ARGS, browser  # noqa: E402,F401  (the shared headless Chromium fixture)


@pytest.mark.parametrize("path, heading", [("index.html", "cjm: customer journey maps as code"),
                                           ("rules/CJM204/index.html", "CJM204 negative-without-opportunity")])
def test_the_site_looks_right_in_chromium(site, browser, path, heading, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto((site / path).as_uri())
    assert page.locator("h1").first.inner_text().replace("`", "").rstrip("¶").strip() == heading
    assert page.locator("nav").count() > 0  # the theme drew its navigation
    shot = ROOT / "build" / "screenshots" / f"docs-{path.split('/')[0] if '/' in path else 'home'}.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot), full_page=False)
    assert [url for url in requests if not url.startswith("file://")] == []  # the site needs no network
    page.close()
