"""Loading rule files and checklists (through the parsed-rule cache when there is one), item
selection, the bundled defaults and the checklist's fingerprint."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from auditor.errors import AuditorError, ConfigError, did_you_mean
from auditor.locations import Marks, where
from auditor.rules.conditions import parse_condition, parse_outcome
from auditor.rules.schema import (
    MAX_CONDITION_DEPTH,
    MAX_CONDITION_NODES,
    Checklist,
    ChecklistSpec,
    Condition,
    Rule,
    RuleFile,
)
from auditor.validation import validation_error
from auditor.yamlmarks import load_yaml_with_marks


def bundled(path: Path) -> bool:
    """Whether a rule file is one of the bundled set (its patterns use :mod:`re`; any other
    file's are matched in linear time, see :class:`auditor.matchers.patterns.LinearPattern`)."""
    from auditor.resources import data_dir

    try:
        return path.resolve().parent == (data_dir() / "rules").resolve()
    except OSError:
        return False


def load_rule_files(
    paths: list[Path], display_root: Path | None = None, cache_dir: Path | None = None,
) -> tuple[dict[str, Rule], dict[str, Condition]]:
    """Parse rule files; with ``cache_dir``, bundled files unchanged since they were last parsed
    are rebuilt from the cache (see :mod:`auditor.rules.cache`). Errors are the same either way."""
    if cache_dir is None:
        return _load_rule_files(paths, display_root)
    from auditor.rules.cache import RuleFileCache

    store = RuleFileCache(cache_dir)
    rules: dict[str, Rule] = {}
    conditions: dict[str, Condition] = {}
    for path in paths:
        name = _display(path, display_root)
        if not bundled(path):  # parsed afresh: its patterns are checked and marked for RE2 every time
            file_rule_list, file_conditions = _parse_rule_file(path, name, {}, {})
        else:
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
        _parse_rule_file(path, _display(path, display_root), rules, conditions)
    return rules, conditions


def _parse_rule_file(path: Path, name: str, rules: dict[str, Rule],
                     conditions: dict[str, Condition]) -> tuple[list[Rule], dict[str, Condition]]:
    """Add one file's rules and conditions to ``rules`` and ``conditions``; returns the file's own."""
    data, marks = load_yaml_with_marks(path, name)
    if data is None:
        return [], {}
    linear = not bundled(path)
    try:
        spec = RuleFile.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, RuleFile, name, marks) from None
    own_rules: list[Rule] = []
    own_conditions: dict[str, Condition] = {}
    for cname, cdata in spec.conditions.items():
        if cname in conditions:
            raise ConfigError(f"{where(name, marks, ('conditions', cname))}: condition {cname!r} defined twice")
        conditions[cname] = own_conditions[cname] = parse_condition(cdata, name, marks, ("conditions", cname),
                                                                    linear)
    for rid, rspec in spec.rules.items():
        if rid in rules:
            raise ConfigError(f"{where(name, marks, ('rules', rid))}: rule {rid!r} defined twice "
                              f"(first in {rules[rid].source})")
        base = ("rules", rid)
        implemented = parse_outcome(rspec.implemented, name, marks, (*base, "implemented"), True, linear)
        assert implemented is not None
        rules[rid] = Rule(
            id=rid, spec=rspec, source=name, implemented=implemented,
            partial=parse_outcome(rspec.partial, name, marks, (*base, "partial"), True, linear),
            applies_when=parse_outcome(rspec.applies_when, name, marks, (*base, "applies_when"), True, linear),
        )
        own_rules.append(rules[rid])
    return own_rules, own_conditions


