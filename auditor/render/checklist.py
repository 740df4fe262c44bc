"""The seed status document regenerated from verdicts: same headings and titles, [x] for implemented.

Titles go through ``md_inline`` as in the Markdown summary (``auditor verify`` reads them back)."""

from __future__ import annotations

from auditor.model import Report
from auditor.render.common import md_inline


def render_checklist(report: Report) -> str:
    title = report.checklist.name or "Best Practices Implementation Status"
    lines = [f"# {md_inline(title)}", ""]
    for section, items in report.sections():
        lines.append(f"## {md_inline(section)}")
        for item in items:
            mark = "x" if item.status == "implemented" else " "
            lines.append(f"- [{mark}] {md_inline(item.title)}")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"
