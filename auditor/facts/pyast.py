"""One :mod:`ast` parse of a runtime Python file, shared by the bandit and radon fact extractors.

A file the running Python's ``ast`` cannot parse (newer syntax, encoding trouble) gets a
warning saying it was not checked by bandit or radon: absent findings then mean "not
checked", never "clean".
"""

from __future__ import annotations

import ast
import io
import tokenize
import warnings
from functools import cache
from importlib import metadata

from auditor.facts import Fact
from auditor.facts.bandit import bandit_facts
from auditor.facts.radon import radon_facts

ANALYSED_ROLES = frozenset({"runtime"})


def cache_salt(kind: str, role: str) -> str:
    """What besides a file's bytes decides its facts: the role, and bandit's and radon's versions."""
    if kind != "python":
        return ""
    return f"{role}:bandit={_version('bandit')}:radon={_version('radon')}"


@cache
def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "absent"


def ast_facts(data: bytes, path: str, role: str, tree: ast.Module | None = None) -> tuple[list[Fact], list[str]]:
    """Bandit and radon facts for one Python file, plus warnings for what could not be checked.

    ``tree``: the file's :mod:`ast` tree when the caller has parsed it already.
    """
    if role not in ANALYSED_ROLES:
        return [], []
    try:
        if tree is None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(data, filename=path)
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)  # PEP 263 (latin-1, cp1252...)
        text = data.decode(encoding)
    except (SyntaxError, ValueError, UnicodeDecodeError, RecursionError, MemoryError) as exc:
        detail = f"line {exc.lineno}: {exc.msg}" if isinstance(exc, SyntaxError) else type(exc).__name__
        return [], [f"not checked by bandit or radon: cannot parse ({detail})"]
    facts: list[Fact] = []
    out_warnings: list[str] = []
    try:
        facts.extend(bandit_facts(tree, data, path))
    except Exception as exc:  # a bandit plugin crash must not stop the scan
        out_warnings.append(f"not checked by bandit: {type(exc).__name__}: {exc}"[:200])
    try:
        facts.extend(radon_facts(tree, text))
    except Exception as exc:  # same for radon
        out_warnings.append(f"not checked by radon: {type(exc).__name__}: {exc}"[:200])
    return facts, out_warnings
