"""Loading rule files and checklists (through the parsed-rule cache when there is one), item
selection, the bundled defaults and the checklist's fingerprint."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from auditor.errors import AuditorError, ConfigError, did_you_mean
from auditor.rules.conditions import parse_condition, parse_outcome, validation_message
from auditor.rules.schema import Checklist, ChecklistSpec, Condition, Rule, RuleFile
from auditor.yamlmarks import Marks, load_yaml_with_marks, where


def load_rule_files(
    paths: list[Path], display_root: Path | None = None, cache_dir: Path | None = None,
) -> tuple[dict[str, Rule], dict[str, Condition]]:
    """Parse rule files; with ``cache_dir``, files unchanged since they were last parsed are
    rebuilt from the cache (see :mod:`auditor.rules.cache`). Errors are the same either way."""
    if cache_dir is None:
        return _load_rule_files(paths, display_root)
    from auditor.rules.cache import RuleFileCache

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
            raise ConfigError(validation_message(exc, name, marks, ())) from None
        for cname, cdata in spec.conditions.items():
            if cname in conditions:
                raise ConfigError(f"{where(name, marks, ('conditions', cname))}: condition {cname!r} defined twice")
            conditions[cname] = parse_condition(cdata, name, marks, ("conditions", cname))
        for rid, rspec in spec.rules.items():
            if rid in rules:
                raise ConfigError(f"{where(name, marks, ('rules', rid))}: rule {rid!r} defined twice "
                                  f"(first in {rules[rid].source})")
            base = ("rules", rid)
            implemented = parse_outcome(rspec.implemented, name, marks, (*base, "implemented"), True)
            assert implemented is not None
            rules[rid] = Rule(
                id=rid, spec=rspec, source=name, implemented=implemented,
                partial=parse_outcome(rspec.partial, name, marks, (*base, "partial"), True),
                applies_when=parse_outcome(rspec.applies_when, name, marks, (*base, "applies_when"), True),
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
            hint = did_you_mean(cond.ref, list(conditions))
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
        raise ConfigError(validation_message(exc, name, marks, ())) from None
    if select:
        known = {s.id for s in spec.sections} | {i.id for _, i in spec.items()}
        for wanted in select:
            if wanted not in known:
                hint = did_you_mean(wanted, sorted(known))
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
                hint = did_you_mean(item.rule, list(rules))
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
                        hint = did_you_mean(value, valid)
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


def load_selected_checklist(checklist: str | None, rules: tuple[str, ...],
                            select: str | None = None, cache_dir: Path | None = None) -> Checklist:
    default_checklist, default_rules = default_paths()
    checklist_path = Path(checklist) if checklist else default_checklist
    rule_paths: list[Path] = list(default_rules)  # --rules adds to the bundled rules, with --checklist too
    for entry in rules:
        p = Path(entry)
        if p.is_dir():
            rule_paths.extend(sorted(p.glob("*.yaml")) + sorted(p.glob("*.yml")))
        elif p.is_file():
            rule_paths.append(p)
        else:
            raise AuditorError(f"{entry}: no such rule file or folder")
    chosen = [s.strip() for s in select.split(",") if s.strip()] if select else None
    return load_checklist(checklist_path, rule_paths, select=chosen, cache_dir=cache_dir)
