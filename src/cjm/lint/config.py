"""Lint configuration: ``[tool.cjm.lint]`` in pyproject.toml or ``[lint]`` in cjm.toml.

The file nearest to each map wins (no merging): walking up from the map's
folder, a ``cjm.toml`` is used whenever it exists, a ``pyproject.toml`` only when
it has a ``[tool.cjm]`` table; the walk stops at the folder holding ``.git``.
Every key, code, option and value is checked; a mistake is a ``ConfigError``
that names file:line:col, never something silently ignored.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from cjm.format.diagnostics import Position, Severity
from cjm.lint.select import CodeInfo, Selection, SelectorError, code_for, matches, suggestion
from cjm.lint.toml_positions import KeyPath, positions

KEYS = ("select", "extend-select", "ignore", "severity", "options", "per-file-ignores", "fail-on")
CONFIG_NAMES = ("cjm.toml", "pyproject.toml")
SEVERITIES = tuple(s.value for s in Severity)


@dataclass(frozen=True)
class ConfigProblem:
    file: str
    line: int | None
    col: int | None
    message: str

    def __str__(self) -> str:
        if self.line is None:
            return f"{self.file}: {self.message}"
        return f"{self.file}:{self.line}:{self.col}: {self.message}"


class ConfigError(Exception):
    """One or more mistakes in configuration; each names where it is."""

    def __init__(self, problems: list[ConfigProblem]):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class LintConfig:
    """One configuration file's lint settings (or the built-in defaults when ``file`` is None)."""

    file: Path | None = None
    folder: Path = field(default_factory=Path.cwd)
    selection: Selection = Selection()
    severity: Mapping[str, Severity] = field(default_factory=dict)
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    fail_on: Severity | None = None

    def ignored_for(self, map_path: Path) -> tuple[str, ...]:
        """Selectors that ``per-file-ignores`` turns off for this map."""
        if not self.per_file_ignores:
            return ()
        relative = Path(os.path.relpath(os.path.abspath(map_path), self.folder)).as_posix()
        out: list[str] = []
        for pattern, selectors in self.per_file_ignores:
            if glob_matches(pattern, relative):
                out.extend(selectors)
        return tuple(out)


def glob_matches(pattern: str, relative: str) -> bool:
    """A pattern without ``/`` matches the file name; with one, the path from the config's folder.

    ``*`` and ``?`` stay inside one folder, ``**`` crosses folders.
    """
    pattern = pattern.removeprefix("./")
    subject = relative if "/" in pattern else relative.rsplit("/", 1)[-1]
    return _glob_regex(pattern).fullmatch(subject) is not None


def _glob_regex(pattern: str) -> re.Pattern[str]:
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        elif pattern[i] == "[" and "]" in pattern[i + 2:]:
            end = pattern.index("]", i + 2)
            body = pattern[i + 1:end]
            out += "[" + ("^" + body[1:] if body.startswith("!") else body).replace("\\", "\\\\") + "]"
            i = end + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


# -- reading one file -------------------------------------------------------------------------


