"""Evaluate a checklist's rules over each leaf's hits into one Report. Knows no item by id."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from operator import itemgetter
from pathlib import Path
from typing import Any

from auditor import __version__
from auditor.facts import FileFacts
from auditor.matchers import MATCHERS, Params, shared_options
from auditor.matchers.index import Hit
from auditor.model import (
    ChecklistInfo,
    Evidence,
    ItemResult,
    ProjectInfo,
    Report,
    ScanWarning,
    Status,
    ToolInfo,
    summarise,
)
from auditor.rules.schema import Checklist, Condition, Rule

MAX_EVIDENCE = 5
LeafSource = Callable[[str, Params, int], list[Hit]]
"""A leaf matcher's hits over the whole tree, marked with the given leaf number."""


def strength_of(op: str, params: Params | None = None) -> int:
    """What a matcher's hit proves, strongest first: 0 for the call, key or instruction that
    does the job; 1 for a definition (a function's or class's first line); 2 for presence (an
    import, a declared dependency, a file that exists). Evidence cites stronger conditions first.
    Each matcher says which it is when it registers, and a definition matcher may say which of
    its options (``params``) make it cite a statement that does the job instead. A condition's
    ``strength`` option overrides both (a route handler's definition can be the decisive line
    for input validation)."""
    if params is not None and params.strength is not None:
        return params.strength
    spec = MATCHERS[op]
    if spec.presence:
        return 2
    if spec.definition and params is not None and spec.decisive is not None and spec.decisive(params):
        return 0
    return 1 if spec.definition else 0


class Evaluator:
    """Evaluates conditions over each leaf's hits in the whole tree (``leaf_source``, from the
    scan's per-file results), remembering results of named conditions."""

    def __init__(self, conditions: dict[str, Condition], leaf_source: LeafSource) -> None:
        self.conditions = conditions
        self.leaf_source = leaf_source
        self._memo: dict[str, tuple[bool, list[Hit]]] = {}
        self._leaves: dict[int, int] = {}
        self.strength: dict[int, int] = {}
        """Leaf number -> what its hits prove (see :func:`strength_of`)."""

    def run(self, cond: Condition) -> tuple[bool, list[Hit]]:
        """Whether the condition holds, and the hits that show it."""
        if cond.op == "ref":
            assert cond.ref is not None
            if cond.ref not in self._memo:
                self._memo[cond.ref] = self.run(self.conditions[cond.ref])
            return self._memo[cond.ref]
        if cond.op == "not":
            ok, _ = self.run(cond.children[0])
            return (not ok), []
        if cond.op == "any":
            hits: list[Hit] = []
            holds = False
            parts = 0
            for child in cond.children:
                ok, child_hits = self.run(child)
                if ok:
                    holds = True
                    parts += bool(child_hits)
                    hits.extend(child_hits)
            return holds, _unique(hits) if parts > 1 else hits
        if cond.op == "all":
            if cond.within == "repo":
                hits = []
                for child in cond.children:
                    ok, child_hits = self.run(child)
                    if not ok:
                        return False, []
                    hits.extend(child_hits)
                return True, _unique(hits) if len(cond.children) > 1 else hits
            return self._all_within(cond)
        assert cond.params is not None
        leaf = self._leaves.setdefault(id(cond), len(self._leaves))
        self.strength[leaf] = strength_of(cond.op, cond.params)
        hits = shared_options(cond.op, cond.params, self.leaf_source(cond.op, cond.params, leaf))
        return bool(hits), hits

    def _all_within(self, cond: Condition) -> tuple[bool, list[Hit]]:
        """Every child holds inside one group (file, function/class scope, source line, or key)."""
        group = _GROUP_KEYS[cond.within]
        groups: set[Any] | None = None
        excluded: set[Any] = set()
        positive_hits: list[list[Hit]] = []
        for child in cond.children:
            if child.op == "not":
                _, inner = self.run(child.children[0])
                excluded.update(map(group, inner))
                continue
            _, hits = self.run(child)
            keys = set(map(group, hits))
            groups = keys if groups is None else groups & keys
            positive_hits.append(hits)
        if groups is None:
            return False, []
        groups -= excluded
        if not groups:
            return False, []
        out = [h for hits in positive_hits for h in hits if group(h) in groups]
        return True, _unique(out) if len(positive_hits) > 1 else out


def _unique(hits: list[Hit]) -> list[Hit]:
    """Hits in first-seen order, each once: a condition reached along two paths (two refs to
    one shared condition) cites its hits once, so evidence never grows with the paths to it."""
    return list(dict.fromkeys(hits))


_DOTTED = re.compile(r"[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)+")


