"""The HTML report: one self-contained page (inline CSS, SVG chart, filter script) from ``reports/report.html.j2``.

Everything that comes from the scanned repository (paths, source snippets, reasons) is escaped by
Jinja2's autoescape; the page loads nothing from the network (a Content-Security-Policy says so).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jinja2

from auditor.model import Report
from auditor.render.common import STATUS_LABEL, clean, evidence_url, tallies
from auditor.resources import data_dir

TEMPLATE = "report.html.j2"
MAX_EVIDENCE = 5
MAX_WARNINGS = 200
CHART_WIDTH = 400
ROW_HEIGHT = 34
COLOURS = {"implemented": "#1a7f37", "partial": "#b7791f", "missing": "#cf222e", "not_applicable": "#8c959f"}


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The Jinja2 environment for ``reports/``: autoescape always on, undefined names are errors."""
    import jinja2  # imported for HTML reports only: every other run skips its import time

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(data_dir() / "reports")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def _chart(report: Report) -> dict[str, Any]:
    rows = []
    for n, tally in enumerate(tallies(report)):
        x = 0.0
        segments = []
        for status in ("implemented", "partial", "missing", "not_applicable"):
            count = getattr(tally, status)
            if not count or not tally.total:
                continue
            w = round(CHART_WIDTH * count / tally.total, 2)
            segments.append({"status": status, "x": round(x, 2), "w": w, "count": count,
                             "label": STATUS_LABEL[status], "colour": COLOURS[status]})
            x += w
        label = f"{tally.implemented}/{tally.applicable}" + (f" · {tally.score:.0%}" if tally.applicable else "")
        rows.append({"title": tally.title, "slug": tally.slug, "y": n * ROW_HEIGHT, "segments": segments,
                     "label": label})
    return {"width": CHART_WIDTH, "height": max(ROW_HEIGHT, len(rows) * ROW_HEIGHT), "rows": rows}


def render_html(report: Report, link_base: str | None = None) -> str:
    """The report as one HTML page; ``link_base`` (http/https) turns evidence into links (base + path + #L + line)."""
    sections = []
    by_title = dict(report.sections())
    for tally in tallies(report):
        items = []
        for item in by_title[tally.title]:
            evidence = [{"where": clean(f"{ev.path}:{ev.line}", 300), "url": evidence_url(link_base, ev),
                         "detail": clean(ev.detail.strip(), 240)} for ev in item.evidence[:MAX_EVIDENCE]]
            items.append({
                "id": item.id, "title": item.title, "status": item.status,
                "status_label": STATUS_LABEL[item.status], "severity": item.severity,
                "reason": clean(item.reason, 2000), "evidence": evidence,
                "more": max(0, len(item.evidence) - MAX_EVIDENCE),
                "remediation": item.remediation.strip() if item.status in ("missing", "partial") else "",
                "waiver": item.waiver,
            })
        sections.append({"title": tally.title, "slug": tally.slug, "implemented": tally.implemented,
                         "applicable": tally.applicable, "entries": items})
    s = report.summary
    applicable = s.implemented + s.partial + s.missing
    waived = sum(1 for i in report.items if i.waiver is not None)
    status_filters = [("all", "all"), *((k, v) for k, v in STATUS_LABEL.items())]
    if waived:
        status_filters.append(("waived", "waived"))
    context = {
        "title": report.checklist.name or "Checklist audit",
        "project": clean(report.project.root, 300),
        "tool": f"{report.tool.name} {report.tool.version}",
        "checklist": clean(report.checklist.path, 300),
        "files_scanned": report.project.files_scanned,
        "summary": s,
        "score_pct": f"{s.score:.0%}",
        "applicable": applicable,
        "counts": [(k, STATUS_LABEL[k], getattr(s, k)) for k in STATUS_LABEL],
        "waived": waived,
        "chart": _chart(report),
        "status_filters": status_filters,
        "sections": sections,
        "items_total": len(report.items),
        "warnings": [{"path": clean(w.path, 300), "message": clean(w.message, 500)}
                     for w in report.warnings[:MAX_WARNINGS]],
        "warnings_more": max(0, len(report.warnings) - MAX_WARNINGS),
    }
    return environment().get_template(TEMPLATE).render(**context)
