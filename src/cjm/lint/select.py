"""Which codes a lint run reports: the catalog of codes, and selectors resolved against it.

A selector is a rule code (``CJM203``), a code prefix (``CJM2``), a rule name
(``sharp-emotion-drop``), a group (``emotion``) or ``ALL``. Where selectors
disagree about a code, the most specific one wins (``ALL`` < prefix/group <
exact code or name); at equal specificity ``ignore`` wins.

Validation codes (CJM0xx below CJM090) are not selectable: an invalid map is
always reported, as errors, and is not linted further.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from cjm.format.diagnostics import Severity
from cjm.lint.registry import GROUPS, all_rules

VALIDATION_CODES: dict[str, tuple[str, str]] = {
    "CJM000": ("unreadable", "The file cannot be read."),
    "CJM001": ("yaml-syntax", "The YAML does not parse."),
    "CJM002": ("unsupported-yaml", "YAML features a map never needs: duplicate keys, tags, merge keys, several documents."),
    "CJM003": ("input-limit", "The file is too large, expands to too many nodes or nests too deeply."),
    "CJM004": ("bad-encoding", "The file is not UTF-8 or holds control characters."),
    "CJM010": ("schema", "A field is missing, unknown, or of the wrong type."),
    "CJM020": ("duplicate-id", "An id is used twice."),
    "CJM021": ("unknown-reference", "A reference names no such id."),
    "CJM030": ("import", "An import is refused, missing, cyclic or invalid."),
}
VALIDATION_NAMES = frozenset({name for name, _ in VALIDATION_CODES.values()} | {"duplicate-key", "bad-character"})

UNUSED_SUPPRESSION = "CJM090"
INVALID_SUPPRESSION = "CJM091"

EXACT, GROUP, ALL = 10, 4, 0
CODE_SHAPE = re.compile(r"CJM\d{3}")
PREFIX_SHAPE = re.compile(r"CJM\d{0,2}")


@dataclass(frozen=True)
class CodeInfo:
    """What the linter knows about a selectable code: a rule, or one of the suppression checks."""

    code: str
    name: str
    group: str | None
    severity: Severity
    summary: str
    doc: str = ""
    hint: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    default_enabled: bool = True


SUPPRESSION_CODES = {
    UNUSED_SUPPRESSION: CodeInfo(
        UNUSED_SUPPRESSION, "unused-suppression", None, Severity.warning,
        "A `# cjm: disable=` comment that silences nothing.",
        doc=(
            "A suppression comment names a rule that finds nothing in the element (or file) it covers. "
            "Stale suppressions hide the next real finding, so remove them once the map is fixed.\n\n"
            "```yaml\n"
            "      - id: checkout   # cjm: disable=CJM203   <- reported when CJM203 finds nothing here\n"
            "```"
        ),
        hint="remove the code from the comment (or the whole comment)",
    ),
    INVALID_SUPPRESSION: CodeInfo(
        INVALID_SUPPRESSION, "invalid-suppression", None, Severity.warning,
        "A `# cjm:` comment that cannot be applied: unknown code, bad syntax, or misplaced.",
        doc=(
            "A suppression comment names a code or rule that does not exist, is not written as "
            "`# cjm: disable=CODE[,CODE...]` or `# cjm: disable-file=CODE[,CODE...]`, puts `disable-file` "
            "below the comment block at the top of the file, stands on no element, or names a validation "
            "code (validation problems cannot be silenced: fix the map).\n\n"
            "```yaml\n"
            "# cjm: disable=CJM999        <- no such rule\n"
            "# cjm: disable=CJM203        <- fine\n"
            "```"
        ),
        hint="write `# cjm: disable=CODE` with codes or names from `cjm rules`",
    ),
}


class SelectorError(ValueError):
    """A selector that names nothing the linter knows."""


def catalog() -> dict[str, CodeInfo]:
    """Every selectable code: the registered rules and the suppression checks, by code."""
    out: dict[str, CodeInfo] = {}
    for code, rule in all_rules().items():
        out[code] = CodeInfo(code, rule.name, rule.group, rule.severity, rule.summary,
                             doc=rule.doc(), hint=rule.hint, options=dict(rule.options),
                             default_enabled=rule.default_enabled)
    out.update(SUPPRESSION_CODES)
    return dict(sorted(out.items()))


def code_for(key: str, codes: Mapping[str, CodeInfo]) -> str | None:
    """The code that ``key`` names exactly (a code or a rule name), else None."""
    if key.upper() in codes:
        return key.upper()
    lowered = key.lower()
    return next((c for c, info in codes.items() if info.name == lowered), None)


def is_validation_code(key: str) -> bool:
    upper = key.upper()
    return upper in VALIDATION_CODES or key.lower() in VALIDATION_NAMES


def suggestion(key: str, codes: Mapping[str, CodeInfo], *, groups: bool = True) -> str:
    if re.fullmatch(r"CJM\d*", key.upper()):
        return ""  # one code looks like every other: a guess would only mislead
    words = [*(i.name for i in codes.values()), *((*GROUPS, "ALL") if groups else ())]
    close = difflib.get_close_matches(key, words, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def matches(selector: str, codes: Mapping[str, CodeInfo]) -> tuple[int, frozenset[str]]:
    """(specificity, codes) for one selector; raises SelectorError when it names nothing."""
    key = selector.strip()
    if key.upper() == "ALL":
        return ALL, frozenset(codes)
    exact = code_for(key, codes)
    if exact is not None:
        return EXACT, frozenset({exact})
    if key.lower() in GROUPS:
        return GROUP, frozenset(c for c, info in codes.items() if info.group == key.lower())
    if is_validation_code(key):
        raise SelectorError(f"'{key}' is a validation code: validation problems are always reported and cannot be selected, ignored or suppressed")
    upper = key.upper()
    if PREFIX_SHAPE.fullmatch(upper) and not CODE_SHAPE.fullmatch(upper):
        hit = frozenset(c for c in codes if c.startswith(upper))
        if hit:
            return len(upper), hit
    raise SelectorError(f"unknown rule code, name or group '{key}'{suggestion(key, codes)}")


@dataclass(frozen=True)
class Selection:
    """One layer of selectors (defaults, a config file, the command line)."""

    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()

    def apply(self, enabled: frozenset[str], codes: Mapping[str, CodeInfo]) -> frozenset[str]:
        """The codes enabled after this layer, starting from ``enabled``.

        ``select`` starts afresh (nothing before it counts); ``extend-select`` adds;
        ``ignore`` removes. The most specific matching selector decides each code.
        """
        decided: dict[str, tuple[int, bool]] = {}

        def vote(selectors: Iterable[str], on: bool) -> None:
            for selector in selectors:
                specificity, hit = matches(selector, codes)
                for code in hit:
                    previous = decided.get(code)
                    # Higher specificity wins; at a tie, "off" wins.
                    if previous is None or specificity > previous[0] or (specificity == previous[0] and not on):
                        decided[code] = (specificity, on)

        vote(self.select or (), True)
        vote(self.extend_select, True)
        vote(self.ignore, False)
        start = frozenset() if self.select is not None else enabled
        out = set(start)
        for code, (_, on) in decided.items():
            (out.add if on else out.discard)(code)
        return frozenset(out)


def default_codes(codes: Mapping[str, CodeInfo]) -> frozenset[str]:
    """What runs when nothing is configured: every code but the opt-in rules."""
    return frozenset(code for code, info in codes.items() if info.default_enabled)


def resolve(layers: Iterable[Selection], codes: Mapping[str, CodeInfo]) -> frozenset[str]:
    """Apply layers in order (later overrides earlier), starting from the default codes.

    An opt-in rule (``default_enabled = False``) runs once any selector names it:
    its code, name, prefix, group, or ``ALL``.
    """
    enabled = default_codes(codes)
    for layer in layers:
        enabled = layer.apply(enabled, codes)
    return enabled


def severities(overrides: Mapping[str, Severity], codes: Mapping[str, CodeInfo]) -> dict[str, Severity]:
    """Each code's severity: its default unless a selector overrides it (most specific wins, then the last)."""
    best: dict[str, tuple[int, Severity]] = {}
    for selector, severity in overrides.items():
        specificity, hit = matches(selector, codes)
        for code in hit:
            if code not in best or specificity >= best[code][0]:
                best[code] = (specificity, severity)
    return {code: best[code][1] if code in best else info.severity for code, info in codes.items()}
