"""Checks that an output cjm wrote parses and carries no active content.

One function per output format: ``check_output(fmt, data)`` returns a list of problems
(empty when the output is fine); a format with no check here is an error, not a pass. Used by
the corpus matrix and the fuzz tests.

"Active content" is anything a browser or viewer would run or fetch on its own: script
elements, event-handler attributes, URLs whose scheme is not http(s)/mailto (after the
whitespace and control characters a browser strips), CSS expressions and imports, frames,
``<base>``, meta refresh, Mermaid init directives, and raw HTML smuggled into Markdown.
"""

from __future__ import annotations

import json
import re
import subprocess
import xml.etree.ElementTree as ET
from functools import lru_cache
from pathlib import Path

HERE = Path(__file__).parent
SARIF_SCHEMA = HERE.parent / "data" / "sarif-schema-2.1.0.json"
REPORT_SCHEMA = HERE / "report-schema.json"

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "poster", "background", "xlink:href", "ping", "cite"}
SAFE_SCHEMES = {"http", "https", "mailto"}
INERT_SCRIPT_TYPES = {"application/json", "application/ld+json", "text/plain", "text/template"}
FORBIDDEN_ELEMENTS = {"iframe", "frame", "frameset", "object", "embed", "applet", "base", "portal"}
_STRIPPED = re.compile(r"[\x00-\x20\x7f]")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
_CSS_URL = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.I | re.S)


def url_problem(value: str, *, allow_data_image: bool = False, fetched: bool = False) -> str | None:
    """Why a browser would do something dangerous with this URL, or None.

    ``fetched``: the browser loads it by itself (``src``, ``<link href>``...), so any other host is a
    problem; a link (``<a href>``) to another host is only followed when clicked.
    """
    squashed = _STRIPPED.sub("", value).lower()
    match = _SCHEME.match(squashed)
    if not match:
        if fetched and squashed.startswith(("//", "\\\\", "/\\", "\\/")):
            return f"protocol-relative URL {value!r} loaded from another host"
        return None
    if fetched and match.group(1) in ("http", "https"):
        return f"URL {value[:80]!r} loaded from another host"
    scheme = match.group(1)
    if scheme in SAFE_SCHEMES:
        return None
    if allow_data_image and squashed.startswith(("data:image/png", "data:image/jpeg", "data:image/gif", "data:image/webp")):
        return None
    return f"URL with scheme {scheme!r}: {value[:80]!r}"


def css_problems(css: str) -> list[str]:
    out = []
    lowered = _STRIPPED.sub("", css).lower()
    for needle in ("expression(", "javascript:", "@import", "behavior:", "-moz-binding"):
        if needle in lowered:
            out.append(f"CSS contains {needle!r}")
    for _, target in _CSS_URL.findall(css):
        target = target.strip()
        if target.startswith("#") or url_problem(target, allow_data_image=True) is None and target.lower().startswith("data:"):
            continue
        out.append(f"CSS url() outside the document: {target[:80]!r}")
    return out


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _attr_name(name: str) -> str:
    if name.startswith("{http://www.w3.org/1999/xlink}"):
        return "xlink:href" if name.endswith("}href") else "xlink:" + name.rsplit("}", 1)[-1]
    return name.rsplit("}", 1)[-1].lower()


def active_content(root: ET.Element) -> list[str]:
    """Active content in an element tree (SVG as parsed by ElementTree, HTML by html5lib)."""
    problems: list[str] = []
    for element in root.iter():
        tag = _local(element.tag)
        if tag == "script":
            kind = (element.get("type") or "").strip().lower()
            if kind not in INERT_SCRIPT_TYPES:
                problems.append(f"<script> element (type {kind or 'javascript'!r}): {(element.text or '')[:80]!r}")
        if tag in FORBIDDEN_ELEMENTS:
            problems.append(f"<{tag}> element")
        if tag == "meta" and (element.get("http-equiv") or "").lower() == "refresh":
            problems.append("<meta http-equiv=refresh>")
        if tag == "style":
            problems += css_problems(element.text or "")
        if tag in ("animate", "set", "animatetransform") and (element.get("attributeName") or "").lower() in ("href", "xlink:href"):
            problems.append(f"<{tag}> that rewrites a link")
        for raw_name, value in element.attrib.items():
            name = _attr_name(raw_name)
            if name.startswith("on"):
                problems.append(f"event handler attribute {name}={value[:60]!r} on <{tag}>")
            elif name == "srcdoc":
                problems.append(f"srcdoc attribute on <{tag}>")
            elif name in URL_ATTRIBUTES:
                fetched = not (tag in ("a", "area") and name in ("href", "xlink:href"))
                problem = url_problem(value, allow_data_image=tag in ("img", "image"), fetched=fetched)
                if problem:
                    problems.append(f"{problem} in {name} of <{tag}>")
            elif name == "style":
                problems += css_problems(value)
    return problems