class _Reader:
    """Checks one ``[lint]`` table, collecting problems with their positions."""

    def __init__(self, file: Path, text: str, prefix: KeyPath, codes: Mapping[str, CodeInfo]):
        self.file = file
        self.display = _display(file)
        self.prefix = prefix
        self.codes = codes
        self.keys, self.values = positions(text)
        self.problems: list[ConfigProblem] = []

    def where(self, path: KeyPath, *, value: bool = False) -> Position:
        full = self.prefix + path
        for end in range(len(full), 0, -1):
            part = full[:end]
            if value and part in self.values:
                return self.values[part]
            if part in self.keys:
                return self.keys[part]
        return Position(1, 1)

    def problem(self, path: KeyPath, message: str, *, value: bool = False) -> None:
        pos = self.where(path, value=value)
        self.problems.append(ConfigProblem(self.display, pos.line, pos.col, message))

    def table_name(self, *more: str | int) -> str:
        return "[" + ".".join(str(p) for p in (*self.prefix, *more)) + "]"

    def selectors(self, key: KeyPath, raw: Any) -> tuple[str, ...]:
        if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
            self.problem(key, f"'{key[-1]}' must be a list of rule codes, prefixes, names or groups, such as [\"CJM2\", \"owner-missing\"]", value=True)
            return ()
        for index, item in enumerate(raw):
            try:
                matches(item, self.codes)
            except SelectorError as exc:
                self.problem((*key, index), f"{exc} (in '{key[-1]}')", value=True)
        return tuple(raw)

    def severity(self, raw: Any) -> dict[str, Severity]:
        if not isinstance(raw, dict):
            self.problem(("severity",), "'severity' must be a table of code = \"error\" | \"warning\" | \"info\"", value=True)
            return {}
        out: dict[str, Severity] = {}
        for selector, level in raw.items():
            try:
                matches(selector, self.codes)
            except SelectorError as exc:
                self.problem(("severity", selector), f"{exc} (in 'severity')")
                continue
            if level not in SEVERITIES:
                self.problem(("severity", selector), f"severity of '{selector}' must be one of error, warning, info; got {level!r}", value=True)
                continue
            out[selector] = Severity(level)
        return out

    def options(self, raw: Any) -> dict[str, dict[str, Any]]:
        if not isinstance(raw, dict):
            self.problem(("options",), "'options' must be a table of tables: [tool.cjm.lint.options.CJM202]", value=True)
            return {}
        from cjm.lint.registry import all_rules

        rules = all_rules()
        out: dict[str, dict[str, Any]] = {}
        for key, given in raw.items():
            code = code_for(key, self.codes)
            if code is None:
                self.problem(("options", key), f"options for unknown rule '{key}'{suggestion(key, self.codes, groups=False)}")
                continue
            if code not in rules:
                self.problem(("options", key), f"{code} ({self.codes[code].name}) has no options")
                continue
            if not isinstance(given, dict):
                self.problem(("options", key), f"options of {code} must be a table of option = value", value=True)
                continue
            rule = rules[code]
            checked: dict[str, Any] = {}
            for name, value in given.items():
                option = name if name in rule.options else name.replace("-", "_")
                if option not in rule.options:
                    known = ", ".join(sorted(rule.options)) or "none"
                    self.problem(("options", key, name), f"unknown option '{name}' for {code} ({rule.name}); its options: {known}")
                    continue
                try:
                    rule(**{option: value})
                except (TypeError, ValueError) as exc:
                    self.problem(("options", key, name), str(exc), value=True)
                    continue
                checked[option] = value
            out[code] = {**out.get(code, {}), **checked}
        return out

    def per_file_ignores(self, raw: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
        if not isinstance(raw, dict):
            self.problem(("per-file-ignores",), "'per-file-ignores' must be a table of \"glob\" = [codes]", value=True)
            return ()
        return tuple((pattern, self.selectors(("per-file-ignores", pattern), selectors)) for pattern, selectors in raw.items())

    def fail_on(self, raw: Any) -> Severity | None:
        if raw not in SEVERITIES:
            self.problem(("fail-on",), f"'fail-on' must be one of error, warning, info; got {raw!r}", value=True)
            return None
        return Severity(raw)

    def read(self, table: Any) -> LintConfig:
        if not isinstance(table, dict):
            self.problem((), f"{self.table_name()} must be a table")
            table = {}
        for key in table:
            if key not in KEYS:
                close = [k for k in KEYS if k.replace("-", "_") == key.replace("-", "_")] or _close(key, KEYS)
                hint = f"; did you mean '{close[0]}'?" if close else f"; known keys: {', '.join(KEYS)}"
                self.problem((key,), f"unknown key '{key}' in {self.table_name()}{hint}")
        selection = Selection(
            select=self.selectors(("select",), table["select"]) if "select" in table else None,
            extend_select=self.selectors(("extend-select",), table["extend-select"]) if "extend-select" in table else (),
            ignore=self.selectors(("ignore",), table["ignore"]) if "ignore" in table else (),
        )
        config = LintConfig(
            file=self.file,
            folder=Path(os.path.abspath(self.file)).parent,
            selection=selection,
            severity=self.severity(table["severity"]) if "severity" in table else {},
            options=self.options(table["options"]) if "options" in table else {},
            per_file_ignores=self.per_file_ignores(table["per-file-ignores"]) if "per-file-ignores" in table else (),
            fail_on=self.fail_on(table["fail-on"]) if "fail-on" in table else None,
        )
        if self.problems:
            raise ConfigError(self.problems)
        return config


def _close(word: str, words: tuple[str, ...]) -> list[str]:
    import difflib

    return difflib.get_close_matches(word, words, n=1, cutoff=0.6)


def _display(path: Path) -> str:
    from cjm.project import display_name

    return display_name(path)


def _parse_toml(path: Path) -> tuple[str, dict]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ConfigError([ConfigProblem(_display(path), None, None, f"cannot read configuration: {reason}")]) from None
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        if found:
            line, col = int(found.group(1)), int(found.group(2))
        elif "(at end of document)" in str(exc):
            line, col = text.count("\n") + 1, 1
        else:
            line, col = 1, 1
        message = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", str(exc)) or "invalid TOML"
        raise ConfigError([ConfigProblem(_display(path), line, col, f"invalid TOML: {message}")]) from None


def _lint_table(path: Path, data: dict) -> tuple[KeyPath, Any] | None:
    """(where the lint table sits, the table) for a config file; None when it holds no cjm settings."""
    if path.name == "pyproject.toml":
        tool = data.get("tool")
        cjm = tool.get("cjm") if isinstance(tool, dict) else None
        if cjm is None:
            return None
        return ("tool", "cjm", "lint"), cjm.get("lint", {}) if isinstance(cjm, dict) else cjm
    return ("lint",), data.get("lint", {})


def load_config(path: Path, codes: Mapping[str, CodeInfo]) -> LintConfig | None:
    """The lint settings in one file; None for a pyproject.toml without ``[tool.cjm]``."""
    text, data = _parse_toml(path)
    found = _lint_table(path, data)
    if found is None:
        return None
    prefix, table = found
    return _Reader(path, text, prefix, codes).read(table)


def load_explicit(path: Path, codes: Mapping[str, CodeInfo]) -> LintConfig:
    """``--config FILE``: a pyproject.toml is read at [tool.cjm.lint], any other file at [lint]."""
    if not path.is_file():
        raise ConfigError([ConfigProblem(_display(path), None, None, "configuration file not found")])
    return load_config(path, codes) or LintConfig(file=path, folder=Path(os.path.abspath(path)).parent)


class ConfigFinder:
    """The configuration for each map: ``--config`` when given, else the nearest file upward."""

    def __init__(self, codes: Mapping[str, CodeInfo], explicit: Path | None = None):
        self.codes = codes
        self.explicit = load_explicit(explicit, codes) if explicit is not None else None
        self.default = LintConfig()
        self._by_folder: dict[Path, LintConfig] = {}

    def for_map(self, map_path: Path) -> LintConfig:
        if self.explicit is not None:
            return self.explicit
        # The folders the map appears in, as named (a symlinked map uses the configuration beside the link).
        start = Path(os.path.abspath(map_path)).parent
        visited: list[Path] = []
        found = self.default
        for folder in (start, *start.parents):
            if folder in self._by_folder:
                found = self._by_folder[folder]
                break
            visited.append(folder)
            config = self._in_folder(folder)
            if config is not None:
                found = config
                break
            if (folder / ".git").exists():
                break
        for folder in visited:
            self._by_folder[folder] = found
        return found

    def _in_folder(self, folder: Path) -> LintConfig | None:
        for name in CONFIG_NAMES:
            candidate = folder / name
            if candidate.is_file():
                config = load_config(candidate, self.codes)
                if config is not None:
                    return config
        return None
