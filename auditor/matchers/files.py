"""Matchers over files other than Python: structured config keys, Dockerfile instructions,
text search, file existence and declared dependencies."""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, field_validator

from auditor.facts.extract import NAMED_TEXT_KINDS
from auditor.matchers.index import FactIndex, Hit
from auditor.matchers.patterns import (
    Regex,
    compiled_regex,
    flagged_regex,
    key_matches,
    listify,
    name_matches,
    path_matches,
    value_matches,
)
from auditor.matchers.registry import Params, matcher


class KeyParams(Params):
    """A key in a structured config file (YAML/TOML/JSON), by dotted path glob and value."""

    kind: list[str] = Field(description="compose, workflow, k8s, prometheus, helm, yaml, toml, json")
    path: str = Field(description="dotted path glob: services.*.healthcheck, jobs.*.steps.*.uses")
    value: Regex | None = None
    scope_by: int = Field(default=0, ge=0, description=(
        "the hit's scope, for `within: scope`: the first N segments of its key path (2 keeps a workflow "
        "job's keys together, jobs.test; 1 a GitLab job's); 0 the whole YAML document"))
    _n = field_validator("kind", mode="before")(listify)


@matcher("config.key", KeyParams, reads=("key",), own_file_filter=True)
def match_key(p: KeyParams, index: FactIndex) -> list[Hit]:
    hits = []
    def accept(path: Any) -> bool:
        return isinstance(path, str) and key_matches(path, p.path)

    for file, fact in index.facts_where("key", "path", accept, p.roles(), frozenset(p.kind)):
        if p.file and not path_matches(file.path, p.file):
            continue
        key = fact["path"]
        if p.value is not None:
            if fact["value"] is None:
                continue
            found = value_matches(fact["value"], p.value)
            if found is None:
                continue
            key = found
        scope = f"doc{fact.get('doc', 0)}"
        if p.scope_by:
            scope += ":" + ".".join(fact["path"].split(".")[:p.scope_by])
        hits.append(Hit(file.path, fact["line"], key, scope))
    return hits


class InstructionParams(Params):
    """A Dockerfile instruction (``FROM``, ``HEALTHCHECK``, ``COPY --from``, ``RUN --mount``)."""

    name: list[str]
    args: Regex | None = Field(default=None, description="regex searched in the arguments")
    flag: str | None = Field(default=None, description="an option such as from, mount")
    flag_value: Regex | None = None
    _n = field_validator("name", mode="before")(listify)


@matcher("dockerfile.instruction", InstructionParams, reads=("instruction",))
def match_instruction(p: InstructionParams, index: FactIndex) -> list[Hit]:
    names = {n.upper() for n in p.name}
    hits = []
    for file, fact in index.facts("instruction", p.roles(), frozenset({"dockerfile"})):
        if fact["name"] not in names:
            continue
        key = fact["name"]
        if p.args is not None:
            m = compiled_regex(p.args).search(fact["args"])
            if not m:
                continue
            key = m.group(0)
        if p.flag is not None:
            if p.flag not in fact["flags"]:
                continue
            if p.flag_value is not None and not compiled_regex(p.flag_value).search(fact["flags"][p.flag]):
                continue
        hits.append(Hit(file.path, fact["line"], key, f"stage{fact['stage']}"))
    return hits


# line comments of config files and shell (``#``) and of C-like scripts (``//``, ``/*``)
_COMMENT_MARKERS = ("#", "//", "/*")


class TextParams(Params):
    """Text search in non-Python files (Markdown, nginx, ini, Makefile, scripts...). A last
    resort: each use says why no structured matcher fits."""

    kind: list[str] = Field(default_factory=list, description="file kinds; empty = all text kinds (json and "
                            "other only when the rule names them or gives file)")
    pattern: Regex
    ignore_case: bool = False
    _n = field_validator("kind", mode="before")(listify)


@matcher("text.match", TextParams, own_file_filter=True)
def match_text(p: TextParams, index: FactIndex) -> list[Hit]:
    flags = re.M | (re.I if p.ignore_case else 0)
    regex = flagged_regex(p.pattern, flags)
    kinds = frozenset(p.kind) if p.kind else None
    hits = []
    for file in index.iter_files(p.roles(), kinds):
        if file.text is None or (p.file and not path_matches(file.path, p.file)):
            continue
        if kinds is None and not p.file and file.kind in NAMED_TEXT_KINDS:
            continue  # JSON and files no extractor reads: searched when the rule names them
        text = file.text
        line, counted = 1, 0  # matches come in order: count newlines since the previous one only
        in_file = 0
        for m in regex.finditer(text):
            # the line of the match's first visible character: `^\s*key` can start on a blank
            # line above the key it proves
            found = m.group(0)
            start = m.start() + (len(found) - len(found.lstrip()) if found.strip() else 0)
            line_start = text.rfind("\n", 0, start) + 1
            line_end = text.find("\n", start)
            line_text = text[line_start:line_end if line_end >= 0 else None]
            if line_text.lstrip().startswith(_COMMENT_MARKERS) and file.kind not in ("markdown",):
                continue  # commented-out config (or a script's comment) does not count
            line += text.count("\n", counted, start)
            counted = start
            hits.append(Hit(file.path, line, found.strip()[:120] or found[:120], ""))
            in_file += 1
            if in_file >= 200:  # per file, so a file's hits never depend on other files
                break
    return hits


class FileParams(Params):
    """A file exists whose path matches a glob (``**/alembic/versions/*.py``)."""

    path: list[str]
    _n = field_validator("path", mode="before")(listify)


@matcher("file.exists", FileParams, presence=True)
def match_file(p: FileParams, index: FactIndex) -> list[Hit]:
    return [Hit(f.path, 1, f.path, "") for f in index.iter_files(p.roles()) if path_matches(f.path, p.path)]


class DependencyParams(Params):
    """A declared dependency (pyproject, requirements*.txt, setup.cfg). Declared only: at most
    partial on its own (ground rule 3)."""

    name: list[str]
    role: list[str] = Field(default_factory=lambda: ["any"])
    _n = field_validator("name", mode="before")(listify)


@matcher("dependency", DependencyParams, reads=("dependency",), presence=True)
def match_dependency(p: DependencyParams, index: FactIndex) -> list[Hit]:
    wanted = [n.lower() for n in p.name]
    return [Hit(f.path, x["line"], x["name"], "") for f, x in index.facts("dependency", p.roles())
            if name_matches(x["name"], wanted)]

