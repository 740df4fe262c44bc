"""Property-based tests: arbitrary input never makes an extractor or the verify parser raise an undocumented error.

Documented errors: the YAML (compose, workflow), TOML and JSON extractors raise only
``StructureError``; the requirements, setup.cfg and Dockerfile extractors and
``verify.parse_document`` never raise; ``verify.verify_document`` raises only ``AuditorError``;
``extract_bytes`` (what a scan calls) never raises for any kind. Inputs mix plain random text with
text built from each format's own tokens, so the parsers get past their first character.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from render_sample import sample_report

from auditor.adopt.verify import fix_document, parse_document, verify_document
from auditor.engine.discover import SourceFile
from auditor.errors import AuditorError
from auditor.facts import Fact
from auditor.facts.dockerfile import extract_dockerfile
from auditor.facts.extract import extract_bytes, python_guard
from auditor.facts.structured import (
    StructureError,
    extract_json,
    extract_requirements,
    extract_setup_cfg,
    extract_toml,
    extract_yaml,
)

pytestmark = pytest.mark.slow  # processes, whole-tree scans or generated cases

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _tokens(*tokens: str) -> st.SearchStrategy[str]:
    """Text made of a format's tokens, spaces, newlines and the odd random character."""
    piece = st.one_of(st.sampled_from(tokens), st.sampled_from([" ", "  ", "\n", "\t", "\r\n"]),
                      st.text(max_size=3))
    return st.lists(piece, max_size=60).map("".join)


# Plain JSON-ready values, to be dumped as YAML/TOML/JSON and then cut or spliced.
JSON_VALUES: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=20,
)

YAML_TEXT = st.one_of(
    st.text(),
    _tokens("key:", "- ", ": ", "&a ", "*a", "<<: *a", "[", "]", "{", "}", ",", "---", "...", "|", ">", "'", '"',
            "!!python/object:os.system", "!!binary", "!Custom", "? ", "#", "%YAML 1.1", "{{ .Values.x }}",
            "services:", "jobs:", "steps:", "apiVersion: v1", "kind: Pod", "groups:", "rules:", "alert: X"),
    JSON_VALUES.map(lambda v: yaml.safe_dump(v)),
    st.tuples(JSON_VALUES, st.integers(min_value=0, max_value=200)).map(lambda t: yaml.safe_dump(t[0])[: t[1]]),
)
TOML_TEXT = st.one_of(
    st.text(),
    _tokens("[tool]", "[[a.b]]", "[project]", "a = ", "b.c = ", '"x"', "'y'", '"""', "1", "1.5", "true", "[",
            "]", "{", "}", ",", "=", "1979-05-27T07:32:00Z", "inf", "nan", "0x1F", "dependencies = [", '"fastapi>=1"',
            "[tool.poetry.dependencies]", "python = '^3.11'", "#"),
)
JSON_TEXT = st.one_of(
    st.text(),
    _tokens("{", "}", "[", "]", ",", ":", '"a"', '"paths"', "1", "-0.5e9", "true", "null", '"\\u0000"', '"\\ud800"'),
    JSON_VALUES.map(json.dumps),
    st.tuples(JSON_VALUES, st.integers(min_value=0, max_value=100)).map(lambda t: json.dumps(t[0])[: t[1]]),
)
REQUIREMENTS_TEXT = st.one_of(
    st.text(),
    _tokens("fastapi", "==1.0", ">=2", "[extra]", "; python_version<'3.12'", "-r other.txt", "--hash=sha256:x",
            "-e .", "git+https://x/y.git#egg=z", "#", "\\", "@ https://x"),
)
SETUP_CFG_TEXT = st.one_of(
    st.text(),
    _tokens("[options]", "[metadata]", "install_requires =", "install_requires=requests", "    flask", "\tdjango",
            "name = x", "=", "[", "]", "#", ";"),
)
DOCKERFILE_TEXT = st.one_of(
    st.text(),
    _tokens("FROM python:3.12 AS base", "RUN ", "\\", "`", "# escape=`", "# escape=\\", "<<EOF", "EOF", "<<-'X'",
            "COPY --from=base --chown=a:b . .", "--mount=type=cache", "HEALTHCHECK CMD curl", "USER app", "#",
            "ENV A=1", "CMD [\"python\"]", "ARG X", "\\\n", "--"),
)
MARKDOWN_TEXT = st.one_of(
    st.text(),
    _tokens("# Title", "## Database", "### Security", "- [x] ", "- [ ] ", "* [X] ", "1. [x] ", "+ [ ] ", "```",
            "~~~", "Connection pooling", "Health checks", "Structured logging", "Rate limiting", "\\", "[", "]"),
)
KINDS = ("python", "dockerfile", "compose", "workflow", "yaml", "toml", "json", "requirements", "markdown", "ini",
         "env", "conf", "text")


def _check_facts(facts: list[Fact]) -> None:
    json.dumps(facts)  # facts are JSON-ready (they are cached as JSON)
    for fact in facts:
        assert isinstance(fact["t"], str)
        assert isinstance(fact["line"], int) and fact["line"] >= 1