# -- formats -------------------------------------------------------------------------------------


def check_svg(data: bytes) -> list[str]:
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        return [f"SVG is not well-formed XML: {exc}"]
    if _local(root.tag) != "svg":
        return [f"root element is <{_local(root.tag)}>, not <svg>"]
    return active_content(root)


def check_html(data: bytes) -> list[str]:
    import html5lib

    parser = html5lib.HTMLParser(tree=html5lib.getTreeBuilder("etree"), namespaceHTMLElements=False)
    root = parser.parse(data)
    problems = [f"HTML parse error {code} at {pos}" for pos, code, _ in parser.errors
                if code not in ("expected-doctype-but-got-start-tag",)]
    return problems + active_content(root)


def check_dot(data: bytes) -> list[str]:
    text = data.decode("utf-8", "replace")
    problems = []
    if re.search(r"(?i)\b(URL|href|tooltip)\s*=\s*\"?\s*(javascript|data|vbscript):", text):
        problems.append("DOT attribute carries a script URL")
    # Graphviz's `nop` reads and pretty-prints a graph without laying it out: the grammar, not the layout
    try:
        done = subprocess.run(["nop"], input=data, capture_output=True, timeout=60)
    except FileNotFoundError:
        return problems + ["Graphviz `nop` is not installed, so the DOT source cannot be checked (make setup installs Graphviz)"]
    if done.returncode != 0:
        problems.append(f"Graphviz rejects the DOT source: {done.stderr.decode('utf-8', 'replace')[:300]}")
    return problems


def check_png(data: bytes) -> list[str]:
    return [] if data.startswith(b"\x89PNG\r\n\x1a\n") and data.rstrip().endswith(b"IEND\xaeB`\x82") else ["not a complete PNG"]


def check_pdf(data: bytes) -> list[str]:
    return [] if data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:] else ["not a complete PDF"]


MERMAID_LINE = re.compile(
    r"^(journey|\s*title\s.*|\s*section\s.*|\s*acc(Title|Descr)\s*:.*|\s*[^:\n]+:\s*-?\d+(\.\d+)?\s*(:\s*[^:\n]*)?|\s*%%(?!\{).*|\s*)$"
)


def check_mermaid(data: bytes | str) -> list[str]:
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    problems = []
    lines = re.split(r"\r\n|\r|\n", text)  # Mermaid's own line breaks (str.splitlines also splits on U+2028)
    body = [line for line in lines if line.strip() and not line.strip().startswith("%%")]
    if not body or body[0].strip() != "journey":
        problems.append("Mermaid source does not start with 'journey'")
    for number, line in enumerate(lines, 1):
        if "%%{" in line:
            problems.append(f"line {number}: Mermaid directive: {line[:80]!r}")
        elif not MERMAID_LINE.match(line):
            problems.append(f"line {number}: not Mermaid journey syntax: {line[:80]!r}")
    if sum(1 for line in lines if line.strip() == "journey") > 1:
        problems.append("more than one 'journey' header")
    return problems


def _table_problems(text: str) -> list[str]:
    problems = []
    rows: list[tuple[int, int]] = []

    def cells(line: str) -> int:
        stripped = re.sub(r"\\.", "", line.strip())
        stripped = re.sub(r"`[^`]*`", "", stripped)
        return stripped.strip("|").count("|") + 1

    for number, line in enumerate(re.split(r"\r\n|\r|\n", text) + [""], 1):  # CommonMark line endings only
        if line.lstrip().startswith("|"):
            rows.append((number, cells(line)))
            continue
        if rows:
            width = rows[0][1]
            for row_number, count in rows[1:]:
                if count != width:
                    problems.append(f"line {row_number}: table row has {count} cells, the header {width}")
            rows = []
    return problems


