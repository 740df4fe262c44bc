"""Every rule's examples, run as tests: the status and evidence line each example promises."""

from __future__ import annotations

import pytest

from auditor.rules.load import default_paths, load_rule_files
from auditor.testing import run_example

RULES, CONDITIONS = load_rule_files(default_paths()[1])
CASES = [
    pytest.param(rule, example, id=f"{rule_id}:{example.expect}:{example.name}")
    for rule_id, rule in sorted(RULES.items())
    for example in rule.spec.examples
]


@pytest.mark.parametrize(("rule", "example"), CASES)
def test_example(rule, example) -> None:
    status, evidence = run_example(rule, CONDITIONS, example)
    assert status == example.expect, f"{rule.id}: {example.name}: got {status} with {evidence}"
    if example.evidence is not None:
        assert example.evidence in evidence, f"{rule.id}: {example.name}: evidence {evidence}"
    if example.first_evidence is not None:
        assert evidence[:1] == [example.first_evidence], f"{rule.id}: {example.name}: evidence {evidence}"


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_rule_has_implemented_and_missing_examples(rule_id: str) -> None:
    expects = {e.expect for e in RULES[rule_id].spec.examples}
    assert "implemented" in expects, f"{rule_id} has no implemented example"
    assert "missing" in expects, f"{rule_id} has no missing example"
