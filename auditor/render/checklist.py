"""The seed status document regenerated from verdicts: same headings and titles, [x] for implemented."""

from __future__ import annotations

from auditor.model import Report


def render_checklist(report: Report) -> str:
    title = report.checklist.name or "Best Practices Implementation Status"
    lines = [f"# {title}", ""]
    for section, items in report.sections():
        lines.append(f"## {section}")
        for item in items:
            mark = "x" if item.status == "implemented" else " "
            lines.append(f"- [{mark}] {item.title}")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"
