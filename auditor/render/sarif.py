"""The SARIF 2.1.0 log for code-scanning tabs: one rule per checklist item, one result per missing or partial item.

A result sits at its item's first evidence; an item with none sits where its section's evidence
is (a missing database item at the database code), and only when its section has none at a root
file of the scanned project (pyproject.toml, setup.py, requirements.txt, README, Dockerfile...).
URIs are relative to ``%SRCROOT%``, the repository root: when the scanned folder is a subfolder
of a git checkout, its path in the checkout is put before every path. Waived items keep their
result with an external suppression.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from auditor.model import ItemResult, Report
from auditor.render.common import JSON_INVISIBLE, clean, md_block, md_inline
from auditor.render.gateview import gate_view

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/checklist-auditor/checklist-auditor"
HELP_URI = "https://github.com/checklist-auditor/checklist-auditor/blob/main/docs/items.md#{anchor}"
ROOT_FILES = ("pyproject.toml", "setup.py", "setup.cfg", "requirements.txt", "README.md", "README.rst", "README",
              "Dockerfile", "manage.py", "app.py", "main.py")
SRCROOT = "%SRCROOT%"


def _uri(path: str) -> str:
    return quote(clean(path).lstrip("/").replace("\\", "/"), safe="/-._~")


def _rule_name(item_id: str) -> str:
    parts = [p for p in item_id.replace("-", ".").replace("_", ".").split(".") if p]
    return "".join(p[:1].upper() + p[1:] for p in parts) or item_id


def _anchor(item_id: str) -> str:
    return "".join(ch for ch in item_id.lower() if ch.isalnum() or ch in "-_") or "items"


def fallback_location(report: Report, root: Path | None = None) -> str:
    """A file to hang results on that have no evidence: an existing root file of the project."""
    if root is not None:
        for name in ROOT_FILES:
            if (root / name).is_file():
                return name
    paths = {ev.path for item in report.items for ev in item.evidence}
    for name in ROOT_FILES:
        if name in paths:
            return name
    top = sorted(p for p in paths if "/" not in p)
    return top[0] if top else "pyproject.toml"


def _level(item: ItemResult) -> str:
    return "error" if item.status == "missing" and item.severity in ("high", "critical") else "warning"


def _invocation(report: Report) -> dict[str, object]:
    """The run's invocation: its exit code and the gate's reasons and policy as notifications."""
    assert report.gate is not None
    gate = report.gate
    view = gate_view(gate)
    notes = [{"level": "error", "message": {"text": clean(r)}, "descriptor": {"id": "gate"}} for r in view.reasons]
    if view.policy:
        notes.append({"level": "warning", "message": {"text": clean(view.policy)}, "descriptor": {"id": "policy"}})
    return {
        "executionSuccessful": True,
        "exitCode": 0 if gate.passed or gate.soft_fail else 1,
        "exitCodeDescription": clean(view.headline),
        "toolExecutionNotifications": notes,
    }


def section_anchors(report: Report) -> dict[str, tuple[str, int]]:
    """Section title -> the first evidence of any of its items (where its missing items belong)."""
    anchors: dict[str, tuple[str, int]] = {}
    for item in report.items:
        if item.evidence and item.section not in anchors:
            anchors[item.section] = (item.evidence[0].path, max(1, item.evidence[0].line))
    return anchors


def render_sarif(report: Report, descriptions: dict[str, str] | None = None, root: Path | None = None,
                 prefix: str = "") -> str:
    """The SARIF log as JSON text. ``descriptions`` maps item id to its checklist description (for rule help);
    ``root`` is the scanned folder, used only to pick an existing fallback file."""
    descriptions = descriptions or {}
    rules: list[dict[str, object]] = []
    index: dict[str, int] = {}
    for item in report.items:
        index[item.id] = len(rules)
        description = clean(" ".join(descriptions.get(item.id, "").split()) or item.title)
        remediation = clean(item.remediation.strip())
        help_text = description + (f"\n\nHow to fix: {remediation}" if remediation else "")
        help_md = md_inline(description) + (f"\n\n**How to fix**\n\n{md_block(remediation)}" if remediation else "")
        rules.append({
            "id": clean(item.id),
            "name": _rule_name(clean(item.id)),
            "shortDescription": {"text": clean(item.title)},
            "fullDescription": {"text": description},
            "help": {"text": help_text, "markdown": help_md},
            "helpUri": HELP_URI.format(anchor=_anchor(item.id)),
            "defaultConfiguration": {"level": "error" if item.severity in ("high", "critical") else "warning"},
            "properties": {"section": clean(item.section), "severity": clean(item.severity),
                           "tags": ["checklist", clean(item.section)]},
        })
    fallback = fallback_location(report, root)
    anchors = section_anchors(report)
    prefix = prefix or ""
    results: list[dict[str, object]] = []
    for item in report.items:
        if item.status not in ("missing", "partial"):
            continue
        if item.evidence:
            ev = item.evidence[0]
            uri, line, anchor = _uri(prefix + ev.path), max(1, ev.line), "evidence"
        elif item.section in anchors:
            path, line = anchors[item.section]
            uri, anchor = _uri(prefix + path), "section"
        else:
            uri, line, anchor = _uri(prefix + fallback), 1, "project"
        message = clean(item.reason or f"{item.title}: {item.status}")
        if item.remediation.strip():
            message += f" How to fix: {clean(item.remediation.strip())}"
        result: dict[str, object] = {
            "ruleId": clean(item.id),
            "ruleIndex": index[item.id],
            "level": _level(item),
            "kind": "fail",
            "message": {"text": message},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": uri, "uriBaseId": SRCROOT},
                "region": {"startLine": line},
            }}],
            "partialFingerprints": {"checklistItem/v1": clean(item.id)},
            "properties": {"status": item.status, "section": clean(item.section), "severity": clean(item.severity),
                           "anchor": anchor},
        }
        if item.waiver is not None:
            result["suppressions"] = [{
                "kind": "external", "status": "accepted",
                "justification": clean(f"{item.waiver.reason} (until {item.waiver.expires}"
                                       + (f", owner {item.waiver.owner})" if item.waiver.owner else ")")),
            }]
        results.append(result)
    log: dict[str, Any] = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": report.tool.name,
                "version": report.tool.version,
                "semanticVersion": report.tool.version,
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }},
            "automationDetails": {"id": "checklist-auditor/"},
            "columnKind": "unicodeCodePoints",
            "originalUriBaseIds": {SRCROOT: {"description": {"text": "The repository root (the checkout)."}}},
            "results": results,
            "properties": {"score": report.summary.score, "checklist": clean(report.checklist.name)},
        }],
    }
    run = log["runs"][0]
    if report.gate is not None:
        run["invocations"] = [_invocation(report)]
        run["properties"]["gate"] = report.gate.model_dump(mode="json", exclude_none=True)
    return json.dumps(log, indent=2, ensure_ascii=False).translate(JSON_INVISIBLE) + "\n"
