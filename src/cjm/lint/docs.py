"""The rule reference as Markdown, written from the rules themselves.

Each rule's docstring is its documentation; this module adds the heading, the
options table, and pulls out the **Fails** / **Passes** examples so tests can
run them. The documentation site's rule pages are written from it (``cjm.docs_pages``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from cjm.lint.registry import GROUPS, Rule, all_rules

if TYPE_CHECKING:
    from cjm.evidence.observed import Observed

EXAMPLE_HEADER = {"cjm": "1", "id": "example", "title": "Example"}
# An example is a YAML map; an evidence rule's example is followed by the parts of the observed
# file that matter, as JSON after a line starting "Observed".
_EXAMPLE = re.compile(
    r"^\*\*(Fails|Passes)\*\*[^\n]*\n+```yaml\n(.*?)^```(?:\n+Observed[^\n]*\n+```json\n(.*?)^```)?", re.M | re.S)


def examples(rule: type[Rule]) -> dict[str, list[str]]:
    """The YAML examples of a rule's documentation: ``{"Fails": [...], "Passes": [...]}``."""
    return {kind: [text for text, _ in found] for kind, found in examples_with_observed(rule).items()}


def examples_with_observed(rule: type[Rule]) -> dict[str, list[tuple[str, str | None]]]:
    """Each example as (YAML map, the JSON of its observed file or None)."""
    out: dict[str, list[tuple[str, str | None]]] = {"Fails": [], "Passes": []}
    for kind, text, observed in _EXAMPLE.findall(rule.doc()):
        out[kind].append((text, observed or None))
    return out


def complete_example(text: str) -> str:
    """A documentation example as a whole map: examples show only the part that matters,
    so the required top-level keys they leave out are added."""
    missing = [f"{key}: {value}\n" for key, value in EXAMPLE_HEADER.items() if not re.search(rf"^{key}:", text, re.M)]
    return "".join(missing) + text


def complete_observed(parts: dict, journey_map) -> "Observed":
    """An observed file from the parts an example or a test fixture gives, for ``journey_map``.

    Examples show only what matters to the rule; what they leave out is filled in: empty
    lists, zero totals, and a provenance computed for this map (so ``rules_sha256`` matches
    the map unless the example says otherwise).
    """
    from cjm.evidence.fingerprint import rules_fingerprint
    from cjm.evidence.observed import Observed

    provenance = {
        "cjm": "0", "engine": "duckdb", "engine_version": "0", "inputs": [], "grain": "session", "min_users": 5,
        "rules_sha256": rules_fingerprint(journey_map), "order": "ts, seq, event, touchpoint order",
    }
    totals = {"events": 0, "matched_events": 0, "unmatched_events": 0, "unmatched_share": 0.0, "users": 0, "journeys": 0}
    document = {"map": journey_map.id, "touchpoints": [], "edges": [], "stages": [], "variants": [], "unmatched": [], **parts,
                "provenance": {**provenance, **parts.get("provenance", {})}, "totals": {**totals, **parts.get("totals", {})}}
    return Observed.model_validate(document)


def _option_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return f"{value:g}" if isinstance(value, float) else str(value)


def rule_markdown(rule: type[Rule], level: int = 4, *, fold_examples: bool = False) -> str:
    """One rule's documentation: heading, facts, docstring, options.

    ``fold_examples`` puts the examples (from **Fails** to the end of the docstring) in a
    ``<details>`` block, which keeps a long reference skimmable on GitHub.
    """
    doc = rule.doc()
    start = doc.find("**Fails**")
    if fold_examples and start >= 0:
        doc = f"{doc[:start]}<details><summary>Examples</summary>\n\n{doc[start:]}\n\n</details>"
    facts = [f"Group `{rule.group}`", f"severity `{rule.severity.value}`"]
    if not rule.default_enabled:
        facts.append("**off by default**")
    lines = [
        f"{'#' * level} {rule.code} `{rule.name}`",
        "",
        " · ".join(facts),
        "",
        doc,
    ]
    if rule.options:
        lines += ["", "Options:", "", "| option | default | what it sets |", "| --- | --- | --- |"]
        for key, default in rule.options.items():
            lines.append(f"| `{key}` | `{_option_value(default)}` | {rule.option_help.get(key, '')} |")
    return "\n".join(lines).rstrip() + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def reference_markdown() -> str:
    """The whole reference: a table of every rule, then each rule by group."""
    rules = all_rules()
    lines = [
        "| code | name | group | severity | what it reports |",
        "| --- | --- | --- | --- | --- |",
    ]
    for rule in rules.values():
        summary = rule.summary + ("" if rule.default_enabled else " (off by default)")
        lines.append(f"| [{rule.code}](#{_anchor(rule)}) | `{rule.name}` | {rule.group} | {rule.severity.value} | {_cell(summary)} |")
    for group, title in GROUPS.items():
        lines += ["", f"### {title}", ""]
        for rule in (r for r in rules.values() if r.group == group):
            lines += [rule_markdown(rule, fold_examples=True)]
    return "\n".join(lines).rstrip() + "\n"


def _anchor(rule: type[Rule]) -> str:
    """GitHub's anchor for the rule's heading ``CJM101 `stage-without-touchpoints```."""
    return f"{rule.code}-{rule.name}".lower()
