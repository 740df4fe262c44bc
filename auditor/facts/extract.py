"""Extract one file's facts by its kind; problems become warnings, never exceptions."""

from __future__ import annotations

import ast
import re
import warnings
from typing import Protocol

from auditor.facts import Fact, FileFacts
from auditor.facts.dockerfile import extract_dockerfile
from auditor.facts.outline import Outline, outline
from auditor.facts.pyast import ast_facts
from auditor.facts.structured import (
    StructureError,
    extract_json,
    extract_requirements,
    extract_setup_cfg,
    extract_toml,
    extract_yaml,
)

# Kinds whose text a text search reads only when the rule names the kind or the file.
NAMED_TEXT_KINDS = frozenset({"json", "other"})
TEXT_KINDS = frozenset({"markdown", "ini", "env", "conf", "text", "requirements", "dockerfile", "helm", "toml"})
MAX_TEXT_CHARS = 1_000_000
# LibCST's native parser crashes the process (stack overflow) on deeply nested brackets and
# takes minutes, uninterruptibly, on very long operator chains; CPython's parser refuses such
# files cleanly. Python itself allows at most 200 nested brackets.
MAX_PYTHON_BRACKETS = 200
MAX_PYTHON_DEPTH = 400


class Source(Protocol):
    """A file to extract, as discovery describes it: path relative to the root, kind and role."""

    @property
    def path(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def role(self) -> str: ...


_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"([{)]}")


def _bracket_depth(data: bytes) -> int:
    """The deepest bracket nesting in the raw bytes (strings and comments counted too: an upper bound)."""
    depth = best = 0
    for byte in data.translate(None, _NOT_BRACKETS):
        if byte in b"([{":
            depth += 1
            best = max(best, depth)
        else:
            depth = max(depth - 1, 0)
    return best


def python_guard(data: bytes) -> str | None:
    """Why a Python file is too deeply nested for LibCST to parse safely, or None when it is safe.

    CPython's own parser (which fails with an exception, never a crash) measures the file first.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(data)
    except (RecursionError, MemoryError):
        return "not parsed: nesting too deep for the parser"
    except (SyntaxError, ValueError) as exc:
        if "too many nested" in str(exc) or "too many levels" in str(exc):
            return "not parsed: nesting too deep for the parser"
        # not Python 3 as this interpreter knows it (Python 2, newer syntax, broken): LibCST decides,
        # unless the brackets alone are deeper than any valid Python file's
        if _bracket_depth(data) > MAX_PYTHON_BRACKETS:
            return f"not parsed: brackets nested more than {MAX_PYTHON_BRACKETS} deep"
        return None
    shape = outline(tree)
    if shape.depth > MAX_PYTHON_DEPTH:
        return f"not parsed: expression nesting {shape.depth} deep is over the limit of {MAX_PYTHON_DEPTH}"
    _last_parse[:] = [data, tree, shape]
    return None


_last_parse: list[object] = []
"""The bytes, ``ast`` tree and outline python_guard just made, handed on once so no one parses twice."""


def _parsed_tree(data: bytes) -> tuple[ast.Module | None, Outline | None]:
    """The tree and outline python_guard made from these very bytes (taken once), or Nones."""
    if _last_parse and _last_parse[0] is data:
        _, tree, shape = _last_parse
        _last_parse.clear()
        if isinstance(tree, ast.Module) and isinstance(shape, Outline):
            return tree, shape
    _last_parse.clear()
    return None, None


def extract_python(source: bytes, tree: ast.AST | None = None, shape: Outline | None = None) -> list[Fact]:
    """:func:`auditor.facts.python.extract_python`, imported on first use (LibCST takes 0.3 s to import)."""
    from auditor.facts.python import extract_python as extract

    return extract(source, tree, shape)


def decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


_RULE_KEY = re.compile(r"rules\.[^.]+\.(implemented|missing)\.reason")
_CHECKLIST_KEY = re.compile(r"sections\.\d+\.items\.\d+\.(rule|remediation)")


def is_auditor_file(facts: list[Fact]) -> bool:
    """Whether YAML keys are those of a checklist-auditor rule file or checklist."""
    found: set[str] = set()
    for fact in facts:
        path = fact.get("path")
        if not isinstance(path, str):
            continue
        if (m := _RULE_KEY.fullmatch(path)) is not None:
            found.add(m.group(1))
        elif (m := _CHECKLIST_KEY.fullmatch(path)) is not None:
            found.add(m.group(1))
        if found >= {"implemented", "missing"} or found >= {"rule", "remediation"}:
            return True
    return False


def extract_bytes(source: Source, data: bytes, max_yaml_nodes: int = 200_000) -> FileFacts:
    """Facts from the bytes of one file. Depends only on (path, kind, role, bytes)."""
    out = FileFacts(path=source.path, kind=source.kind, role=source.role)
    kind = source.kind
    if kind == "python":
        if b"\x00" in data:
            out.warnings.append("not parsed: file contains NUL bytes")
            return out
        guard = python_guard(data)
        if guard is not None:
            out.warnings.append(guard)
            return out
        tree, shape = _parsed_tree(data)  # one ast parse serves the guard, fact lines, bandit and radon
        import libcst as cst  # imported on first use: a scan served from the cache never needs it

        try:
            out.facts = extract_python(data, tree, shape)
        except cst.ParserSyntaxError as exc:
            message = " ".join(exc.message.split())
            message = message if len(message) <= 100 else message[:100] + "..."
            out.warnings.append(f"not parsed: syntax error at line {exc.raw_line}: {message}")
        except RecursionError:
            out.warnings.append("not parsed: nesting too deep for the parser")
        except (UnicodeDecodeError, LookupError, SyntaxError, ValueError) as exc:
            out.warnings.append(f"not parsed: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
        extra, extra_warnings = ast_facts(data, source.path, source.role, tree)
        out.facts.extend(extra)
        if not out.warnings:  # one warning per file: a file LibCST could not parse is not checked at all
            out.warnings.extend(extra_warnings)
        return out
    text = decode(data)
    try:
        if kind in ("compose", "workflow", "yaml"):
            out.kind, out.facts = extract_yaml(text, kind, max_yaml_nodes)
            if is_auditor_file(out.facts):
                out.facts = []  # the auditor's own rules or checklist describe practices, they do none
                return out
        elif kind == "toml":
            out.facts = extract_toml(text, source.path, max_yaml_nodes)
        elif kind == "json":
            out.facts = extract_json(text, max_yaml_nodes)
        elif kind == "requirements":
            out.facts = extract_requirements(text)
        elif kind == "dockerfile":
            out.facts = extract_dockerfile(text)
        elif kind == "ini" and source.path.rsplit("/", 1)[-1] == "setup.cfg":
            out.facts = extract_setup_cfg(text)
    except StructureError as exc:
        out.warnings.append(f"not parsed: {exc}")
    if out.kind in TEXT_KINDS or kind in TEXT_KINDS or out.kind in ("yaml", "compose", "workflow", "k8s", "prometheus"):
        out.text = text[:MAX_TEXT_CHARS]
    elif kind in NAMED_TEXT_KINDS:
        out.text = named_text(data)
    return out


def named_text(data: bytes) -> str | None:
    """The text of a JSON or ``other`` file, or None when it is not UTF-8 text (an image, an archive)."""
    if b"\x00" in data:
        return None
    try:
        return data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")[:MAX_TEXT_CHARS]
    except UnicodeDecodeError:
        return None