@SETTINGS
@given(YAML_TEXT, st.sampled_from(["yaml", "compose", "workflow"]))
def test_yaml_raises_only_structure_error(text: str, kind: str) -> None:
    try:
        refined, facts = extract_yaml(text, kind, max_nodes=5_000)
    except StructureError as exc:
        assert "\n" not in str(exc)
        return
    assert refined in ("yaml", "compose", "workflow", "k8s", "prometheus", "helm")
    _check_facts(facts)


@SETTINGS
@given(TOML_TEXT, st.sampled_from(["pyproject.toml", "x/settings.toml"]))
def test_toml_raises_only_structure_error(text: str, path: str) -> None:
    try:
        facts = extract_toml(text, path, max_nodes=5_000)
    except StructureError:
        return
    _check_facts(facts)


@SETTINGS
@given(JSON_TEXT)
def test_json_raises_only_structure_error(text: str) -> None:
    try:
        facts = extract_json(text, max_nodes=5_000)
    except StructureError:
        return
    _check_facts(facts)


@SETTINGS
@given(REQUIREMENTS_TEXT)
def test_requirements_never_raise(text: str) -> None:
    _check_facts(extract_requirements(text))


@SETTINGS
@given(SETUP_CFG_TEXT)
def test_setup_cfg_never_raises(text: str) -> None:
    _check_facts(extract_setup_cfg(text))


@SETTINGS
@given(DOCKERFILE_TEXT)
def test_dockerfile_never_raises(text: str) -> None:
    facts = extract_dockerfile(text)
    _check_facts(facts)
    assert all(f["line"] <= max(len(text.splitlines()), 1) for f in facts)


@SETTINGS
@given(st.one_of(st.binary(max_size=400), YAML_TEXT.map(lambda t: t.encode("utf-8", "surrogatepass")),
                 DOCKERFILE_TEXT.map(lambda t: t.encode("utf-8", "surrogatepass"))),
       st.sampled_from(KINDS), st.sampled_from(["runtime", "test", "docs"]))
def test_extract_bytes_never_raises(data: bytes, kind: str, role: str) -> None:
    """What a scan runs on every file: problems are warnings (one line each), never exceptions."""
    name = {"python": "m.py", "toml": "pyproject.toml", "ini": "setup.cfg"}.get(kind, "f")
    out = extract_bytes(SourceFile(path=name, kind=kind, role=role, size=len(data)), data, max_yaml_nodes=5_000)
    _check_facts(out.facts)
    assert all(isinstance(w, str) and "\n" not in w for w in out.warnings)
    again = extract_bytes(SourceFile(path=name, kind=kind, role=role, size=len(data)), data, max_yaml_nodes=5_000)
    assert again.to_dict() == out.to_dict()  # deterministic


@SETTINGS
@given(st.one_of(st.binary(max_size=300),
                 st.lists(st.sampled_from([b"(", b")", b"[", b"]", b"x", b" + ", b"-", b"\n", b"    ", b"if x:",
                                           b"print 'a'", b"'", b"#", b"\\"]), max_size=400).map(b"".join)))
def test_python_guard_never_raises(data: bytes) -> None:
    result = python_guard(data)
    assert result is None or result.startswith("not parsed: ")


@SETTINGS
@given(MARKDOWN_TEXT)
def test_verify_parser_never_raises(text: str) -> None:
    lines = parse_document(text)
    numbers = [line.number for line in lines]
    assert numbers == sorted(set(numbers))
    for line in lines:
        assert line.title == line.title.strip() and line.title


REPORT = sample_report()


@SETTINGS
@given(MARKDOWN_TEXT)
def test_verify_raises_only_auditor_error_and_fix_touches_only_ticks(text: str) -> None:
    try:
        result = verify_document(text, REPORT)
    except AuditorError:
        assert not parse_document(text)
        return
    fixed = fix_document(text, result)
    assert len(fixed) == len(text)
    changed = [i for i, (a, b) in enumerate(zip(text, fixed, strict=True)) if a != b]
    assert all(text[i] in " xX" and fixed[i] in " x" for i in changed)
    assert len(changed) <= len(result.claims)


def test_json_and_toml_keys_get_their_own_lines() -> None:
    from auditor.facts.structured import extract_json, extract_toml

    toml = '[project]\nname = "x"\n\n[tool.auditor]\nfail_under = 0.7\n'
    lines = {f["path"]: f["line"] for f in extract_toml(toml, "pyproject.toml") if f["t"] == "key"}
    assert lines["tool.auditor"] == 4 and lines["tool.auditor.fail_under"] == 5 and lines["project.name"] == 2
    text = '{\n  "paths": {\n    "/a": {"get": {}},\n    "/b": {\n      "get": {"deprecated": true}\n    }\n  }\n}\n'
    lines = {f["path"]: f["line"] for f in extract_json(text)}
    assert lines["paths./a.get"] == 3 and lines["paths./b.get"] == 5 and lines["paths./b.get.deprecated"] == 5
