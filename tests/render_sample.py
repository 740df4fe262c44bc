"""A deterministic sample Report for the view tests: every status, waivers, hostile paths and snippets."""

from __future__ import annotations

from pathlib import Path

import yaml

from auditor.model import (
    ChecklistInfo,
    Evidence,
    ItemResult,
    ProjectInfo,
    Report,
    ScanWarning,
    ToolInfo,
    Waiver,
    summarise,
)

ROOT = Path(__file__).resolve().parent.parent
CYCLE = ("implemented", "missing", "partial", "implemented", "not_applicable", "implemented", "missing")
HOSTILE_PATH = 'app/<script>alert("p")</script>.py'
HOSTILE_SNIPPET = 'x = "<script>alert(1)</script>" & \'quote\' | `tick` **bold** [link](http://evil)'


def checklist_titles() -> list[tuple[str, str, str, str]]:
    """(section title, item id, item title, severity) for the bundled checklist, read as plain YAML."""
    data = yaml.safe_load((ROOT / "checklist.yaml").read_text(encoding="utf-8"))
    return [(s["title"], i["id"], i["title"], i.get("severity", "medium"))
            for s in data["sections"] for i in s["items"]]


def sample_report(statuses: dict[str, str] | None = None) -> Report:
    """All checklist items with cycled statuses (or the given ones), some evidence and one waiver."""
    items: list[ItemResult] = []
    for n, (section, item_id, title, severity) in enumerate(checklist_titles()):
        status = (statuses or {}).get(item_id, CYCLE[n % len(CYCLE)])
        evidence: list[Evidence] = []
        if status in ("implemented", "partial"):
            evidence = [Evidence(path=f"app/{item_id.replace('.', '_')}.py", line=n + 1,
                                 detail=f"call_{n}(setting={n})")]
        if n == 0:
            evidence = [Evidence(path=HOSTILE_PATH, line=3, detail=HOSTILE_SNIPPET)]
            status = "implemented" if statuses is None else status
        items.append(ItemResult(
            id=item_id, section=section, title=title, status=status,  # type: ignore[arg-type]
            evidence=evidence, severity=severity, rule=item_id.replace(".", "-"),
            reason=f"{status.replace('_', ' ')}: because of rule {item_id}",
            remediation=f"Add {title.lower()}.\n\n```python\nconfigure_{n}()\n```",
            waiver=Waiver(reason="accepted <b>risk</b>", expires="2030-01-01", owner="team-a")
            if n == 1 else None,
        ))
    return Report(
        tool=ToolInfo(name="checklist-auditor", version="0.1.0"),
        project=ProjectInfo(root="sample-service", files_scanned=42),
        checklist=ChecklistInfo(path="checklist.yaml", items=len(items), name="Best Practices Implementation Status"),
        summary=summarise(items), items=items,
        warnings=[ScanWarning(path="big/<img src=x onerror=alert(1)>.json", message="skipped: too large")],
    )
