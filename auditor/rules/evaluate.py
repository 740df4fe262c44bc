"""Evaluate a checklist's rules over each leaf's hits into one Report. Knows no item by id."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from auditor import __version__
from auditor.facts import FileFacts
from auditor.model import (
    ChecklistInfo,
    Evidence,
    ItemResult,
    ProjectInfo,
    Report,
    ScanWarning,
    Status,
    ToolInfo,
    summarise,
)
from auditor.rules.evaluator import Evaluator, LeafSource, evaluate_rule
from auditor.rules.evidence import rule_evidence
from auditor.rules.schema import Checklist
from auditor.rules.tiers import file_tiers

__all__ = ["LeafSource", "evaluate"]


def _source_line(root: Path, path: str, line: int, cache: dict[str, list[str]]) -> str:
    if path not in cache:
        try:
            data = (root / path).read_bytes()[:2_000_000]
            cache[path] = data.decode("utf-8", errors="replace").splitlines()
        except OSError:
            cache[path] = []
    lines = cache[path]
    if 1 <= line <= len(lines):
        return lines[line - 1].strip()[:200]
    return ""


def evaluate(checklist: Checklist, files: list[FileFacts], root: Path, leaf_source: LeafSource,
             root_label: str = ".", extra_warnings: list[tuple[str, str]] | None = None) -> Report:
    """Evaluate every item of the checklist over each leaf's hits (``leaf_source``); ``files``
    (kind, role and warnings of each scanned file) give the report's warnings and counts."""
    ordered = sorted(files, key=lambda f: f.path)
    ev = Evaluator(checklist.conditions, leaf_source)
    tier = file_tiers(ordered, root)
    line_cache: dict[str, list[str]] = {}
    rule_results: dict[str, tuple[Status, list[tuple[str, int]], str]] = {}
    items: list[ItemResult] = []
    for section, item in checklist.items():
        rule = checklist.rules[item.rule]
        if rule.id not in rule_results:
            status, hits, reason = evaluate_rule(rule, ev)
            rule_results[rule.id] = status, rule_evidence(rule, hits, ev, tier), reason
        status, cited, reason = rule_results[rule.id]
        evidence = [Evidence(path=path, line=line, detail=_source_line(root, path, line, line_cache))
                    for path, line in cited]
        items.append(ItemResult(
            id=item.id, section=section.title, title=item.title, status=status, evidence=evidence,
            reason=reason, severity=item.severity, rule=rule.id, remediation=item.remediation,
        ))
    warnings = [ScanWarning(path=p, message=m) for p, m in (extra_warnings or [])]
    for f in ordered:
        warnings.extend(ScanWarning(path=f.path, message=m) for m in f.warnings)
    warnings.sort(key=lambda w: (w.path, w.message))
    kinds: dict[str, int] = defaultdict(int)
    for f in ordered:
        kinds[f"files.{f.kind}"] += 1
    return Report(
        tool=ToolInfo(name="checklist-auditor", version=__version__),
        project=ProjectInfo(root=root_label, files_scanned=len(ordered)),
        checklist=ChecklistInfo(path=checklist.path, items=len(items), name=checklist.spec.name),
        summary=summarise(items),
        items=items,
        warnings=warnings,
        stats=dict(sorted(kinds.items())),
    )