def check_markdown(data: bytes | str) -> list[str]:
    from markdown_it import MarkdownIt

    text = data.decode("utf-8") if isinstance(data, bytes) else data
    problems = _table_problems(text)
    md = MarkdownIt("commonmark").enable("table")
    for token in md.parse(text):
        for child in [token, *(token.children or [])]:
            if child.type in ("html_block", "html_inline"):
                html = child.content
                if re.search(r"(?i)<\s*(script|iframe|object|embed|img|svg|style|details|a\s)|\son\w+\s*=", html):
                    problems.append(f"raw HTML from the map in Markdown: {html[:80]!r}")
            if child.type in ("link_open", "image"):
                target = child.attrGet("href") or child.attrGet("src") or ""
                problem = url_problem(target)
                if problem:
                    problems.append(f"Markdown {child.type}: {problem}")
                if child.type == "image" and _SCHEME.match(target.lower()):
                    problems.append(f"Markdown image fetched from {target[:80]!r}")
            if child.type == "fence" and child.info.strip() == "mermaid":
                problems += [f"in ```mermaid: {p}" for p in check_mermaid(child.content)]
    return problems


@lru_cache(maxsize=None)
def _schema(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def check_json(data: bytes | str, schema: Path | None = None) -> list[str]:
    try:
        document = json.loads(data)
    except ValueError as exc:
        return [f"not JSON: {exc}"]
    if schema is None:
        return []
    import jsonschema

    validator = jsonschema.validators.validator_for(_schema(schema))(_schema(schema))
    return [f"JSON schema: {e.message[:200]} at {list(e.absolute_path)}" for e in validator.iter_errors(document)][:5]


def check_report_json(data: bytes | str) -> list[str]:
    return check_json(data, REPORT_SCHEMA)


def check_sarif(data: bytes | str) -> list[str]:
    return check_json(data, SARIF_SCHEMA)


GITHUB_LINE = re.compile(r"^::(error|warning|notice)( [a-zA-Z]+=[^,:\n]*(,[a-zA-Z]+=[^,:\n]*)*)?::[^\r\n]*$")


def check_github(data: bytes | str) -> list[str]:
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    return [f"line {n}: not a workflow command: {line[:100]!r}" for n, line in enumerate(text.splitlines(), 1)
            if line.startswith("::") and not GITHUB_LINE.match(line)]


def check_text(data: bytes | str) -> list[str]:
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError as exc:
        return [f"plain-text output that is not UTF-8: {exc}"]
    return ["escape character in plain-text output"] if "\x1b" in text else []


def check_css(data: bytes | str) -> list[str]:
    return check_text(data) or css_problems(data.decode("utf-8") if isinstance(data, bytes) else data)


def check_yaml(data: bytes | str) -> list[str]:
    """A map file cjm wrote (``cjm import``): UTF-8 text that parses as one YAML mapping."""
    import yaml

    problems = check_text(data)
    if problems:
        return problems
    try:
        document = yaml.safe_load(data)
    except yaml.YAMLError as exc:
        return [f"YAML that does not parse: {str(exc)[:200]}"]
    return [] if isinstance(document, dict) else [f"YAML whose top level is {type(document).__name__}, not a mapping"]


CHECKS = {
    "svg": check_svg, "html": check_html, "dot": check_dot, "png": check_png, "pdf": check_pdf,
    "md": check_markdown, "markdown": check_markdown, "mermaid": check_mermaid, "mmd": check_mermaid,
    "json": check_json, "report-json": check_report_json, "sarif": check_sarif, "github": check_github,
    "text": check_text, "concise": check_text, "css": check_css, "yaml": check_yaml,
}


class UncheckedFormat(ValueError):
    """An output format with no check in CHECKS: add one rather than let the output pass unread."""


def check_output(fmt: str, data: bytes | str) -> list[str]:
    """Problems with ``data`` as format ``fmt``; a format with no check raises UncheckedFormat."""
    check = CHECKS.get(fmt)
    if check is None:
        raise UncheckedFormat(f"no check for output format {fmt!r} (known: {', '.join(sorted(CHECKS))}): add one to CHECKS")
    if isinstance(data, str) and check in (check_svg, check_html, check_dot, check_png, check_pdf):
        data = data.encode("utf-8")
    return check(data)
