"""The fact types are a contract: every fact the extractors write fits its declared type, and
every matcher reads only declared types."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.facts.schema import SCHEMAS, problems
from auditor.matchers import MATCHERS
from auditor.testing import facts_of

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.mark.parametrize("tree", [pytest.param("reference-service", marks=pytest.mark.slow),  # a whole service
                                  "minimal-service"])
def test_every_extracted_fact_fits_its_type(tree: str) -> None:
    seen: set[str] = set()
    wrong = []
    for file in facts_of(FIXTURES / tree):
        for fact in file.facts:
            seen.add(fact["t"])
            wrong.extend(f"{file.path}:{fact['line']}: {p}" for p in problems(fact))
    assert wrong == []
    assert len(seen) >= 12  # the check covered most types, not a handful


def test_matchers_read_declared_types() -> None:
    for name, spec in MATCHERS.items():
        assert set(spec.reads) <= set(SCHEMAS), name


def test_a_wrong_fact_is_named() -> None:
    assert problems({"t": "call", "line": 1, "scope": "<module>", "name": "f", "args": [], "kw": {}}) == []
    assert problems({"t": "call", "line": "1", "scope": "<module>", "name": "f", "args": [], "kw": {}, "x": 1}) == [
        "call.line: '1' is not <class 'int'>", "call: undeclared field 'x'"]
    assert problems({"t": "nope", "line": 1}) == ["unknown fact type 'nope'"]
