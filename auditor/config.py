"""Project configuration: find, parse and validate ``.auditor.yaml`` or ``[tool.auditor]``, the same way in every mode.

The config lives at the root of the scanned PATH (so the CLI, the pre-commit hook and CI all
read the same file). Errors are one line naming the file, the line where known, the key and
the closest valid name; they exit with code 2.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from auditor.errors import ConfigError, did_you_mean
from auditor.locations import Marks, where
from auditor.rules.schema import ChecklistSpec
from auditor.safewrite import inside
from auditor.validation import validation_error
from auditor.yamlmarks import load_yaml_with_marks, read_config_text

YAML_NAMES = (".auditor.yaml", ".auditor.yml")
PYPROJECT = "pyproject.toml"
Severity = Literal["low", "medium", "high", "critical"]
SEVERITIES: tuple[str, ...] = ("low", "medium", "high", "critical")
FAIL_ON_STATUSES = ("missing", "partial")


class WaiverConfig(BaseModel):
    """An accepted exception: the item stays reported with its real verdict, the gate skips it."""

    model_config = ConfigDict(extra="forbid")

    item: str
    reason: str = Field(min_length=1)
    expires: date = Field(description="last day the waiver holds (YYYY-MM-DD)")
    owner: str | None = None

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a waiver needs a reason")
        return value.strip()


class AuditorConfig(BaseModel):
    """Every setting the auditor reads from a project's config."""

    model_config = ConfigDict(extra="forbid")

    checklist: str | None = Field(default=None, description="checklist YAML instead of the bundled one")
    rules: list[str] = Field(default_factory=list, description="extra rule files or folders")
    include: list[str] = Field(default_factory=list, description="globs: scan only these paths")
    exclude: list[str] = Field(default_factory=list, description="globs: leave these paths out")
    select: list[str] = Field(default_factory=list, description="item or section ids to evaluate")
    ignore: list[str] = Field(default_factory=list, description="item or section ids to leave out")
    severity: dict[str, Severity] = Field(default_factory=dict, description="item id -> severity override")
    fail_under: float | None = Field(default=None, ge=0.0, le=1.0)
    fail_under_sections: dict[str, float] = Field(default_factory=dict)
    require: list[str] = Field(default_factory=list, description="items that must be implemented")
    require_level: str | None = Field(default=None, description="a level of the checklist the service must reach")
    fail_on: list[str] = Field(default_factory=list, description="missing|partial[:severity]")
    soft_fail: bool = False
    baseline: str | None = Field(default=None, description="baseline file, relative to the root")
    waivers: list[WaiverConfig] = Field(default_factory=list)

    @field_validator("rules", "include", "exclude", "select", "ignore", "require", "fail_on", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @field_validator("fail_under_sections")
    @classmethod
    def _thresholds(cls, value: dict[str, float]) -> dict[str, float]:
        for key, threshold in value.items():
            if not 0.0 <= threshold <= 1.0:
                raise ValueError(f"{key}: threshold {threshold} is not between 0 and 1")
        return value

    @field_validator("fail_on")
    @classmethod
    def _fail_on(cls, value: list[str]) -> list[str]:
        for entry in value:
            parse_fail_on(entry)
        return value


def parse_fail_on(entry: str) -> tuple[str, str]:
    """``missing`` / ``partial:high`` -> (status, minimum severity); ValueError names the closest form."""
    status, _, severity = entry.strip().partition(":")
    severity = severity or "low"
    if status not in FAIL_ON_STATUSES:
        raise ValueError(f"fail-on {entry!r}: status must be missing or partial"
                         f"{did_you_mean(status, FAIL_ON_STATUSES)}")
    if severity not in SEVERITIES:
        raise ValueError(f"fail-on {entry!r}: severity must be one of {', '.join(SEVERITIES)}"
                         f"{did_you_mean(severity, SEVERITIES)}")
    return status, severity


@dataclass
class LoadedConfig:
    """A validated config and where it came from (``source`` is None when there is none)."""

    config: AuditorConfig = field(default_factory=AuditorConfig)
    source: str | None = None
    root: Path = Path(".")
    marks: Marks = field(default_factory=dict)
    toml_text: str | None = None
    from_repo: bool = False
    """Found in the scanned tree (so written by whoever wrote the tree), not named by the user."""

    def where(self, *key: Any) -> str:
        """``file:line`` of a key (``file`` alone when the line is unknown)."""
        name = self.source or "<config>"
        if self.toml_text is not None:
            line = _toml_line(self.toml_text, key)
            return f"{name}:{line}" if line else name
        loc = where(name, self.marks, tuple(key))
        return loc.rsplit(":", 1)[0] if loc.count(":") >= 2 else loc

    def resolve(self, value: str) -> Path:
        """A path from the config, relative to the root it was found in."""
        path = Path(value)
        return path if path.is_absolute() else self.root / path

    def resolve_inside(self, value: str, *key: Any) -> Path:
        """A path from the config that must stay inside the root it was found in (the config is
        the scanned repository's: it may not make the auditor read or write elsewhere)."""
        path = self.resolve(value)
        if "\x00" in value or not inside(self.root, path):
            raise ConfigError(f"{self.where(*key)}: {'.'.join(str(k) for k in key)}: "
                              f"{value!r} is outside the scanned folder")
        return path

    def input_files(self, key: str, values: list[str], folders: bool = False) -> list[Path]:
        """The files a setting names (a folder's ``*.yaml`` and ``*.yml`` when ``folders``).

        A config found in the scanned tree may name only regular files inside the tree's root:
        anything else (an absolute or ``..`` path, a symlink out, a device or FIFO) is a
        ConfigError that names the setting, never the file's contents. A config the user
        named with ``--config`` is the user's choice, as a command-line path is.
        """
        out: list[Path] = []
        top = self.root.resolve()
        for index, value in enumerate(values):
            at = self.where(key, index) if folders else self.where(key)
            path = self.resolve(value)
            try:
                real = path.resolve(strict=True)
            except (OSError, RuntimeError):
                raise ConfigError(f"{at}: {key}: {value!r}: no such file"
                                  + (" or folder" if folders else "")) from None
            if self.from_repo and not real.is_relative_to(top):
                raise ConfigError(f"{at}: {key}: {value!r} is outside the scanned root")
            if folders and real.is_dir():
                found = sorted(real.glob("*.yaml")) + sorted(real.glob("*.yml"))
                for child in found:
                    if self.from_repo and not child.resolve().is_relative_to(top):
                        raise ConfigError(f"{at}: {key}: {value!r} holds {child.name!r}, outside the scanned root")
                out += found
            elif real.is_file():
                out.append(path)
            else:
                raise ConfigError(f"{at}: {key}: {value!r} is not a regular file")
        return out


def _toml_line(text: str, key: tuple[Any, ...]) -> int | None:
    """The line of a key inside ``[tool.auditor]`` (or its sub-tables), by a light scan."""
    in_table = False
    first_key = str(key[0]) if key else ""
    spellings = {first_key, first_key.replace("_", "-")}
    key_re = re.compile(r"^[\"']?([\w-]+)[\"']?\s*=")
    table_line = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        header = re.match(r"^\[\[?\s*([^\]]+?)\s*\]\]?$", line)
        if header:
            name = header.group(1).replace('"', "").replace(" ", "")
            in_table = name == "tool.auditor" or name.startswith("tool.auditor.")
            if name == "tool.auditor":
                table_line = number
            if in_table and name.removeprefix("tool.auditor.") in spellings:
                return number
            continue
        found = key_re.match(line)
        if in_table and found and found.group(1) in spellings:
            return number
    return table_line


def _normalise_keys(data: Any) -> Any:
    """TOML style ``fail-under`` and Python style ``fail_under`` are the same key (top level)."""
    if not isinstance(data, dict):
        return data
    return {(k.replace("-", "_") if isinstance(k, str) else k): v for k, v in data.items()}


def find_config(root: Path) -> Path | None:
    """The config file at the root of the scanned tree: ``.auditor.yaml`` or a pyproject with ``[tool.auditor]``."""
    found: list[Path] = [root / n for n in YAML_NAMES if _inside(root, root / n)]
    pyproject = root / PYPROJECT
    if _inside(root, pyproject):
        try:
            text = read_config_text(pyproject, str(pyproject))
        except ConfigError:
            return _single(root, found)  # the scan reports an unreadable or oversized file as a warning
        try:
            data = _loads_toml(text, str(pyproject))
        except ConfigError:
            # A broken pyproject that does not mention the auditor is the project's problem,
            # not a config error: the scan reports it as a warning. One that does is ours.
            if "tool.auditor" in text:
                raise
            return _single(root, found)
        if isinstance(data.get("tool"), dict) and "auditor" in data["tool"]:
            found.append(pyproject)
    return _single(root, found)


def _loads_toml(text: str, name: str) -> dict[str, Any]:
    """Parsed TOML; ConfigError for invalid or too deeply nested text."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{name}: invalid TOML: {exc}") from None
    except ValueError:  # an integer with more digits than Python converts
        raise ConfigError(f"{name}: invalid TOML: a number too long to read") from None
    except RecursionError:
        raise ConfigError(f"{name}: invalid TOML: nested too deeply") from None


def _inside(root: Path, path: Path) -> bool:
    """A regular file inside the root (a config symlinked from elsewhere is not the repo's)."""
    try:
        return path.is_file() and path.resolve().is_relative_to(root.resolve())
    except OSError:
        return False


def _single(root: Path, found: list[Path]) -> Path | None:
    if len(found) > 1:
        names = " and ".join(p.name for p in found)
        raise ConfigError(f"{root}: both {names} configure the auditor; keep one")
    return found[0] if found else None


def load_config(root: Path, explicit: Path | None = None) -> LoadedConfig:
    """Find and validate the config for a scan of ``root`` (or read ``explicit``)."""
    path = explicit if explicit is not None else find_config(root)
    if path is None:
        return LoadedConfig(root=root)
    if explicit is not None and not explicit.is_file():
        raise ConfigError(f"{explicit}: config file not found")
    name = _display(path, root)
    loaded = LoadedConfig(source=name, root=root if explicit is None else path.parent, from_repo=explicit is None)
    if path.suffix == ".toml":
        text = read_config_text(path, name)
        data = _loads_toml(text, name)
        loaded.toml_text = text
        tool = data.get("tool")
        raw = tool.get("auditor", {}) if isinstance(tool, dict) else {}
        if not isinstance(raw, dict):
            raise ConfigError(f"{name}: [tool.auditor] must be a table")
    else:
        raw, loaded.marks = load_yaml_with_marks(path, name)
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise ConfigError(f"{name}: the config must be a mapping of settings")
        loaded.marks = {(_norm(k[0]), *k[1:]) if k and isinstance(k[0], str) else k: v
                        for k, v in loaded.marks.items()}
    try:
        loaded.config = AuditorConfig.model_validate(_normalise_keys(raw))
    except ValidationError as exc:
        raise validation_error(exc, AuditorConfig, name, locate=lambda key: loaded.where(*key)) from None
    return loaded


def _norm(key: str) -> str:
    return key.replace("-", "_")


def _display(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class ChecklistIds:
    """The ids a config may name: items, sections, and which section holds each item."""

    items: list[str]
    sections: list[str]
    section_of: dict[str, str]
    levels: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, spec: ChecklistSpec) -> ChecklistIds:
        """The ids of a checklist (read without its rules)."""
        section_of = {i.id: s.id for s in spec.sections for i in s.items}
        return cls(items=list(section_of), sections=[s.id for s in spec.sections], section_of=section_of,
                   levels=[lv.id for lv in spec.levels])


def check_ids(loaded: LoadedConfig, ids: ChecklistIds) -> None:
    """Every item or section id the config names exists; else a ConfigError with the closest id.

    A waiver naming an unknown item is a config error too; an expired one fails the gate.
    """
    if not ids.items:
        return
    cfg = loaded.config
    both = ids.items + ids.sections
    checks: list[tuple[str, list[str], list[str]]] = [
        ("select", cfg.select, both),
        ("ignore", cfg.ignore, both),
        ("require", cfg.require, ids.items),
        ("severity", list(cfg.severity), ids.items),
        ("fail_under_sections", list(cfg.fail_under_sections), ids.sections),
    ]
    for key, values, valid in checks:
        for i, value in enumerate(values):
            if value not in valid:
                kind = "item or section" if valid is both else "section" if valid is ids.sections else "item"
                at = loaded.where(key, value) if key in ("severity", "fail_under_sections") else loaded.where(key, i)
                raise ConfigError(f"{at}: {key}: unknown {kind} id {value!r}{did_you_mean(value, valid)}")
    if cfg.require_level is not None and cfg.require_level not in ids.levels:
        known = f"levels: {', '.join(ids.levels)}" if ids.levels else "the checklist defines no levels"
        raise ConfigError(f"{loaded.where('require_level')}: require_level: unknown level {cfg.require_level!r}"
                          f"{did_you_mean(cfg.require_level, ids.levels)} ({known})")
    for i, waiver in enumerate(cfg.waivers):
        if waiver.item not in ids.items:
            raise ConfigError(f"{loaded.where('waivers', i, 'item')}: waivers: unknown item id {waiver.item!r}"
                              f"{did_you_mean(waiver.item, ids.items)}")


def selected_items(ids: ChecklistIds, select: list[str], ignore: list[str]) -> list[str] | None:
    """Item ids left after select (items or sections) minus ignore; None means all of them."""
    if not select and not ignore:
        return None

    def expand(names: list[str]) -> set[str]:
        out: set[str] = set()
        for name in names:
            out |= {i for i, s in ids.section_of.items() if s == name} if name in ids.sections else {name}
        return out

    chosen = expand(select) if select else set(ids.items)
    chosen -= expand(ignore)
    return [i for i in ids.items if i in chosen]
