"""Checklist and rule files: the schema, loading with file:line:col errors, and condition trees.

A checklist (``checklist.yaml``) lists sections and items; each item names a rule. Rule files
(``rules/*.yaml``) define named ``conditions`` and ``rules``. A condition is one of

- ``{any: [cond, ...]}`` - some child holds; evidence is every holding child's hits;
- ``{all: [cond, ...], within: repo|file|scope|line}`` - every child holds (in one file, in one
  function/class scope, or on one source line, when ``within`` says so);
- ``{not: cond}`` - the child does not hold;
- ``{ref: name}`` - a named condition from any loaded rule file;
- ``{MATCHER: {params}}`` - a leaf matcher from ``auditor.matchers.MATCHERS``.

Nothing in these files is evaluated as code.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from auditor.errors import ConfigError
from auditor.matchers import MATCHERS, Params
from auditor.yamlmarks import Marks, load_yaml_with_marks, where

COMBINATORS = ("any", "all", "not", "ref")


@dataclass
class Condition:
    """A parsed condition node."""

    op: str
    children: list[Condition] = field(default_factory=list)
    params: Params | None = None
    ref: str | None = None
    within: str = "repo"


class Outcome(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str
    when: Any = None


class Example(BaseModel):
    """A mini project that shows the rule at work; run as a test."""

    model_config = ConfigDict(extra="forbid")
    name: str
    expect: Literal["implemented", "partial", "missing", "not_applicable"]
    evidence: str | None = Field(default=None, description="path:line expected among the evidence")
    files: dict[str, str]


class RuleSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    summary: str
    motivation: str = ""
    text_search: str | None = Field(default=None, description="why a text matcher is used, when one is")
    implemented: Outcome
    partial: Outcome | None = None
    missing: Outcome
    applies_when: Outcome | None = None
    examples: list[Example] = Field(default_factory=list)


class RuleFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    conditions: dict[str, Any] = Field(default_factory=dict)
    rules: dict[str, RuleSpec] = Field(default_factory=dict)


@dataclass
class Rule:
    """A loaded rule: its spec, its parsed conditions and where it came from."""

    id: str
    spec: RuleSpec
    source: str
    implemented: Condition
    partial: Condition | None
    applies_when: Condition | None


ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _one_line_name(value: str) -> str:
    """Names (titles, the checklist's name) end up in files, terminals and shell-read YAML:
    no control or bidi-override characters."""
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


class ItemSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=ID_PATTERN)
    title: str
    description: str
    severity: Literal["low", "medium", "high", "critical"] = "medium"
    remediation: str
    rule: str

    _title = field_validator("title")(_one_line_name)


class SectionSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=ID_PATTERN)
    title: str
    items: list[ItemSpec]

    _title = field_validator("title")(_one_line_name)


class LevelRequirement(BaseModel):
    """Items a level needs: the listed ``items``, plus those of ``sections`` (every section when only
    ``severity`` is given) at ``severity`` or above; each at least ``status`` (or not applicable)."""

    model_config = ConfigDict(extra="forbid")
    items: list[str] = Field(default_factory=list)
    sections: list[str] = Field(default_factory=list)
    severity: Literal["low", "medium", "high", "critical"] | None = None
    status: Literal["implemented", "partial"] = "implemented"


class LevelSpec(BaseModel):
    """A named level (bronze, silver, ...); a level is reached when it and every level before it are met."""

    model_config = ConfigDict(extra="forbid")
    id: str
    title: str = ""
    require: list[LevelRequirement] = Field(min_length=1)


class ChecklistSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = 1
    name: str = "Best Practices Implementation Status"
    sections: list[SectionSpec]
    levels: list[LevelSpec] = Field(default_factory=list)

    _name = field_validator("name")(_one_line_name)

    def items(self) -> list[tuple[SectionSpec, ItemSpec]]:
        return [(s, i) for s in self.sections for i in s.items]


@dataclass
class Checklist:
    """A checklist with its rules, ready to evaluate."""

    spec: ChecklistSpec
    path: str
    rules: dict[str, Rule]
    conditions: dict[str, Condition]

    def items(self) -> list[tuple[SectionSpec, ItemSpec]]:
        return self.spec.items()

    def item_ids(self) -> list[str]:
        return [i.id for _, i in self.items()]


def _validation_message(exc: ValidationError, name: str, marks: Marks, prefix: tuple[Any, ...]) -> str:
    err = exc.errors()[0]
    loc = tuple(x for x in err["loc"] if not isinstance(x, str) or not x.startswith("function-"))
    loc_text = ".".join(str(x) for x in (*prefix, *loc))
    msg = err["msg"]
    if err["type"] == "extra_forbidden" and loc:
        msg = f"unknown key {loc[-1]!r}"
    return f"{where(name, marks, (*prefix, *loc))}: {loc_text}: {msg}"


def parse_condition(data: Any, name: str, marks: Marks, path: tuple[Any, ...]) -> Condition:
    loc = where(name, marks, path)
    if not isinstance(data, dict):
        raise ConfigError(f"{loc}: a condition must be a mapping with one of any/all/not/ref or a matcher")
    keys = [k for k in data if k != "within"]
    if len(keys) != 1:
        raise ConfigError(f"{loc}: a condition needs exactly one of any/all/not/ref or a matcher, got {keys}")
    op = keys[0]
    value = data[op]
    within = data.get("within", "repo")
    if "within" in data and op != "all":
        raise ConfigError(f"{loc}: 'within' goes with 'all' only")
    if within not in ("repo", "file", "scope", "line"):
        raise ConfigError(f"{where(name, marks, (*path, 'within'))}: within must be repo, file, scope or line")
    if op in ("any", "all"):
        if not isinstance(value, list) or not value:
            raise ConfigError(f"{where(name, marks, (*path, op))}: {op} takes a non-empty list of conditions")
        children = [parse_condition(c, name, marks, (*path, op, i)) for i, c in enumerate(value)]
        return Condition(op=op, children=children, within=within)
    if op == "not":
        return Condition(op="not", children=[parse_condition(value, name, marks, (*path, "not"))])
    if op == "ref":
        if not isinstance(value, str):
            raise ConfigError(f"{where(name, marks, (*path, 'ref'))}: ref takes a condition name")
        return Condition(op="ref", ref=value)
    if op not in MATCHERS:
        close = difflib.get_close_matches(str(op), [*MATCHERS, *COMBINATORS], n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ConfigError(f"{where(name, marks, (*path, op))}: unknown matcher {op!r}{hint}")
    model = MATCHERS[op][0]
    try:
        params = model.model_validate(value or {})
    except ValidationError as exc:
        raise ConfigError(_validation_message(exc, name, marks, (*path, op))) from None
    return Condition(op=op, params=params)


def _parse_outcome(outcome: Outcome | None, name: str, marks: Marks, path: tuple[Any, ...],
                   required: bool) -> Condition | None:
    if outcome is None:
        return None
    if outcome.when is None:
        if required:
            raise ConfigError(f"{where(name, marks, path)}: 'when' is required here")
        return None
    return parse_condition(outcome.when, name, marks, (*path, "when"))


def load_rule_files(
    paths: list[Path], display_root: Path | None = None, cache_dir: Path | None = None,
) -> tuple[dict[str, Rule], dict[str, Condition]]:
    """Parse rule files; with ``cache_dir``, files unchanged since they were last parsed are
    rebuilt from the cache (see ``auditor.rulecache``). Errors are the same either way."""
    if cache_dir is None:
        return _load_rule_files(paths, display_root)
    from auditor.rulecache import RuleFileCache

    store = RuleFileCache(cache_dir)
    rules: dict[str, Rule] = {}
    conditions: dict[str, Condition] = {}
    for path in paths:
        name = _display(path, display_root)
        try:
            key = store.key(path.read_bytes(), name)
        except OSError:
            return _load_rule_files(paths, display_root)  # reports the unreadable file
        cached = store.get(key)
        if cached is None:
            file_rules, file_conditions = _load_rule_files([path], display_root)
            store.put(key, list(file_rules.values()), file_conditions)
            cached = list(file_rules.values()), file_conditions
        file_rule_list, file_conditions = cached
        if any(r.id in rules for r in file_rule_list) or any(c in conditions for c in file_conditions):
            return _load_rule_files(paths, display_root)  # reports the duplicate with its line
        rules.update((r.id, r) for r in file_rule_list)
        conditions.update(file_conditions)
    return rules, conditions


def _load_rule_files(
    paths: list[Path], display_root: Path | None = None
) -> tuple[dict[str, Rule], dict[str, Condition]]:
    rules: dict[str, Rule] = {}
    conditions: dict[str, Condition] = {}
    for path in paths:
        name = _display(path, display_root)
        data, marks = load_yaml_with_marks(path, name)
        if data is None:
            continue
        try:
            spec = RuleFile.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(_validation_message(exc, name, marks, ())) from None
        for cname, cdata in spec.conditions.items():
            if cname in conditions:
                raise ConfigError(f"{where(name, marks, ('conditions', cname))}: condition {cname!r} defined twice")
            conditions[cname] = parse_condition(cdata, name, marks, ("conditions", cname))
        for rid, rspec in spec.rules.items():
            if rid in rules:
                raise ConfigError(f"{where(name, marks, ('rules', rid))}: rule {rid!r} defined twice "
                                  f"(first in {rules[rid].source})")
            base = ("rules", rid)
            implemented = _parse_outcome(rspec.implemented, name, marks, (*base, "implemented"), True)
            assert implemented is not None
            rules[rid] = Rule(
                id=rid, spec=rspec, source=name, implemented=implemented,
                partial=_parse_outcome(rspec.partial, name, marks, (*base, "partial"), True),
                applies_when=_parse_outcome(rspec.applies_when, name, marks, (*base, "applies_when"), True),
            )
    return rules, conditions


def _display(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return str(path)


def _check_refs(cond: Condition, conditions: dict[str, Condition], where_text: str,
                stack: tuple[str, ...] = ()) -> None:
    if cond.op == "ref":
        assert cond.ref is not None
        if cond.ref not in conditions:
            close = difflib.get_close_matches(cond.ref, list(conditions), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(f"{where_text}: unknown condition {cond.ref!r}{hint}")
        if cond.ref in stack:
            raise ConfigError(f"{where_text}: condition {cond.ref!r} refers to itself")
        _check_refs(conditions[cond.ref], conditions, where_text, (*stack, cond.ref))
    for child in cond.children:
        _check_refs(child, conditions, where_text, stack)


def load_checklist(checklist_path: Path, rule_paths: list[Path], display_root: Path | None = None,
                   select: list[str] | None = None, cache_dir: Path | None = None) -> Checklist:
    """Load and validate a checklist and its rule files; ConfigError names file:line:col.

    ``select`` keeps only the named items or sections (by id); the others are not validated.
    ``cache_dir``: where parsed rule files are kept between runs (None: parse every file).
    """
    name = _display(checklist_path, display_root)
    data, marks = load_yaml_with_marks(checklist_path, name)
    if not isinstance(data, dict):
        raise ConfigError(f"{name}: a checklist must be a mapping with 'sections'")
    try:
        spec = ChecklistSpec.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_validation_message(exc, name, marks, ())) from None
    if select:
        known = {s.id for s in spec.sections} | {i.id for _, i in spec.items()}
        for wanted in select:
            if wanted not in known:
                close = difflib.get_close_matches(wanted, sorted(known), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ConfigError(f"{name}: --select names unknown item or section {wanted!r}{hint}")
        chosen = set(select)
        sections = []
        for section in spec.sections:
            keep = section.items if section.id in chosen else [i for i in section.items if i.id in chosen]
            if keep:
                sections.append(section.model_copy(update={"items": keep}))
        spec = spec.model_copy(update={"sections": sections})
    _check_levels(spec, name, marks, select)
    rules, conditions = load_rule_files(rule_paths, display_root, cache_dir)
    seen: set[str] = set()
    for si, section in enumerate(spec.sections):
        for ii, item in enumerate(section.items):
            loc = where(name, marks, ("sections", si, "items", ii, "id"))
            if item.id in seen:
                raise ConfigError(f"{loc}: item {item.id!r} appears twice")
            seen.add(item.id)
            if item.rule not in rules:
                close = difflib.get_close_matches(item.rule, list(rules), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                rloc = where(name, marks, ("sections", si, "items", ii, "rule"))
                raise ConfigError(f"{rloc}: item {item.id!r} names unknown rule {item.rule!r}{hint}")
    for rule in rules.values():
        for cond in (rule.implemented, rule.partial, rule.applies_when):
            if cond is not None:
                _check_refs(cond, conditions, f"{rule.source}: rule {rule.id!r}")
    for cname, cond in conditions.items():
        _check_refs(cond, conditions, f"condition {cname!r}", (cname,))
    return Checklist(spec=spec, path=name, rules=rules, conditions=conditions)


def _check_levels(spec: ChecklistSpec, name: str, marks: Marks, select: list[str] | None) -> None:
    """Level ids are unique and name existing sections and items (of the whole checklist when
    ``select`` narrowed it: an item left out makes the level unmet, not the checklist wrong)."""
    if select:
        return
    sections = [s.id for s in spec.sections]
    items = [i.id for _, i in spec.items()]
    seen: set[str] = set()
    for li, level in enumerate(spec.levels):
        if level.id in seen:
            raise ConfigError(f"{where(name, marks, ('levels', li, 'id'))}: level {level.id!r} appears twice")
        seen.add(level.id)
        for ri, req in enumerate(level.require):
            for key, values, valid in (("sections", req.sections, sections), ("items", req.items, items)):
                for vi, value in enumerate(values):
                    if value not in valid:
                        close = difflib.get_close_matches(value, valid, n=1)
                        hint = f" (did you mean {close[0]!r}?)" if close else ""
                        loc = where(name, marks, ("levels", li, "require", ri, key, vi))
                        raise ConfigError(f"{loc}: level {level.id!r} names unknown {key[:-1]} {value!r}{hint}")
            if not (req.items or req.sections or req.severity):
                loc = where(name, marks, ("levels", li, "require", ri))
                raise ConfigError(f"{loc}: level {level.id!r}: a requirement needs items, sections or severity")


def default_paths() -> tuple[Path, list[Path]]:
    """The bundled checklist.yaml and rules/*.yaml (top level of the source tree or the wheel)."""
    from auditor.resources import data_dir

    base = data_dir()
    return base / "checklist.yaml", sorted((base / "rules").glob("*.yaml"))


def checklist_fingerprint(checklist: Checklist) -> str:
    """A digest of the checklist and its rules as parsed: changes whenever any of them does."""
    import hashlib

    digest = hashlib.sha256(checklist.spec.model_dump_json().encode())
    for rule_id in sorted(checklist.rules):
        rule = checklist.rules[rule_id]
        digest.update(rule_id.encode() + b"\0" + rule.spec.model_dump_json().encode())
    for name in sorted(checklist.conditions):
        digest.update(name.encode() + b"\0" + repr(checklist.conditions[name]).encode())
    return digest.hexdigest()
