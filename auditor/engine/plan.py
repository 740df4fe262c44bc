"""The checklist's leaf conditions matched file by file: what a scan keeps of a file instead of its facts.

Every matcher is file-local: the hits it finds in a file depend on that file's facts (and
path, kind and role) only. So the workers that extract a batch of files also run every
distinct leaf condition of the checklist over that batch, and hand back per file only its
hits, kind, role, warnings and the radon facts the code-health section shows. The main
process never holds the facts of the whole tree, evaluation is spread over the workers, and
a file's result can be cached under its content key and the checklist's leaves: a scan after
one file changed matches that file only. Combining the per-file hits gives each leaf exactly
the hits a matcher run over the whole tree gives (tested), so the report is the same.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import TYPE_CHECKING

from auditor.engine.results import HEALTH_FACTS, FileResult, health_fact
from auditor.facts import FileFacts
from auditor.matchers import MATCHERS, Params
from auditor.matchers.index import FactIndex, Hit
from auditor.matchers.patterns import linear

if TYPE_CHECKING:  # workers match leaves without loading the rule model
    from auditor.rules.schema import Checklist, Condition

def _leaf_key(op: str, params: Params) -> str:
    """The same leaf from two rule files is matched once, unless one file's patterns use RE2
    (``strength`` only orders evidence: leaves that differ in it alone are matched once)."""
    return f"{op}:{'linear:' if linear(params) else ''}{params.model_dump_json(exclude={'strength'})}"


def _walk(cond: Condition | None, out: dict[str, tuple[str, Params]]) -> None:
    if cond is None:
        return
    if cond.params is not None:
        out.setdefault(_leaf_key(cond.op, cond.params), (cond.op, cond.params))
    for child in cond.children:
        _walk(child, out)


class LeafPlan:
    """The distinct leaf conditions of a checklist, numbered in a stable order."""

    def __init__(self, checklist: Checklist, engine: str = "") -> None:
        found: dict[str, tuple[str, Params]] = {}
        for rule in checklist.rules.values():
            for cond in (rule.applies_when, rule.implemented, rule.partial):
                _walk(cond, found)
        for cond in checklist.conditions.values():
            _walk(cond, found)
        self.keys = sorted(found)
        self.leaves = [found[k] for k in self.keys]
        self.number = {k: i for i, k in enumerate(self.keys)}
        digest = hashlib.sha256(engine.encode() + b"\0")
        for key in self.keys:
            digest.update(key.encode() + b"\n")
        self.digest = digest.hexdigest()
        """Changes whenever any leaf (or, through ``engine``, the matchers' code) does."""

    def match(self, files: list[FileFacts]) -> list[FileResult]:
        """Every leaf over a batch of files: one result per file, in the order given."""
        index = FactIndex(files)
        results = {f.path: FileResult(path=f.path, kind=f.kind, role=f.role, warnings=list(f.warnings),
                                      health=[x for x in f.facts if x["t"] in HEALTH_FACTS])
                   for f in files}
        for result in results.values():
            if not all(map(health_fact, result.health)):  # only a damaged cache entry has such facts
                raise ValueError(f"{result.path}: malformed radon facts")
        for number, (op, params) in enumerate(self.leaves):
            for hit in MATCHERS[op].run(params, index):
                results[hit.path].hits.setdefault(number, []).append((hit.line, hit.key, hit.scope))
        return [results[f.path] for f in files]

    def source(self, results: Iterable[FileResult]) -> LeafHits:
        return LeafHits(self, results)


class LeafHits:
    """A leaf's hits over the whole tree, combined from per-file results (files in path order)."""

    def __init__(self, plan: LeafPlan, results: Iterable[FileResult]) -> None:
        self.plan = plan
        self.by_leaf: dict[int, list[FileResult]] = {}
        for result in sorted(results, key=lambda r: r.path):
            for number in result.hits:
                self.by_leaf.setdefault(number, []).append(result)

    def __call__(self, op: str, params: Params, leaf: int = 0) -> list[Hit]:
        """The leaf's hits over the whole tree, each marked with ``leaf`` (the evaluator's number)."""
        number = self.plan.number.get(_leaf_key(op, params))
        if number is None:
            raise KeyError(f"leaf not in the plan: {op}")
        make = tuple.__new__  # Hit(...) without its Python-level __new__: twice as fast, same tuple
        return [make(Hit, (r.path, line, key, scope, leaf))
                for r in self.by_leaf.get(number, ())
                for line, key, scope in r.hits[number]]
