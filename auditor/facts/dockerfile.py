"""Dockerfile facts: one ``instruction`` fact per instruction, continuations joined.

``instruction``: ``name`` (upper case), ``args`` (the joined argument text), ``flags``
(``--from=builder`` style options as a dict), ``stage`` (0-based index of the ``FROM``
stage it belongs to), ``line`` (where the instruction starts).
"""

from __future__ import annotations

import re

from auditor.facts import Fact

_DIRECTIVE = re.compile(r"^#\s*escape\s*=\s*(\S)", re.I)
_FLAG = re.compile(r"^--([A-Za-z-]+)(?:=(\S*))?\s*")


def extract_dockerfile(text: str) -> list[Fact]:
    lines = text.splitlines()
    escape = "\\"
    for line in lines[:5]:
        m = _DIRECTIVE.match(line.strip())
        if m:
            escape = m.group(1)
    facts: list[Fact] = []
    stage = -1
    i = 0
    heredoc: str | None = None
    while i < len(lines):
        raw = lines[i]
        start = i + 1
        i += 1
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        parts = [stripped]
        while parts[-1].endswith(escape) and i < len(lines):
            parts[-1] = parts[-1][:-1].rstrip()
            # comment and empty lines inside a continuation are dropped, as Docker does: the
            # instruction goes on with the next line
            while i < len(lines) and (not lines[i].strip() or lines[i].strip().startswith("#")):
                i += 1
            if i >= len(lines):
                break
            parts.append(lines[i].strip())
            i += 1
        joined = " ".join(p for p in parts if p)
        m = re.match(r"^([A-Za-z]+)\s*(.*)$", joined, re.S)
        if not m:
            continue
        name = m.group(1).upper()
        args = m.group(2)
        hd = re.search(r"<<-?\s*[\"']?([A-Za-z_][A-Za-z0-9_]*)", args)
        if hd:
            heredoc = hd.group(1)
            body = []
            while i < len(lines) and lines[i].strip() != heredoc:
                body.append(lines[i])
                i += 1
            i += 1
            args = args + "\n" + "\n".join(body)
        flags: dict[str, str] = {}
        rest = args
        while True:
            fm = _FLAG.match(rest)
            if not fm:
                break
            flags[fm.group(1).lower()] = fm.group(2) or ""
            rest = rest[fm.end():]
        if name == "FROM":
            stage += 1
        facts.append({"t": "instruction", "name": name, "args": args, "flags": flags,
                      "stage": max(stage, 0), "line": start})
    return facts
