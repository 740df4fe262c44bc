"""Extract one file's facts by its kind; problems become warnings, never exceptions."""

from __future__ import annotations

from pathlib import Path

import libcst as cst

from auditor.discover import SourceFile
from auditor.facts import FileFacts
from auditor.facts.dockerfile import extract_dockerfile
from auditor.facts.pyast import ast_facts
from auditor.facts.python import extract_python
from auditor.facts.structured import (
    StructureError,
    extract_json,
    extract_requirements,
    extract_setup_cfg,
    extract_toml,
    extract_yaml,
)

TEXT_KINDS = frozenset({"markdown", "ini", "env", "conf", "text", "requirements", "dockerfile", "helm", "toml"})
MAX_TEXT_CHARS = 1_000_000


def decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def extract_bytes(source: SourceFile, data: bytes, max_yaml_nodes: int = 200_000) -> FileFacts:
    """Facts from the bytes of one file. Depends only on (path, kind, role, bytes)."""
    out = FileFacts(path=source.path, kind=source.kind, role=source.role)
    kind = source.kind
    if kind == "python":
        if b"\x00" in data:
            out.warnings.append("not parsed: file contains NUL bytes")
            return out
        try:
            out.facts = extract_python(data)
        except cst.ParserSyntaxError as exc:
            out.warnings.append(f"not parsed: syntax error at line {exc.raw_line}: {exc.message}")
        except RecursionError:
            out.warnings.append("not parsed: nesting too deep for the parser")
        except (UnicodeDecodeError, LookupError, SyntaxError, ValueError) as exc:
            out.warnings.append(f"not parsed: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
        extra, extra_warnings = ast_facts(data, source.path, source.role)
        out.facts.extend(extra)
        out.warnings.extend(extra_warnings)
        return out
    text = decode(data)
    try:
        if kind in ("compose", "workflow", "yaml"):
            out.kind, out.facts = extract_yaml(text, kind, max_yaml_nodes)
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
    return out


def extract_file(root: Path, source: SourceFile, max_yaml_nodes: int = 200_000) -> FileFacts:
    try:
        data = (root / source.path).read_bytes()
    except OSError as exc:
        out = FileFacts(path=source.path, kind=source.kind, role=source.role)
        out.warnings.append(f"not read: {exc.strerror or exc}")
        return out
    return extract_bytes(source, data, max_yaml_nodes)
