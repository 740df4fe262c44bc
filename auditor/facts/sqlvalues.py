"""Which values formatted into SQL text are fixed by the code rather than by input.

A constant (an UPPER_CASE name, possibly dotted), a list of bind placeholders built for an
``IN (...)`` clause, or a table's name read off a model (Django's ``_meta.db_table``,
SQLAlchemy's ``__tablename__`` or ``__table__.name``) cannot carry a request's data into
the query, nor can a name the file only ever assigns a literal to; anything else may.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Collection, Iterable, Mapping
from typing import Any

_FIXED = re.compile(
    r"(?:.*\.)?(?:[A-Z][A-Z0-9_]*|\w*(?:placeholders?|qmarks|bind_?markers?))"
    r"|(?:.*\.)?(?:_meta\.db_table|__tablename__|__table__\.(?:name|fullname))"
    r"|'[^']*'|\"[^\"]*\"|-?\d+(?:\.\d+)?")


def fixed_value(text: str, literals: Collection[str] = ()) -> bool:
    """True when the text of a formatted value names something fixed by the code: a constant,
    a table's name, or one of ``literals`` (names the file only ever assigns literals to)."""
    text = text.strip()
    return _FIXED.fullmatch(text) is not None or text in literals


def any_variable(texts: Iterable[str], literals: Collection[str] = ()) -> bool:
    """True when some formatted value may come from input."""
    return any(not fixed_value(t, literals) for t in texts)


def literal_names(facts: Iterable[Mapping[str, Any]]) -> frozenset[str]:
    """The names a file assigns only literal strings and numbers to (``base_sql = "SELECT ..."``):
    text formatted in from them is fixed by the code, whatever their case."""
    literal: set[str] = set()
    other: set[str] = set()
    for fact in facts:
        if fact.get("t") != "assign" or not isinstance(fact.get("target"), str):
            continue
        value = fact.get("value")
        is_literal = isinstance(value, (str, int, float)) and fact.get("op") == "="
        (literal if is_literal else other).add(fact["target"])
    return frozenset(literal - other)


def formatted_values(tree: ast.Module, line: int) -> list[str] | None:
    """The source text of the values formatted into the string literal that starts on ``line``
    (f-string fields, the right side of ``%``, the arguments of ``.format()``, the non-literal
    operands of ``+``), from the smallest such expression; None when there is none."""
    best: tuple[int, list[str]] | None = None
    for node in ast.walk(tree):
        values = _values(node, line)
        if values is None:
            continue
        size = (getattr(node, "end_lineno", None) or node.lineno) - node.lineno  # type: ignore[attr-defined]
        if best is None or size < best[0]:
            best = (size, values)
    return None if best is None else best[1]


def _starts_literal(node: ast.AST, line: int) -> bool:
    return isinstance(node, (ast.Constant, ast.JoinedStr)) and getattr(node, "lineno", 0) == line and (
        not isinstance(node, ast.Constant) or isinstance(node.value, str))


def _values(node: ast.AST, line: int) -> list[str] | None:
    if isinstance(node, ast.JoinedStr) and node.lineno == line:
        return [ast.unparse(v.value) for v in node.values if isinstance(v, ast.FormattedValue)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and _starts_literal(node.left, line):
        right = node.right
        items = right.elts if isinstance(right, ast.Tuple) else (
            [v for v in right.values] if isinstance(right, ast.Dict) else [right])
        return [ast.unparse(v) for v in items]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        operands = _added(node)
        if any(_starts_literal(o, line) for o in operands):
            return [ast.unparse(o) for o in operands
                    if not (isinstance(o, ast.Constant) and isinstance(o.value, str))]
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format"
            and _starts_literal(node.func.value, line)):
        return [ast.unparse(a) for a in node.args] + [ast.unparse(k.value) for k in node.keywords]
    return None


def _added(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _added(node.left) + _added(node.right)
    return [node]
