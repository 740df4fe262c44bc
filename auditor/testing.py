"""Testing rules the way the auditor runs them: a rule's examples, and any condition over a few
files, go through the scan's own path (discovery, extraction, per-file matching, evaluation).

Public: ``auditor test-rules PATH`` runs the examples of a team's own rule files, and
:func:`check_leaf` turns a condition and a few files into a one-line test.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.engine.discover import DEFAULT_MAX_FILE_BYTES, discover, read_regular
from auditor.engine.scan import DEFAULT_MAX_YAML_NODES, ScanOptions, match
from auditor.engine.tasks import extract_job
from auditor.facts import FileFacts
from auditor.matchers.index import Hit
from auditor.model import Status
from auditor.rules.conditions import parse_condition
from auditor.rules.evaluator import Evaluator, evaluate_rule
from auditor.rules.evidence import rule_evidence
from auditor.rules.schema import Checklist, ChecklistSpec, Condition, Example, Outcome, Rule, RuleSpec
from auditor.rules.tiers import file_tiers


@dataclass(frozen=True)
class Check:
    """Whether a condition held over some files, and the hits that show it."""

    holds: bool
    hits: list[Hit]

    @property
    def lines(self) -> list[int]:
        """The distinct lines of the hits, in order."""
        return sorted({h.line for h in self.hits})

    @property
    def places(self) -> list[str]:
        """The distinct ``path:line`` of the hits, in order."""
        return sorted({f"{h.path}:{h.line}" for h in self.hits})


def write_files(root: Path, files: Mapping[str, str]) -> None:
    """Write a mini project: relative path -> text."""
    for name, content in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")


def _reachable(conds: list[Condition | None], conditions: Mapping[str, Condition]) -> dict[str, Condition]:
    """The named conditions these conditions refer to, directly or through others."""
    found: dict[str, Condition] = {}
    todo = [c for c in conds if c is not None]
    while todo:
        cond = todo.pop()
        if cond.op == "ref" and cond.ref is not None and cond.ref not in found and cond.ref in conditions:
            found[cond.ref] = conditions[cond.ref]
            todo.append(conditions[cond.ref])
        todo.extend(cond.children)
    return found


def _one_rule(rule: Rule, conditions: Mapping[str, Condition]) -> Checklist:
    """A checklist of one rule and the named conditions it uses, for matching without items."""
    centres = [Condition(op="ref", ref=name) for name in [*rule.spec.evidence_centre, *rule.spec.evidence_uses]]
    named = _reachable([rule.implemented, rule.partial, rule.applies_when, *centres], conditions)
    return Checklist(spec=ChecklistSpec(sections=[]), path="<test>", rules={rule.id: rule}, conditions=named)


def evaluate_one(root: Path, rule: Rule, conditions: Mapping[str, Condition],
                 options: ScanOptions | None = None) -> tuple[Status, list[Hit], list[str]]:
    """One rule's status and hits over a tree, matched as a scan matches it, and its evidence as
    a report shows it (``path:line``, in order)."""
    checklist = _one_rule(rule, conditions)
    matched = match(root, checklist, options or ScanOptions(jobs=1))
    evaluator = Evaluator(checklist.conditions, matched.source())
    status, hits, _ = evaluate_rule(rule, evaluator)
    shown = [f"{path}:{line}" for path, line in rule_evidence(rule, hits, evaluator, file_tiers(matched.files(), root))]
    return status, hits, shown


def run_example(rule: Rule, conditions: Mapping[str, Condition], example: Example) -> tuple[Status, list[str]]:
    """Write the example's files to a temporary folder, scan it, and evaluate this one rule.

    Returns the status and the evidence as ``path:line`` strings: the evidence a report shows,
    in its order, then every other place that matched.
    """
    with tempfile.TemporaryDirectory(prefix="auditor-example-") as tmp:
        root = Path(tmp)
        write_files(root, example.files)
        status, hits, shown = evaluate_one(root, rule, conditions)
        return status, shown + sorted({f"{h.path}:{h.line}" for h in hits} - set(shown))


def check_leaf(root: Path, condition: Mapping[str, Any], files: Mapping[str, str] | None = None,
               conditions: Mapping[str, Any] | None = None) -> Check:
    """Whether a condition (as a rule file writes it: ``{"python.call": {"name": "x.y"}}``, or
    any/all/not over such) holds over the tree at ``root``, after writing ``files`` there;
    ``conditions`` are named conditions it may refer to. Matched through the scan's path."""
    if files:
        write_files(root, files)
    named = {name: parse_condition(value, "<check>", {}, ("conditions", name))
             for name, value in (conditions or {}).items()}
    cond = parse_condition(dict(condition), "<check>", {}, ())
    rule = Rule(id="check", spec=RuleSpec(summary="", implemented=Outcome(reason=""), missing=Outcome(reason="")),
                source="<check>", implemented=cond, partial=None, applies_when=None)
    checklist = _one_rule(rule, named)
    matched = match(root, checklist, ScanOptions(jobs=1))
    holds, hits = Evaluator(checklist.conditions, matched.source()).run(cond)
    return Check(holds, hits)


@dataclass(frozen=True)
class ExampleResult:
    """One example of a rule, run."""

    rule: str
    example: Example
    status: Status
    evidence: list[str]

    @property
    def passed(self) -> bool:
        return self.status == self.example.expect and (
            self.example.evidence is None or self.example.evidence in self.evidence) and (
            self.example.first_evidence is None or self.evidence[:1] == [self.example.first_evidence])

    def line(self) -> str:
        head = f"{self.rule}: {self.example.expect}: {self.example.name}"
        if self.passed:
            return f"ok    {head}"
        wanted = f" with evidence {self.example.evidence}" if self.example.evidence else ""
        if self.example.first_evidence:
            wanted += f" shown first {self.example.first_evidence}"
        return f"FAIL  {head}: expected {self.example.expect}{wanted}, got {self.status} {self.evidence}"


def run_examples(rules: Mapping[str, Rule], conditions: Mapping[str, Condition],
                 only: set[str] | None = None) -> Iterator[ExampleResult]:
    """Every example of the rules (of those named in ``only``), in rule order."""
    for rule_id in sorted(rules):
        if only is not None and rule_id not in only:
            continue
        rule = rules[rule_id]
        for example in rule.spec.examples:
            status, evidence = run_example(rule, conditions, example)
            yield ExampleResult(rule_id, example, status, evidence)


def facts_of(root: Path) -> list[FileFacts]:
    """Every discovered file's facts, extracted in this process without a cache, in path order:
    for tests of the extractors (a scan keeps per-file match results, not facts)."""
    found = discover(root)
    out = []
    for source in found.files:
        data = read_regular(root / source.path, DEFAULT_MAX_FILE_BYTES)
        out.append(extract_job((source, data, DEFAULT_MAX_YAML_NODES, 0)))
    return sorted(out, key=lambda f: f.path)
