"""Run a rule's example mini-projects: the examples are the rule's tests and its documentation."""

from __future__ import annotations

import tempfile
from pathlib import Path

from auditor.engine.scan import ScanOptions, extract_tree
from auditor.matchers.index import FactIndex
from auditor.model import Status
from auditor.rules.evaluate import Evaluator, evaluate_rule, file_tiers, select_evidence
from auditor.rules.schema import Condition, Example, Rule


def run_example(rule: Rule, conditions: dict[str, Condition], example: Example) -> tuple[Status, list[str]]:
    """Write the example's files to a temporary folder, scan it, and evaluate this one rule.

    Returns the status and the evidence as ``path:line`` strings: the evidence a report shows,
    in its order, then every other place that matched.
    """
    with tempfile.TemporaryDirectory(prefix="auditor-example-") as tmp:
        root = Path(tmp)
        for name, content in example.files.items():
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")
        files, _ = extract_tree(root, ScanOptions(jobs=1))
        index = FactIndex(files)
        evaluator = Evaluator(index, conditions)
        status, hits, _ = evaluate_rule(rule, evaluator)
        shown = [f"{path}:{line}" for path, line in
                 select_evidence(hits, strength=evaluator.strength, tier=file_tiers(index))]
        return status, shown + sorted({f"{h.path}:{h.line}" for h in hits} - set(shown))