def _key_name(hit: Hit) -> str:
    """The name a hit's key gives for a join: a dotted path by its last part, as a setting names
    a function or class by its import path (``"app.api.handlers.on_error"`` joins ``on_error``)."""
    key = hit.key
    return key.rpartition(".")[2] if _DOTTED.fullmatch(key) else key


# The group a hit falls in for all-within: its file, its (file, scope), its (file, line) or its key
# (a name a matcher keys its hits by, joined across files).
_GROUP_KEYS: dict[str, Callable[[Hit], Any]] = {
    "file": itemgetter(0), "scope": itemgetter(0, 3), "line": itemgetter(0, 1), "key": _key_name,
}


# How close a file is to the service's own runtime, for ordering evidence: the running service
# first, then its scripts and migration revisions, then tooling and tests, docs last.
_ROLE_TIERS = {"runtime": 0, "migration": 1, "tooling": 2, "test": 2, "docs": 3, "meta": 3}
SCRIPT_DIRS = frozenset({"scripts", "script", "bin", "tools"})
# Settings modules for an environment other than production (config/settings/local.py,
# settings/dev.py, conf/testing.py): what they set is not what the running service uses.
_SETTINGS_DIRS = frozenset({"settings", "config", "configs", "conf"})
_NON_PRODUCTION = re.compile(
    r"(?i)^(?:(?:settings|config)_)?(?:dev|devel|development|local|local_dev|dev_local|test|tests|testing|ci)"
    r"(?:_(?:settings|config))?\.py$")


def evidence_tier(rel: str, role: str, deployed: Collection[str] = ()) -> int:
    """0 for the service's runtime code and configuration, 1 for its scripts, management commands,
    migration revisions and settings for development, test or CI, 2 for tooling and tests, 3 for docs.
    A management command named in ``deployed`` (one the deployment runs) is runtime."""
    tier = _ROLE_TIERS.get(role, 3)
    if tier != 0:
        return tier
    folders = [d.lower() for d in rel.split("/")[:-1]]
    if any(d in SCRIPT_DIRS for d in folders):
        return 1
    if folders[-2:] == ["management", "commands"]:
        # a Django management command: run by an operator beside the service, like a script,
        # unless the deployment runs it (a worker or daemon the container or process manager starts)
        return 0 if rel.rpartition("/")[2].removesuffix(".py") in deployed else 1
    if any(d in _SETTINGS_DIRS for d in folders[-2:]) and _NON_PRODUCTION.match(rel.rpartition("/")[2]):
        return 1
    return tier


