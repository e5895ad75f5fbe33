"""What an editor can configure, under the section ``cjm`` (initializationOptions, the
``workspace/configuration`` answer or ``workspace/didChangeConfiguration``)."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

RUN_CHOICES = ("onType", "onSave", "both")


@dataclass(frozen=True)
class Settings:
    run: str = "both"  # when maps are checked: as you type (debounced), on save, or both
    lint: bool = True  # lint findings besides the validation problems
    debounce_ms: int = 200  # quiet time after the last keystroke before a check starts
    config: str | None = None  # a lint configuration for every map (like --config); else the nearest one
    observed: str | None = None  # an observed journey (cjm evidence compute): evidence findings for its map
    docs_url: str | None = None  # where the rule pages are published (like --docs-url)

    @property
    def on_type(self) -> bool:
        return self.run in ("onType", "both")

    @property
    def on_save(self) -> bool:
        return self.run in ("onSave", "both")

    def config_path(self, root: Path | None) -> Path | None:
        return _path(self.config, root)

    def observed_path(self, root: Path | None) -> Path | None:
        return _path(self.observed, root)


ALIASES = {"debounce": "debounce_ms", "debounceMs": "debounce_ms", "docsUrl": "docs_url"}


def _path(value: str | None, root: Path | None) -> Path | None:
    if not value:
        return None
    path = Path(value).expanduser()
    return path if path.is_absolute() or root is None else root / path


def read_settings(raw: Any, base: Settings | None = None) -> tuple[Settings, list[str]]:
    """Settings from what the client sent (``{"cjm": {...}}`` or the section itself), and the
    problems with it (unknown keys, wrong types): a bad value keeps the one before."""
    settings = base or Settings()
    problems: list[str] = []
    if isinstance(raw, dict) and isinstance(raw.get("cjm"), dict):
        raw = raw["cjm"]
    if not isinstance(raw, dict):
        return settings, problems if raw is None else ["cjm settings must be an object"]
    known = {f.name: f for f in fields(Settings)}
    changes: dict[str, Any] = {}
    for key, value in raw.items():
        name = ALIASES.get(key, key)
        if name not in known:
            problems.append(f"unknown setting cjm.{key}")
            continue
        if name == "run" and value not in RUN_CHOICES:
            problems.append(f"cjm.run must be one of {', '.join(RUN_CHOICES)}")
        elif name == "lint" and not isinstance(value, bool):
            problems.append("cjm.lint must be true or false")
        elif name == "debounce_ms" and (isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 10_000):
            problems.append("cjm.debounceMs must be a number of milliseconds from 0 to 10000")
        elif name in ("config", "observed", "docs_url") and value is not None and not isinstance(value, str):
            problems.append(f"cjm.{key} must be text")
        else:
            changes[name] = int(value) if name == "debounce_ms" else (value or None) if name != "run" and name != "lint" else value
    return replace(settings, **changes), problems
