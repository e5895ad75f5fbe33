"""SVG pictures made fit to sit inside an HTML page, as markup Jinja2 inserts unescaped.

The curve comes from our own escaping builder (``cjm.render.svg``) and the diagram from Graphviz
fed escaped labels (``cjm.render.dot``), so their text is already escaped. Still, a picture is
inserted into the page without autoescaping, so it is re-parsed here and rebuilt from an
allow-list before it is marked safe: only drawing elements survive (no ``script``,
``foreignObject``, ``style``, ``image`` ...), no ``on*`` attribute, links only to ``#fragments``,
no ``url(...)`` that points anywhere but ``#``. Ids get a prefix (and references to them follow)
so two pictures, or a light and a dark copy, never share an id. XML declaration, doctype and
comments are dropped. The root gets ``role="img"`` and a ``<title>`` when it has none.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from markupsafe import Markup

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", XLINK_NS)

ELEMENTS = frozenset({
    "svg", "g", "title", "desc", "path", "polygon", "polyline", "ellipse", "circle", "rect", "line",
    "text", "tspan", "a", "defs", "marker", "use", "clipPath", "linearGradient", "radialGradient",
    "stop", "pattern", "symbol",
})
HREFS = frozenset({"href", f"{{{XLINK_NS}}}href"})
REFERENCE_LISTS = frozenset({"aria-labelledby", "aria-describedby"})
_EXTERNAL_URL = re.compile(r"url\(\s*['\"]?\s*(?!#)", re.IGNORECASE)
_URL_REF = re.compile(r"url\(\s*(['\"]?)#([^)'\"]+)\1\s*\)")


class UnsafeSvg(ValueError):
    """The SVG text does not parse."""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if tag.startswith("{") else tag


def inline_svg(svg: str, prefix: str, *, title: str | None = None) -> Markup:
    """``svg`` (a document or an element) as clean markup for an HTML page."""
    try:
        root = ET.fromstring(svg.encode("utf-8"))
    except ET.ParseError as exc:
        raise UnsafeSvg(f"not well-formed SVG: {exc}") from None
    if _local(root.tag) != "svg":
        raise UnsafeSvg(f"expected an <svg> root, found <{_local(root.tag)}>")
    _clean(root, prefix)
    root.set("role", "img")
    has_title = len(root) and _local(root[0].tag) == "title"
    if title is not None or not has_title:
        element = ET.Element(f"{{{SVG_NS}}}title")
        element.text = title or "picture"
        root.insert(0, element)
        labelled = root.get("aria-labelledby")
        if labelled:  # the new title first, so it names the picture
            root.set("aria-labelledby", f"{prefix}title {labelled}")
            element.set("id", f"{prefix}title")
    return Markup(ET.tostring(root, encoding="unicode", short_empty_elements=True))


def _clean(element: ET.Element, prefix: str) -> None:
    for child in list(element):
        if not isinstance(child.tag, str) or _local(child.tag) not in ELEMENTS:
            element.remove(child)
            continue
        _clean(child, prefix)
    for name, value in list(element.attrib.items()):
        local = _local(name)
        if local.lower().startswith("on") or local == "style" and _EXTERNAL_URL.search(value):
            del element.attrib[name]
        elif name in HREFS:
            if value.startswith("#"):
                element.set(name, "#" + prefix + value[1:])
            else:
                del element.attrib[name]
        elif local == "id":
            element.set(name, prefix + value)
        elif local in REFERENCE_LISTS:
            element.set(name, " ".join(prefix + ref for ref in value.split()))
        elif "url(" in value.lower():
            if _EXTERNAL_URL.search(value):
                del element.attrib[name]
            else:
                element.set(name, _URL_REF.sub(lambda m: f"url(#{prefix}{m.group(2)})", value))