def _display(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return str(path)


def _tree(cond: Condition) -> tuple[list[tuple[str, int]], int, int]:
    """A condition tree's refs with the depth each sits at, its node count and its depth."""
    refs: list[tuple[str, int]] = []
    count = depth = 0
    stack = [(cond, 1)]
    while stack:
        node, level = stack.pop()
        count += 1
        depth = max(depth, level)
        if node.op == "ref":
            assert node.ref is not None
            refs.append((node.ref, level))
        stack.extend((child, level + 1) for child in node.children)
    return refs, count, depth


def check_conditions(rules: dict[str, Rule], conditions: dict[str, Condition]) -> None:
    """Every ref names a condition, none refers to itself, and no condition is too deep or too
    big to evaluate: ConfigError otherwise. Each named condition is visited once, without
    recursion, so shared conditions and long chains cost time linear in the rules' size."""
    trees = {name: _tree(cond) for name, cond in conditions.items()}
    roots = [(f"{rule.source}: rule {rule.id!r}", _tree(cond)) for rule in rules.values()
             for cond in (rule.implemented, rule.partial, rule.applies_when) if cond is not None]
    total = sum(t[1] for t in trees.values()) + sum(t[1] for _, t in roots)
    if total > MAX_CONDITION_NODES:
        raise ConfigError(f"rules: {total} condition nodes, more than the limit of {MAX_CONDITION_NODES}")
    for rule in rules.values():
        for option in ("evidence_centre", "evidence_uses"):
            for centre in getattr(rule.spec, option):
                if centre not in conditions:
                    raise ConfigError(f"{rule.source}: rule {rule.id!r}: unknown {option} condition "
                                      f"{centre!r}{did_you_mean(centre, list(conditions))}")
    for where_text, (refs, _, _) in [*((f"condition {n!r}", t) for n, t in trees.items()), *roots]:
        for ref, _level in refs:
            if ref not in conditions:
                raise ConfigError(f"{where_text}: unknown condition {ref!r}{did_you_mean(ref, list(conditions))}")
    height: dict[str, int] = {}  # nodes on the longest path down from a named condition
    for start in trees:
        if start in height:
            continue
        path = [start]
        pending = [iter(trees[start][0])]
        while pending:
            step = next(pending[-1], None)
            if step is None:
                name = path.pop()
                pending.pop()
                refs, _, depth = trees[name]
                height[name] = max([depth, *(level + height[ref] for ref, level in refs)])
                if height[name] > MAX_CONDITION_DEPTH:
                    raise ConfigError(f"condition {name!r}: conditions and refs nested more than "
                                      f"{MAX_CONDITION_DEPTH} deep")
                continue
            ref = step[0]
            if ref in path:
                cycle = " -> ".join([*path[path.index(ref):], ref])
                raise ConfigError(f"condition {ref!r} refers to itself ({cycle})")
            if ref not in height:
                path.append(ref)
                pending.append(iter(trees[ref][0]))
    for where_text, (refs, _, depth) in roots:
        if max([depth, *(level + height[ref] for ref, level in refs)]) > MAX_CONDITION_DEPTH:
            raise ConfigError(f"{where_text}: conditions and refs nested more than {MAX_CONDITION_DEPTH} deep")


@dataclass(frozen=True)
class ChecklistFile:
    """A checklist file read and validated, its rules not yet loaded: enough to name its ids."""

    spec: ChecklistSpec
    name: str
    marks: Marks


def read_checklist(checklist_path: Path, display_root: Path | None = None) -> ChecklistFile:
    """Read and validate a checklist file (once: its ids and the full load both come from it);
    ConfigError names file:line:col."""
    name = _display(checklist_path, display_root)
    data, marks = load_yaml_with_marks(checklist_path, name)
    if not isinstance(data, dict):
        raise ConfigError(f"{name}: a checklist must be a mapping with 'sections'")
    try:
        spec = ChecklistSpec.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, ChecklistSpec, name, marks) from None
    return ChecklistFile(spec=spec, name=name, marks=marks)


def load_checklist(checklist_path: Path, rule_paths: list[Path], display_root: Path | None = None,
                   select: list[str] | None = None, cache_dir: Path | None = None) -> Checklist:
    """Load and validate a checklist and its rule files; ConfigError names file:line:col.

    ``select`` keeps only the named items or sections (by id); the others are not validated.
    ``cache_dir``: where parsed rule files are kept between runs (None: parse every file).
    """
    return build_checklist(read_checklist(checklist_path, display_root), rule_paths, display_root, select,
                           cache_dir)


def build_checklist(read: ChecklistFile, rule_paths: list[Path], display_root: Path | None = None,
                    select: list[str] | None = None, cache_dir: Path | None = None) -> Checklist:
    """A read checklist with its rule files loaded (see :func:`load_checklist`)."""
    name, marks, spec = read.name, read.marks, read.spec
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
    check_conditions(rules, conditions)
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


def rule_files(entries: Iterable[str | Path]) -> list[Path]:
    """Rule files named on a command line: files as given, folders as their ``*.yaml`` and ``*.yml``."""
    paths: list[Path] = []
    for entry in entries:
        p = Path(entry)
        if p.is_dir():
            paths.extend(sorted(p.glob("*.yaml")) + sorted(p.glob("*.yml")))
        elif p.exists():
            paths.append(p)  # read as a regular file within the size limit, or refused
        else:
            raise AuditorError(f"{entry}: no such rule file or folder")
    return paths


def load_selected_checklist(checklist: str | None, rules: tuple[str, ...], select: list[str] | None = None,
                            cache_dir: Path | None = None) -> Checklist:
    """A checklist file (the bundled one when None) with the bundled rules and ``rules`` (files or
    folders); ``select`` keeps those items or sections."""
    default_checklist, default_rules = default_paths()
    checklist_path = Path(checklist) if checklist else default_checklist
    rule_paths = [*default_rules, *rule_files(rules)]  # --rules adds to the bundled rules, with --checklist too
    return load_checklist(checklist_path, rule_paths, select=select, cache_dir=cache_dir)
