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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from auditor.facts import Fact, FileFacts
from auditor.index import FactIndex, Hit
from auditor.matchers import MATCHERS, Params

if TYPE_CHECKING:  # workers match leaves without loading the rule model
    from auditor.rules import Checklist, Condition

HEALTH_FACTS = frozenset({"radon_cc", "radon_mi"})
Row = tuple[int, str, str]
"""One hit in a file: line, matched value, scope."""


@dataclass
class FileResult:
    """One file as a scan keeps it: everything evaluation and the report need, no facts."""

    path: str
    kind: str
    role: str
    warnings: list[str] = field(default_factory=list)
    health: list[Fact] = field(default_factory=list)
    hits: dict[int, list[Row]] = field(default_factory=dict)
    """Leaf number (in the plan) -> the leaf's hits in this file, in source order."""

    def light(self) -> FileFacts:
        """The file for evaluation and code health: its radon facts only."""
        return FileFacts(path=self.path, kind=self.kind, role=self.role, facts=self.health,
                         warnings=self.warnings)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "warnings": self.warnings, "health": self.health,
                "hits": {str(leaf): [list(row) for row in rows] for leaf, rows in sorted(self.hits.items())}}

    @classmethod
    def from_json(cls, path: str, role: str, data: Any, leaves: int) -> FileResult | None:
        """A result read back from the cache; None unless every part has the expected shape."""
        if not isinstance(data, dict):
            return None
        kind, warnings, health, hits = (data.get(k) for k in ("kind", "warnings", "health", "hits"))
        if not (isinstance(kind, str) and isinstance(warnings, list) and all(isinstance(w, str) for w in warnings)
                and isinstance(health, list) and isinstance(hits, dict)):
            return None
        if not all(isinstance(f, dict) and f.get("t") in HEALTH_FACTS and isinstance(f.get("line"), int)
                   for f in health):
            return None
        parsed: dict[int, list[Row]] = {}
        for leaf, rows in hits.items():
            if not (isinstance(leaf, str) and leaf.isdigit() and int(leaf) < leaves and type(rows) is list):
                return None
            out = [tuple(row) for row in rows if type(row) is list and len(row) == 3 and type(row[0]) is int
                   and type(row[1]) is str and type(row[2]) is str]
            if len(out) != len(rows):
                return None
            parsed[int(leaf)] = out
        return cls(path=path, kind=kind, role=role, warnings=warnings, health=health, hits=parsed)


def _leaf_key(op: str, params: Params) -> str:
    return f"{op}:{params.model_dump_json()}"


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
        for number, (op, params) in enumerate(self.leaves):
            for hit in MATCHERS[op][1](params, index):
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
