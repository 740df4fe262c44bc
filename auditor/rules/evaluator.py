"""Conditions evaluated over each leaf's hits in the whole tree: what holds, the hits that show
it, and what each leaf's hits prove. Knows no item by id."""

from __future__ import annotations

import re
from collections.abc import Callable
from operator import itemgetter
from typing import Any

from auditor.matchers import MATCHERS, Params, shared_options
from auditor.matchers.index import Hit
from auditor.model import Status
from auditor.rules.schema import Condition, Rule

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


def evaluate_rule(rule: Rule, ev: Evaluator) -> tuple[Status, list[Hit], str]:
    """A rule's status, the hits behind it and its reason: not applicable, implemented,
    partial or missing, in that order of checks."""
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
