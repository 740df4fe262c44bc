"""Bandit findings as facts: bandit's checks run over one already-parsed Python file.

Fact type ``bandit``: ``test_id`` (``B105``), ``line``, ``severity`` and ``confidence``
(``LOW``/``MEDIUM``/``HIGH``), ``text`` (bandit's message, shortened) and ``scope`` (the
dotted name of the enclosing function/class, or ``<module>``, as in the other Python facts);
a B608 finding also has ``formatted``: the source text of the values formatted into its SQL,
when the formatting expression is found.
Only the checks in ``BANDIT_TESTS`` run: those that bear on a checklist item.
``# nosec`` comments are honoured as bandit does.

The caller parses the file once with :mod:`ast` and hands the tree here (radon shares it);
a file ``ast`` cannot parse is reported as "not checked by bandit", never as clean.
"""

from __future__ import annotations

import ast
import io
import logging
import tokenize
from functools import lru_cache
from typing import Any

from auditor.facts import Fact
from auditor.facts.sqlvalues import formatted_values

BANDIT_TESTS: tuple[str, ...] = (
    "B104",  # binding to all interfaces
    "B105", "B106", "B107",  # hard-coded passwords / secrets
    "B113",  # requests without a timeout
    "B201",  # Flask app run with debug=True
    "B303", "B324",  # weak hashes (md5/sha1)
    "B501",  # TLS certificate verification disabled
    "B608",  # SQL built from strings
)
MAX_TEXT = 160
MAX_VALUES = 20


@lru_cache(maxsize=1)
def _setup() -> tuple[Any, Any]:
    """Bandit's config and test set, built once per process (plugin loading is slow)."""
    for name in ("bandit", "stevedore"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    from bandit.core import config as b_config
    from bandit.core import meta_ast, test_set

    conf = b_config.BanditConfig()
    tests = test_set.BanditTestSet(conf, {"include": list(BANDIT_TESTS)})
    return tests, meta_ast.BanditMetaAst()


def _nosec_lines(data: bytes) -> dict[int, set[str]]:
    from bandit.core.manager import _parse_nosec_comment

    lines: dict[int, set[str]] = {}
    if b"nosec" not in data:
        return lines  # tokenizing costs as much as bandit's own checks
    try:
        for tok in tokenize.tokenize(io.BytesIO(data).readline):
            if tok.type == tokenize.COMMENT and "nosec" in tok.string:
                lines[tok.start[0]] = _parse_nosec_comment(tok.string)
    except (tokenize.TokenError, SyntaxError):
        pass
    return lines


def _scopes(tree: ast.Module) -> list[tuple[int, int, str]]:
    """(first line, last line, dotted name) of every function and class, outermost first."""
    out: list[tuple[int, int, str]] = []

    def walk(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                out.append((child.lineno, child.end_lineno or child.lineno, name))
                walk(child, f"{name}.")
            else:
                walk(child, prefix)

    walk(tree, "")
    return out


def scope_at(scopes: list[tuple[int, int, str]], line: int) -> str:
    """The innermost function or class around a line, or ``<module>``."""
    found = "<module>"
    for first, last, name in scopes:
        if first <= line <= last:
            found = name
    return found


def bandit_facts(tree: ast.Module, data: bytes, path: str) -> list[Fact]:
    """Bandit's findings in one parsed file, sorted by line and test id."""
    from bandit.core import metrics as b_metrics
    from bandit.core import node_visitor

    tests, meta = _setup()
    metrics = b_metrics.Metrics()
    metrics.begin(path)
    visitor = node_visitor.BanditNodeVisitor(path, io.BytesIO(data), meta, tests, False,
                                             _nosec_lines(data), metrics)
    visitor.generic_visit(tree)
    visitor.context = {"file_data": io.BytesIO(data), "filename": path, "lineno": 0,
                       "linerange": [0, 1], "col_offset": 0}
    visitor.update_scores(visitor.tester.run_tests(visitor.context, "File"))
    scopes = _scopes(tree)
    facts: list[Fact] = []
    seen: set[tuple[int, str]] = set()
    formatted = formatted_values(tree, [int(i.lineno) for i in visitor.tester.results if i.test_id == "B608"])
    for issue in visitor.tester.results:
        key = (int(issue.lineno), str(issue.test_id))
        if key in seen:
            continue
        seen.add(key)
        fact: Fact = {
            "t": "bandit", "line": max(int(issue.lineno), 1), "scope": scope_at(scopes, int(issue.lineno)),
            "test_id": str(issue.test_id), "severity": str(issue.severity),
            "confidence": str(issue.confidence), "text": str(issue.text)[:MAX_TEXT],
        }
        if issue.test_id == "B608" and int(issue.lineno) in formatted:
            fact["formatted"] = formatted[int(issue.lineno)][:MAX_VALUES]
        facts.append(fact)
    facts.sort(key=lambda f: (f["line"], f["test_id"]))
    return facts
