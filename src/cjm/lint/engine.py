"""The lint run: configuration -> rules -> findings -> suppressions -> one report.

For each map: the nearest configuration (or ``--config``) and the command-line
selectors decide which codes run, at which severity, with which options. The
map's validation problems (CJM0xx) come first and are always errors; a valid map
is then linted, its suppression comments applied, and unused or unreadable
suppressions reported (CJM090, CJM091). The evidence rules (CJM6xx) run only on a map
given its observed journey (``--observed``: the file whose ``map`` is the map's id).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Mapping

from cjm.format.diagnostics import Diagnostic, Severity, diagnostic_at
from cjm.journey import Journey
from cjm.lint.config import ConfigError, ConfigFinder, ConfigProblem, LintConfig
from cjm.lint.registry import Rule, all_rules, today
from cjm.lint.select import (
    INVALID_SUPPRESSION, UNUSED_SUPPRESSION, VALIDATION_CODES, CodeInfo, Selection, SelectorError, catalog, matches, resolve,
    severities,
)
from cjm.lint.suppress import apply_suppressions, read_suppressions, unused_suppressions
from cjm.format.load import Limits
from cjm.report import Report, RuleInfo
from cjm.format.validate import LoadedMap, read_map

if TYPE_CHECKING:
    from cjm.evidence.observed import Observed


def run_rules(loaded: LoadedMap, rules: Iterable[Rule], severities: dict[str, Severity] | None = None,
              observed: Observed | None = None) -> list[Diagnostic]:
    """Every finding of ``rules`` on a valid map, at its file:line:col; the evidence rules only with ``observed``."""
    if loaded.journey is None:
        return []
    journey = Journey(loaded.journey, loaded.personas, observed)
    severities = severities or {}
    out: list[Diagnostic] = []
    for rule in rules:
        if rule.uses_observed and observed is None:
            continue
        severity = severities.get(rule.code, rule.severity)
        for finding in rule.check(journey):
            out.append(diagnostic_at(
                loaded.source, loaded.file, finding.path, code=rule.code, name=rule.name,
                message=finding.message, severity=severity, hint=finding.hint or rule.hint,
                at_key=finding.at_key,
            ))
    return out


@dataclass(frozen=True)
class Overrides:
    """What the command line says; each field, when given, beats the configuration file."""

    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    fail_on: Severity | None = None

    @property
    def selection(self) -> Selection:
        return Selection(self.select, self.extend_select, self.ignore)


@dataclass(frozen=True)
class Settings:
    """Everything a lint of one map needs to know, resolved."""

    enabled: frozenset[str]
    severities: Mapping[str, Severity]
    rules: tuple[Rule, ...]
    fail_on: Severity


@dataclass
class LintRun:
    report: Report
    failed: bool
    with_evidence: frozenset[str] = frozenset()  # ids of the maps linted with an observed file


class Linter:
    """Lints maps under one set of command-line overrides; configurations are read once each."""

    def __init__(self, overrides: Overrides = Overrides(), config: Path | None = None):
        self.codes: dict[str, CodeInfo] = catalog()
        self.overrides = overrides
        self._check_overrides()
        self.finder = ConfigFinder(self.codes, config)
        self._settings: dict[tuple[int, tuple[str, ...]], Settings] = {}
        self._rules: dict[tuple[int, str], Rule] = {}
        self.evidence_codes = frozenset(code for code, rule in all_rules().items() if rule.uses_observed)

    def _check_overrides(self) -> None:
        problems = []
        try:
            today()  # rules compare dates with it: a bad CJM_TODAY is a usage error, not a crash mid-run
        except ValueError as exc:
            problems.append(ConfigProblem("environment", None, None, str(exc)))
        for flag, selectors in (("--select", self.overrides.select or ()), ("--extend-select", self.overrides.extend_select),
                                ("--ignore", self.overrides.ignore)):
            for selector in selectors:
                try:
                    matches(selector, self.codes)
                except SelectorError as exc:
                    problems.append(ConfigProblem(flag, None, None, str(exc)))
        if problems:
            raise ConfigError(problems)

    def settings_for(self, map_path: Path) -> Settings:
        config = self.finder.for_map(map_path)
        ignored = config.ignored_for(map_path)
        key = (id(config), ignored)
        if key not in self._settings:
            self._settings[key] = self._resolve(config, ignored)
        return self._settings[key]

    def _resolve(self, config: LintConfig, ignored: tuple[str, ...]) -> Settings:
        layers = [config.selection, self.overrides.selection, Selection(ignore=ignored)]
        enabled = resolve(layers, self.codes)
        rules = all_rules()
        instances = []
        for code in sorted(enabled):
            if code in rules:
                cache_key = (id(config), code)
                if cache_key not in self._rules:
                    self._rules[cache_key] = rules[code](**config.options.get(code, {}))
                instances.append(self._rules[cache_key])
        return Settings(
            enabled=enabled,
            severities=severities(config.severity, self.codes),
            rules=tuple(instances),
            fail_on=self.overrides.fail_on or config.fail_on or Severity.error,
        )

    def lint_map(self, loaded: LoadedMap, settings: Settings, observed: Observed | None = None) -> list[Diagnostic]:
        """Validation problems of the map, or, for a valid map, its unsuppressed findings."""
        if not loaded.valid:
            return list(loaded.diagnostics)
        findings = run_rules(loaded, settings.rules, dict(settings.severities), observed)
        suppressions = read_suppressions(loaded.source, loaded.file, self.codes)
        out = [*loaded.diagnostics, *apply_suppressions(findings, suppressions)]
        if INVALID_SUPPRESSION in settings.enabled:
            level = settings.severities[INVALID_SUPPRESSION]
            out.extend(p.with_severity(level) for p in suppressions.problems)
        if UNUSED_SUPPRESSION in settings.enabled:
            # Without evidence the evidence rules did not run: their suppressions are not unused.
            ran = settings.enabled if observed is not None else settings.enabled - self.evidence_codes
            out.extend(unused_suppressions(suppressions, ran, loaded.file, loaded.source,
                                           self.codes, settings.severities[UNUSED_SUPPRESSION]))
        return out

    def rule_infos(self) -> dict[str, RuleInfo]:
        infos = {code: RuleInfo(code, name, summary, help=summary) for code, (name, summary) in VALIDATION_CODES.items()}
        for code, info in self.codes.items():
            infos[code] = RuleInfo(code, info.name, info.summary, help=info.doc or info.summary, default_severity=info.severity)
        return infos


def reaches(diagnostics: Iterable[Diagnostic], fail_on: Severity) -> bool:
    failing = tuple(level for level in Severity if level.rank >= fail_on.rank)  # `in` a tuple: identity first
    return any(d.severity in failing for d in diagnostics)


def _lint_file(planned: tuple[Path, Settings], linter: Linter, limits: Limits,
               observed: Mapping[str, Observed]) -> tuple[str, bool, list[Diagnostic], str | None]:
    """(file, valid, diagnostics, the map's id when it was linted with its observed file)."""
    path, settings = planned
    loaded = read_map(path, limits)
    evidence = observed.get(loaded.journey.id) if loaded.journey is not None else None
    return (loaded.file, loaded.valid, linter.lint_map(loaded, settings, evidence),
            loaded.journey.id if evidence is not None else None)


def lint_paths(paths: list[Path], *, overrides: Overrides = Overrides(), config: Path | None = None,
               limits: Limits = Limits(), show_progress: bool = False, jobs: int = 0,
               observed: Mapping[str, Observed] | None = None) -> LintRun:
    """Lint map files into one report; ``failed`` when a map has a finding at its fail-on level.

    ``observed`` holds observed journeys by map id: a map whose id has one is linted with the
    evidence rules too; ``with_evidence`` says which ids were.

    Every configuration is read before any map, so a mistake there (ConfigError)
    stops the run before anything is reported. Many maps are linted in ``jobs`` worker
    processes (0: one per CPU; see ``cjm.workers``). ``show_progress`` allows a progress
    bar (``cjm.progress`` decides whether one shows: many maps, on a terminal, not in CI).
    """
    from functools import partial

    from cjm.progress import progress
    from cjm.workers import map_in_workers

    linter = Linter(overrides, config)
    plan = [(path, linter.settings_for(path)) for path in paths]
    results = map_in_workers(partial(_lint_file, linter=linter, limits=limits, observed=observed or {}), plan, jobs)
    files: list[str] = []
    invalid: list[str] = []
    diagnostics: list[Diagnostic] = []
    failed = False
    with_evidence: set[str] = set()
    with progress(plan, "Linting", describe=lambda item: item[0].name, enabled=None if show_progress else False) as todo:
        for (_, settings), (file, valid, found, evidence_for) in zip(todo, results):
            files.append(file)
            if evidence_for is not None:
                with_evidence.add(evidence_for)
            if not valid:
                invalid.append(file)
            diagnostics.extend(found)
            failed = failed or reaches(found, settings.fail_on)
    report = Report(command="lint", files=files, diagnostics=diagnostics, invalid_files=invalid, rules=linter.rule_infos())
    return LintRun(report, failed, frozenset(with_evidence))


def lint_findings(loaded: LoadedMap, config: Path | None = None) -> list[Diagnostic]:
    """What ``cjm lint`` reports for one loaded map, under its nearest configuration (or ``config``).

    Raises ConfigError for a mistake in the configuration.
    """
    linter = Linter(config=config)
    return linter.lint_map(loaded, linter.settings_for(loaded.path))
