"""Radon code metrics as facts: cyclomatic complexity per function and the file's maintainability index.

Fact types (from an already-parsed :mod:`ast` tree, shared with bandit):

- ``radon_cc``  ``name`` (``Class.method`` or ``function``), ``line``, ``cc``, ``rank`` (A-F),
  ``scope`` (the dotted name, like other Python facts).
- ``radon_mi``  ``line`` 1, ``mi`` (0-100, rounded to 0.1), ``rank`` (A-C), ``scope`` ``<module>``.
"""

from __future__ import annotations

import ast
from typing import Any

from auditor.facts import Fact
from auditor.facts.radon_raw import raw_metrics


def _blocks(visitor: Any) -> list[tuple[str, int, int]]:
    """(qualified name, line, complexity) of every function and method, nested ones included."""
    out: list[tuple[str, int, int]] = []

    def walk_function(fn: Any, prefix: str) -> None:
        name = f"{prefix}{fn.name}"
        out.append((name, int(fn.lineno), int(fn.complexity)))
        for inner in getattr(fn, "closures", []):
            walk_function(inner, f"{name}.")
        for cls in getattr(fn, "classes", []) or []:
            walk_class(cls, f"{name}.")

    def walk_class(cls: Any, prefix: str) -> None:
        for method in cls.methods:
            walk_function(method, f"{prefix}{cls.name}.")
        for inner in getattr(cls, "inner_classes", []):
            walk_class(inner, f"{prefix}{cls.name}.")

    for fn in visitor.functions:
        walk_function(fn, "")
    for cls in visitor.classes:
        walk_class(cls, "")
    return out


def radon_facts(tree: ast.Module, text: str) -> list[Fact]:
    """Complexity of every function and the maintainability index of the file."""
    from radon.complexity import cc_rank
    from radon.metrics import h_visit_ast, mi_compute, mi_rank
    from radon.visitors import ComplexityVisitor

    visitor = ComplexityVisitor.from_ast(tree)
    facts: list[Fact] = []
    for name, line, cc in sorted(_blocks(visitor), key=lambda b: (b[1], b[0])):
        facts.append({"t": "radon_cc", "line": line, "scope": name, "name": name, "cc": cc, "rank": cc_rank(cc)})
    raw = raw_metrics(text)
    comments = (raw.comments + raw.multi) / float(raw.sloc) * 100 if raw.sloc else 0.0
    mi = mi_compute(h_visit_ast(tree).total.volume, visitor.total_complexity, raw.lloc, comments)
    facts.append({"t": "radon_mi", "line": 1, "scope": "<module>", "mi": round(float(mi), 1), "rank": mi_rank(mi)})
    return facts
