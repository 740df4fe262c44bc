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


def formatted_values(tree: ast.Module, lines: Collection[int]) -> dict[int, list[str]]:
    """For each of ``lines``, the source text of the values formatted into the string literal
    that starts there (f-string fields, the right side of ``%``, the arguments of ``.format()``,
    the non-literal operands of ``+``), from the smallest such expression; lines with none are
    left out. One walk of the tree serves every line."""
    wanted = set(lines)
    best: dict[int, tuple[int, list[str]]] = {}
    if not wanted:
        return {}
    for node in ast.walk(tree):
        for line, values in _formatting(node):
            if line not in wanted:
                continue
            size = (getattr(node, "end_lineno", None) or line) - getattr(node, "lineno", line)
            if line not in best or size < best[line][0]:
                best[line] = (size, values)
    return {line: values for line, (_, values) in best.items()}


def _literal_line(node: ast.AST) -> int | None:
    """The line a string literal or f-string starts on; None for anything else."""
    if isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str)):
        return node.lineno
    return None


def _formatting(node: ast.AST) -> list[tuple[int, list[str]]]:
    """(line of the literal, values formatted into it) for a node that formats a string."""
    if isinstance(node, ast.JoinedStr):
        return [(node.lineno, [ast.unparse(v.value) for v in node.values if isinstance(v, ast.FormattedValue)])]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        line = _literal_line(node.left)
        if line is None:
            return []
        right = node.right
        items = right.elts if isinstance(right, ast.Tuple) else (
            list(right.values) if isinstance(right, ast.Dict) else [right])
        return [(line, [ast.unparse(v) for v in items if v is not None])]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        operands = _added(node)
        values = [ast.unparse(o) for o in operands if not (isinstance(o, ast.Constant) and isinstance(o.value, str))]
        starts = {line for line in map(_literal_line, operands) if line is not None}
        return [(line, values) for line in sorted(starts)]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        line = _literal_line(node.func.value)
        if line is None:
            return []
        return [(line, [ast.unparse(a) for a in node.args] + [ast.unparse(k.value) for k in node.keywords])]
    return []


def _added(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _added(node.left) + _added(node.right)
    return [node]
