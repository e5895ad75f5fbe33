from __future__ import annotations

import re
import sys
from typing import Optional

import typer

SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def rules(
    rule: Optional[str] = typer.Argument(None, help="A rule code (CJM202) or name (emotion-drop); a group (emotion) or code prefix (CJM2) lists those rules."),
    markdown: bool = typer.Option(False, "--markdown", help="Print Markdown, as on the documentation site."),
    url: bool = typer.Option(False, "--url", help="Print the address of the rule's documentation page."),
    docs_url: Optional[str] = typer.Option(
        None, "--docs-url", metavar="URL", envvar="CJM_DOCS_URL",
        help="Where the documentation site is hosted (its base address); default: the repository's docs/ files."),
) -> None:
    """List the lint rules, or print one rule's documentation (or, with --url, its page's address)."""
    from cjm.commands.common import fail_usage
    from cjm.lint import docs
    from cjm.lint.registry import GROUPS, all_rules, rule_by_name_or_code
    from cjm.lint.select import SUPPRESSION_CODES

    catalog = all_rules()
    if url:
        _print_url(rule, docs_url, catalog)
        return
    if rule is None:
        if markdown:
            typer.echo(docs.reference_markdown(), nl=False)
        else:
            _table([*catalog.values(), *SUPPRESSION_CODES.values()])
        return
    key = rule.strip()
    if key.lower() in GROUPS or (re.fullmatch(r"CJM\d{1,2}", key.upper()) and any(c.startswith(key.upper()) for c in catalog)):
        chosen = [r for r in catalog.values() if r.group == key.lower() or r.code.startswith(key.upper())]
        if markdown:
            typer.echo("\n".join(docs.rule_markdown(r) for r in chosen), nl=False)
        else:
            _table(chosen, title=GROUPS.get(key.lower()))
        return
    found = rule_by_name_or_code(key)
    check = next((c for c in SUPPRESSION_CODES.values() if key.upper() == c.code or key.lower() == c.name), None)
    if found is None and check is None:
        known = {**catalog, **SUPPRESSION_CODES}
        fail_usage(f"unknown rule '{key}'{_did_you_mean(key, known, GROUPS)}; `cjm rules` lists them")
    text = docs.rule_markdown(found, level=1) if found else _check_markdown(check)
    if markdown:
        typer.echo(text, nl=False)
    else:
        _print_markdown(text)


def _print_url(rule: str | None, docs_url: str | None, catalog: dict) -> None:
    from cjm.commands.common import fail_usage
    from cjm.lint.registry import rule_by_name_or_code
    from cjm.lint.select import SUPPRESSION_CODES, VALIDATION_CODES
    from cjm.links import docs_base, rule_url

    if rule is None:
        fail_usage("--url needs a rule: cjm rules CODE --url")
    key = rule.strip()
    found = rule_by_name_or_code(key)
    code = found.code if found else next(
        (c for c, (name, _) in VALIDATION_CODES.items() if key.upper() == c or key.lower() == name),
        next((c.code for c in SUPPRESSION_CODES.values() if key.upper() == c.code or key.lower() == c.name), None))
    if code is None:
        known = {**catalog, **SUPPRESSION_CODES}
        fail_usage(f"unknown rule '{key}'{_did_you_mean(key, known, {})}; `cjm rules` lists them")
    typer.echo(rule_url(code, docs_base(docs_url)))


def _check_markdown(check) -> str:
    """A suppression check (CJM09x) documented like a rule; it belongs to no group."""
    return f"# {check.code} `{check.name}`\n\nSeverity `{check.severity.value}`\n\n{check.summary}\n\n{check.doc}\n"


def _did_you_mean(key: str, catalog: dict, groups: dict) -> str:
    import difflib

    by_code = difflib.get_close_matches(key.upper(), list(catalog), n=1, cutoff=0.7)
    by_name = difflib.get_close_matches(key.lower(), [r.name for r in catalog.values()] + list(groups), n=1, cutoff=0.6)
    close = by_code or by_name
    return f" (did you mean '{close[0]}'?)" if close else ""


def _console():
    from rich.console import Console

    from cjm.commands.common import use_color

    color = use_color()
    # Off a terminal rich assumes 80 columns, which folds the rule names; pipes get room instead.
    width = None if sys.stdout.isatty() else 132
    return Console(force_terminal=color, no_color=not color, highlight=False, emoji=False, width=width)


def _table(chosen: list, title: str | None = None) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, header_style="bold")
    for column in ("code", "name", "group", "severity", "summary"):
        table.add_column(column, overflow="fold", no_wrap=column != "summary")
    for rule in chosen:
        severity = rule.severity.value
        table.add_row(Text(rule.code), Text(rule.name), Text(rule.group or "suppression"),
                      Text(severity, style=SEVERITY_STYLE[severity]),
                      Text(rule.summary + ("" if rule.default_enabled else " (off by default)")))
    _console().print(table)


def _print_markdown(text: str) -> None:
    from rich.markdown import Markdown

    _console().print(Markdown(text))
