"""Read and validate a fleet file (``fleet.yaml``): services, their sources, owners, tags and settings.

Errors are one line naming the file, line and key, like every config of the auditor. Paths in
the file are relative to the file's folder.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from auditor.errors import ConfigError
from auditor.locations import where
from auditor.validation import validation_error
from auditor.yamlmarks import load_yaml_with_marks

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
DEFAULT_TIMEOUT = 600.0


def _listify(value: Any) -> Any:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return value


class GateSettings(BaseModel):
    """The gate flags of ``auditor scan``, as fleet settings."""

    model_config = ConfigDict(extra="forbid")

    fail_under: list[str] = Field(default_factory=list, description="SCORE or SECTION=SCORE")
    require: list[str] = Field(default_factory=list, description="item ids that must be implemented")
    fail_on: list[str] = Field(default_factory=list, description="missing|partial[:severity]")
    require_level: str | None = Field(default=None, description="a level of the checklist")

    @field_validator("fail_under", mode="before")
    @classmethod
    def _fail_under(cls, value: Any) -> Any:
        if isinstance(value, (int, float)):
            return [str(value)]
        return _listify(value)

    @field_validator("require", "fail_on", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return _listify(value)


class ServiceSettings(BaseModel):
    """What a service is scanned with: the flags of ``auditor scan`` (they override its own config)."""

    model_config = ConfigDict(extra="forbid")

    checklist: str | None = None
    rules: list[str] = Field(default_factory=list)
    config: str | None = Field(default=None, description="config file instead of the one in the repository")
    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    select: list[str] = Field(default_factory=list)
    ignore: list[str] = Field(default_factory=list)
    timeout: float | None = Field(default=None, gt=0, description="seconds for fetch and scan")
    gate: GateSettings = Field(default_factory=GateSettings)

    @field_validator("rules", "include", "exclude", "select", "ignore", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return _listify(value)


class ServiceEntry(BaseModel):
    """One service of the fleet."""

    model_config = ConfigDict(extra="forbid")

    name: str
    path: str | None = Field(default=None, description="a local folder, read in place")
    git: str | None = Field(default=None, description="a git URL, cloned shallow into the work folder")
    ref: str | None = Field(default=None, description="branch, tag or commit (default: the remote's HEAD)")
    subdir: str | None = Field(default=None, description="the service's folder inside the repository")
    owner: str | None = None
    team: str | None = None
    tags: list[str] = Field(default_factory=list)
    settings: ServiceSettings = Field(default_factory=ServiceSettings)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME_RE.match(value):
            raise ValueError(f"{value!r} is not a service name (letters, digits, '.', '_', '-')")
        return value

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, value: Any) -> Any:
        return _listify(value)

    @model_validator(mode="after")
    def _source(self) -> ServiceEntry:
        if (self.path is None) == (self.git is None):
            raise ValueError("give exactly one of 'path' or 'git'")
        if self.ref is not None and self.git is None:
            raise ValueError("'ref' goes with 'git' only")
        return self


class FleetSpec(BaseModel):
    """The whole file."""

    model_config = ConfigDict(extra="forbid")

    version: int = 1
    workdir: str | None = Field(default=None, description="where git services are checked out (reused)")
    store: str | None = Field(default=None, description="results store: a SQLite file or a database URL")
    defaults: ServiceSettings = Field(default_factory=ServiceSettings)
    services: list[ServiceEntry]

    @field_validator("version")
    @classmethod
    def _version(cls, value: int) -> int:
        if value != 1:
            raise ValueError("only version 1 is known")
        return value


@dataclass(frozen=True)
class Service:
    """A service ready to scan: its source made absolute and its settings merged over the defaults."""

    name: str
    path: str | None
    git: str | None
    ref: str | None
    subdir: str | None
    owner: str | None
    team: str | None
    tags: tuple[str, ...]
    settings: ServiceSettings

    def timeout(self) -> float:
        return self.settings.timeout or DEFAULT_TIMEOUT

    def fingerprint(self, auditor_version: str) -> str:
        """Digest of everything but the code that decides a scan's result: a re-run with the same
        fingerprint and commit reuses the stored scan."""
        data = {"v": auditor_version, "settings": self.settings.model_dump(mode="json", exclude={"timeout"}),
                "subdir": self.subdir}
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Fleet:
    """A validated fleet file."""

    source: Path
    services: list[Service]
    workdir: Path | None
    store: str | None


def _merge(defaults: ServiceSettings, own: ServiceSettings, own_set: set[str]) -> ServiceSettings:
    """Per-service settings over the defaults, key by key (the gate too, key by key)."""
    merged = defaults.model_dump()
    for key in own_set:
        if key == "gate":
            merged["gate"] = {**merged["gate"], **own.gate.model_dump(exclude_unset=True)}
        else:
            merged[key] = getattr(own, key)
    return ServiceSettings.model_validate(merged)


def _resolve(base: Path, value: str | None) -> str | None:
    if value is None:
        return None
    p = Path(value).expanduser()
    return str(p if p.is_absolute() else (base / p).resolve())


def _is_url(value: str) -> bool:
    return "://" in value or re.match(r"^[\w.-]+@[\w.-]+:", value) is not None


def load_fleet(path: Path) -> Fleet:
    """Parse and validate a fleet file; ConfigError (``file:line:col: key: problem``) on any problem."""
    name = str(path)
    data, marks = load_yaml_with_marks(path, name)
    if not isinstance(data, dict):
        raise ConfigError(f"{name}: a fleet file must be a mapping with 'services'")
    try:
        spec = FleetSpec.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, FleetSpec, name, marks) from None
    base = path.resolve().parent
    seen: dict[str, int] = {}
    services: list[Service] = []
    defaults = _absolute(spec.defaults, base, set(spec.defaults.model_fields_set))
    for i, entry in enumerate(spec.services):
        if entry.name in seen:
            raise ConfigError(f"{where(name, marks, ('services', i, 'name'))}: services.{i}.name: "
                              f"{entry.name!r} is also service {seen[entry.name]}")
        seen[entry.name] = i
        own = _absolute(entry.settings, base, set(entry.settings.model_fields_set))
        settings = _merge(defaults, own, set(entry.settings.model_fields_set))
        git = entry.git
        if git is not None and not _is_url(git):
            git = _resolve(base, git)
        services.append(Service(name=entry.name, path=_resolve(base, entry.path), git=git, ref=entry.ref,
                                subdir=entry.subdir, owner=entry.owner, team=entry.team, tags=tuple(entry.tags),
                                settings=settings))
    workdir = _resolve(base, spec.workdir)
    return Fleet(source=path, services=services, workdir=Path(workdir) if workdir else None,
                 store=spec.store if spec.store is None or "://" in spec.store else _resolve(base, spec.store))


def _absolute(settings: ServiceSettings, base: Path, given: set[str]) -> ServiceSettings:
    """File settings (checklist, rules, config) made absolute against the fleet file's folder."""
    update: dict[str, Any] = {}
    if settings.checklist:
        update["checklist"] = _resolve(base, settings.checklist)
    if settings.config:
        update["config"] = _resolve(base, settings.config)
    if settings.rules:
        update["rules"] = [_resolve(base, r) for r in settings.rules]
    out = settings.model_copy(update=update)
    # keep which keys were given, for merging over the defaults
    object.__setattr__(out, "__pydantic_fields_set__", set(given))
    return out