def select_evidence(hits: list[Hit], limit: int = MAX_EVIDENCE,
                    strength: Mapping[int, int] | None = None,
                    tier: Callable[[str], int] | None = None,
                    centre: Mapping[str, tuple[int, ...]] | None = None,
                    uses: Mapping[str, int] | None = None) -> list[tuple[str, int]]:
    """The most telling locations first.

    Each matching condition (leaf) in turn names its best file: the one closest to the service's
    runtime (``tier``: runtime code before scripts, migrations, tooling, tests and docs), then a
    primary file before its variants (``compose.yml`` before ``compose.deploy.yml``), then the
    file whose hits the code uses most (``uses``: in how many files the code uses each name a hit
    is keyed by, such as an exception class raised, caught or subclassed across the service,
    summed over the file's lines, then its most used line: the base of a hierarchy), then the
    file most central to the rule's subject (``centre``: how many lines hold each of the rule's
    centre conditions there, compared in order, such as the API module with the most routes),
    then where it matched most often, then the one in the folder where it matched most often, then by
    path; its most used line there is cited, else its first. Leaves take turns in order of the best tier they reach,
    then of what they prove (``strength``: the call or key that does the job before definitions,
    before imports and declared dependencies), then of the rule's order of conditions. So the first evidence
    is the decisive line in the service's own code, and the rest spans the different things that
    made the verdict and different files."""
    strength = strength or {}
    centre = centre or {}
    no_centre = (0,) * max(map(len, centre.values()), default=0)
    tier_of = tier or (lambda path: 0)
    tiers: dict[str, int] = {}
    # leaf -> path -> line -> how widely the line's hit is used (0 without ``uses``)
    by_leaf: dict[int, dict[str, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    for h in hits:
        lines = by_leaf[h.leaf][h.path]
        line = max(h.line, 1)
        used = max((uses.get(name, 0) for name in key_names(h.key)), default=0) if uses else 0
        lines[line] = max(used, lines.get(line, 0))
        if h.path not in tiers:
            tiers[h.path] = tier_of(h.path)
    variants = _variants(tiers)
    ranked_leaves = []
    # by_leaf keeps the order in which leaves first appear in the hits: the rule's own order of
    # conditions, whichever rule evaluated a shared condition first
    for order, (leaf, files) in enumerate(by_leaf.items()):
        folders: dict[str, int] = defaultdict(int)
        for path, lines in files.items():
            folders[path.rpartition("/")[0]] += len(lines)
        best = {path: min(lines, key=lambda line: (-lines[line], line)) for path, lines in files.items()}
        ranked = sorted(files, key=lambda path: (tiers[path], path in variants, -sum(files[path].values()),
                                                 -files[path][best[path]],
                                                 _negated(centre.get(path, no_centre)),
                                                 -len(files[path]), -folders[path.rpartition("/")[0]], path))
        rank = (tiers[ranked[0]], strength.get(leaf, 0), order)
        ranked_leaves.append((rank, [(path, best[path]) for path in ranked]))
    queues = [queue for _, queue in sorted(ranked_leaves)]
    chosen: list[tuple[str, int]] = []
    chosen_files: set[str] = set()
    while len(chosen) < limit and any(queues):
        for queue in queues:
            while queue and queue[0][0] in chosen_files:
                queue.pop(0)
            if queue and len(chosen) < limit:
                path, line = queue.pop(0)
                chosen.append((path, line))
                chosen_files.add(path)
    if len(chosen) < limit:
        rest = sorted({(h.path, max(h.line, 1)) for h in hits} - set(chosen),
                      key=lambda loc: (loc[0] not in chosen_files, tiers[loc[0]], loc))
        chosen.extend(rest[: limit - len(chosen)])
    return chosen


def _negated(counts: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(-n for n in counts)


def _variants(paths: Iterable[str]) -> set[str]:
    """The paths that are a variant of another path among ``paths``: the same folder and name
    with one more dotted part (``compose.deploy.yml`` of ``compose.yml``, ``Dockerfile.dev`` of
    ``Dockerfile``). The primary file is cited before its variants."""
    present = set(paths)
    out = set()
    for path in present:
        folder, sep, name = path.rpartition("/")
        parts = name.split(".")
        for i in range(2 if parts[0] == "" else 1, len(parts)):
            base = ".".join(parts[:i] + parts[i + 1:])
            if base and base not in (".", name) and folder + sep + base in present:
                out.add(path)
                break
    return out


# Files that start the service's processes: container images, compose files, manifests, process
# managers (uwsgi.ini attach-daemon, supervisord), Procfiles and shell entrypoints
_DEPLOY_KINDS = frozenset({"dockerfile", "compose", "yaml", "ini", "conf"})
_MANAGE_COMMAND = re.compile(r"(?:manage\.py|django-admin(?:\.py)?)\s+([a-z_]\w*)")
_MAX_DEPLOY_BYTES = 200_000


def _starts_processes(f: FileFacts) -> bool:
    if f.role != "runtime":
        return False
    if f.kind in _DEPLOY_KINDS:
        return True
    name = f.path.rpartition("/")[2].lower()
    return f.kind == "text" and (name.endswith(".sh") or name.startswith("procfile"))


def deployed_commands(files: Iterable[FileFacts], root: Path | None = None) -> frozenset[str]:
    """The Django management commands the deployment runs (``manage.py sendalerts`` in a
    uwsgi.ini, a compose command, a Procfile or an entrypoint script); a file's text is read
    from ``root`` where the facts do not carry it."""
    names: set[str] = set()
    if not any(f.path.endswith(".py") and "/management/commands/" in f.path for f in files):
        return frozenset()
    for f in files:
        if not _starts_processes(f):
            continue
        text = f.text
        if text is None and root is not None:
            try:
                with (root / f.path).open("rb") as handle:
                    text = handle.read(_MAX_DEPLOY_BYTES).decode("utf-8", errors="replace")
            except OSError:
                continue
        if text:
            names.update(m.group(1) for m in _MANAGE_COMMAND.finditer(text))
    return frozenset(names)


def file_tiers(files: list[FileFacts], root: Path | None = None) -> Callable[[str], int]:
    """The evidence tier of each scanned file (see :func:`evidence_tier`)."""
    deployed = deployed_commands(files, root)
    tiers = {f.path: evidence_tier(f.path, f.role, deployed) for f in files}
    return lambda path: tiers.get(path, 0)


def evidence_centre(rule: Rule, ev: Evaluator) -> dict[str, tuple[int, ...]]:
    """For each file, how many of its lines hold each of the rule's centre conditions, in the
    rule's order (no centre conditions: an empty map). Presence (an import that puts a file in
    a condition's scope) is not counted: only lines that show the subject."""
    names = rule.spec.evidence_centre
    lines: dict[str, list[set[int]]] = defaultdict(lambda: [set() for _ in names])
    for i, name in enumerate(names):
        for h in ev.run(Condition(op="ref", ref=name))[1]:
            if ev.strength.get(h.leaf, 0) < 2:
                lines[h.path][i].add(h.line)
    return {path: tuple(map(len, found)) for path, found in lines.items()}


def key_names(key: str) -> list[str]:
    """The names a hit's key gives, each by its last part: ``hc.api.transports.TransportError``
    gives ``TransportError``; an except clause's ``KeyError,app.errors.NotFound`` gives both."""
    return [part.rsplit(".", 1)[-1].removesuffix("()") for part in key.split(",") if part]


def evidence_uses(rule: Rule, ev: Evaluator) -> dict[str, int]:
    """For each name, in how many files the rule's ``evidence_uses`` conditions hold with a hit
    keyed by it (no such conditions: an empty map). Presence is not counted, as for the centre."""
    files: dict[str, set[str]] = defaultdict(set)
    for name in rule.spec.evidence_uses:
        for h in ev.run(Condition(op="ref", ref=name))[1]:
            if ev.strength.get(h.leaf, 0) < 2:
                for used in key_names(h.key):
                    files[used].add(h.path)
    return {name: len(paths) for name, paths in files.items()}


def rule_evidence(rule: Rule, hits: list[Hit], ev: Evaluator, tier: Callable[[str], int]) -> list[tuple[str, int]]:
    """The locations a rule's verdict cites, most telling first (see :func:`select_evidence`),
    ordered by what the evaluator learnt of its conditions, by the rule's evidence centre and by
    how widely the code uses what each hit names."""
    if not hits:
        return []
    return select_evidence(hits, strength=ev.strength, tier=tier, centre=evidence_centre(rule, ev),
                           uses=evidence_uses(rule, ev))


def _source_line(root: Path, path: str, line: int, cache: dict[str, list[str]]) -> str:
    if path not in cache:
        try:
            data = (root / path).read_bytes()[:2_000_000]
            cache[path] = data.decode("utf-8", errors="replace").splitlines()
        except OSError:
            cache[path] = []
    lines = cache[path]
    if 1 <= line <= len(lines):
        return lines[line - 1].strip()[:200]
    return ""


def evaluate_rule(rule: Rule, ev: Evaluator) -> tuple[Status, list[Hit], str]:
    spec = rule.spec
    if rule.applies_when is not None:
        ok, _ = ev.run(rule.applies_when)
        if not ok:
            assert spec.applies_when is not None
            return "not_applicable", [], spec.applies_when.reason
    ok, hits = ev.run(rule.implemented)
    if ok and hits:
        return "implemented", hits, spec.implemented.reason
    if rule.partial is not None:
        ok, phits = ev.run(rule.partial)
        if ok and phits:
            assert spec.partial is not None
            return "partial", phits, spec.partial.reason
    return "missing", [], spec.missing.reason


def evaluate(checklist: Checklist, files: list[FileFacts], root: Path, leaf_source: LeafSource,
             root_label: str = ".", extra_warnings: list[tuple[str, str]] | None = None) -> Report:
    """Evaluate every item of the checklist over each leaf's hits (``leaf_source``); ``files``
    (kind, role and warnings of each scanned file) give the report's warnings and counts."""
    ordered = sorted(files, key=lambda f: f.path)
    ev = Evaluator(checklist.conditions, leaf_source)
    tier = file_tiers(ordered, root)
    line_cache: dict[str, list[str]] = {}
    rule_results: dict[str, tuple[Status, list[tuple[str, int]], str]] = {}
    items: list[ItemResult] = []
    for section, item in checklist.items():
        rule = checklist.rules[item.rule]
        if rule.id not in rule_results:
            status, hits, reason = evaluate_rule(rule, ev)
            rule_results[rule.id] = status, rule_evidence(rule, hits, ev, tier), reason
        status, cited, reason = rule_results[rule.id]
        evidence = [Evidence(path=path, line=line, detail=_source_line(root, path, line, line_cache))
                    for path, line in cited]
        items.append(ItemResult(
            id=item.id, section=section.title, title=item.title, status=status, evidence=evidence,
            reason=reason, severity=item.severity, rule=rule.id, remediation=item.remediation,
        ))
    warnings = [ScanWarning(path=p, message=m) for p, m in (extra_warnings or [])]
    for f in ordered:
        warnings.extend(ScanWarning(path=f.path, message=m) for m in f.warnings)
    warnings.sort(key=lambda w: (w.path, w.message))
    kinds: dict[str, int] = defaultdict(int)
    for f in ordered:
        kinds[f"files.{f.kind}"] += 1
    return Report(
        tool=ToolInfo(name="checklist-auditor", version=__version__),
        project=ProjectInfo(root=root_label, files_scanned=len(ordered)),
        checklist=ChecklistInfo(path=checklist.path, items=len(items), name=checklist.spec.name),
        summary=summarise(items),
        items=items,
        warnings=warnings,
        stats=dict(sorted(kinds.items())),
    )
