"""The SARIF view validates against the official SARIF 2.1.0 schema; results and rules as documented."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from render_sample import sample_report

from auditor.render.sarif import fallback_location, render_sarif

SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def validator() -> Any:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def test_validates_against_schema(validator: Any) -> None:
    log = json.loads(render_sarif(sample_report(), descriptions={"db.pooling": "Pools are sized."}))
    errors = sorted(validator.iter_errors(log), key=str)
    assert not errors, errors[0]


def test_rules_and_results() -> None:
    report = sample_report()
    run = json.loads(render_sarif(report, descriptions={"db.pooling": "Pools are sized."}))["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [i.id for i in report.items]
    first = rules[0]
    assert first["shortDescription"]["text"] == report.items[0].title
    assert first["fullDescription"]["text"] == "Pools are sized."
    assert "How to fix" in first["help"]["text"]
    assert first["helpUri"].endswith("/docs/items.md#dbpooling") or first["helpUri"].endswith("#db.pooling")
    assert first["properties"]["section"] == report.items[0].section
    problems = [i for i in report.items if i.status in ("missing", "partial")]
    results = run["results"]
    assert [r["ruleId"] for r in results] == [i.id for i in problems]
    for result, item in zip(results, problems, strict=True):
        assert rules[result["ruleIndex"]]["id"] == item.id
        want = "error" if item.status == "missing" and item.severity in ("high", "critical") else "warning"
        assert result["level"] == want
        loc = result["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        if item.evidence:
            assert loc["region"]["startLine"] == item.evidence[0].line
        assert item.reason in result["message"]["text"]
        assert ("suppressions" in result) == (item.waiver is not None)


def test_fallback_location(tmp_path: Path) -> None:
    report = sample_report()
    assert fallback_location(report) == "pyproject.toml"
    (tmp_path / "Dockerfile").write_text("FROM python\n")
    assert fallback_location(report, tmp_path) == "Dockerfile"
    (tmp_path / "requirements.txt").write_text("flask\n")
    assert fallback_location(report, tmp_path) == "requirements.txt"


def test_hostile_paths_stay_valid(validator: Any) -> None:
    report = sample_report()
    report.items[1].evidence = report.items[0].evidence
    report.items[1].status = "partial"
    log = json.loads(render_sarif(report))
    assert not list(validator.iter_errors(log))
    uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert "<" not in uri and " " not in uri
