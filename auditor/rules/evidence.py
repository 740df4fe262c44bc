"""The evidence a rule's verdict cites, most telling first: by tier, strength, the rule's centre
and how widely the code uses what each hit names."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping

from auditor.matchers.index import Hit
from auditor.rules.evaluator import Evaluator
from auditor.rules.schema import Condition, Rule

MAX_EVIDENCE = 5


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
