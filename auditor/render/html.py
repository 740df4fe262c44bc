"""The HTML report: one self-contained page (inline CSS, SVG chart, filter script) from ``reports/report.html.j2``.

Everything that comes from the scanned repository (paths, source snippets, reasons) is escaped by
Jinja2's autoescape; the page loads nothing from the network (a Content-Security-Policy says so).
"""

from __future__ import annotations

import re
from functools import lru_cache
from html import escape
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jinja2

from auditor.model import Report
from auditor.render.common import SEVERITY_ORDER, STATUS_LABEL, clean, evidence_url, fence_code, tallies
from auditor.render.gateview import gate_view
from auditor.render.text import provenance
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


_FENCE = re.compile(r"```[^\n`]*\n(.*?)(?:\n)?```", re.DOTALL)
_TICK = re.compile(r"`([^`\n]+)`")


def rich_text(text: str) -> str:
    """Remediation text as HTML: fenced blocks become ``<pre><code>``, backticks ``<code>``, the rest is escaped.

    Returns markup-safe HTML (every character of the input is escaped before tags are added).
    """
    out: list[str] = []
    pos = 0
    for fence in _FENCE.finditer(text):
        out.append(_inline(text[pos:fence.start()].strip("\n")))
        out.append(f'<pre class="code"><code>{escape(clean(fence.group(1)), quote=True)}</code></pre>')
        pos = fence.end()
    out.append(_inline(text[pos:].strip("\n")))
    return "".join(out).strip()


def _inline(text: str) -> str:
    pieces: list[str] = []
    pos = 0
    for tick in _TICK.finditer(text):
        pieces.append(escape(clean(text[pos:tick.start()]), quote=True))
        pieces.append(f"<code>{escape(clean(tick.group(1)), quote=True)}</code>")
        pos = tick.end()
    pieces.append(escape(clean(text[pos:]), quote=True))
    return "".join(pieces)


def _gate_context(report: Report) -> dict[str, Any] | None:
    if report.gate is None:
        return None
    view = gate_view(report.gate)
    expired = sum(1 for w in report.gate.waivers if w.expired)
    return {"passed": view.passed, "soft_fail": report.gate.soft_fail,
            "headline": view.headline[:1].upper() + view.headline[1:],
            "reasons": [clean(r, 1000) for r in view.reasons], "policy": clean(view.policy or "", 2000),
            "baseline": [clean(b, 500) for b in view.baseline], "notes": [clean(n, 500) for n in view.notes],
            "waivers": [clean(w, 600) for w in view.waivers], "expired": expired,
            "in_force": len(view.waivers) - expired}


def _health(report: Report) -> dict[str, Any] | None:
    health = report.code_health
    if health is None:
        return None
    return {"total": health.functions_total, "average": f"{health.average_cc:.1f}",
            "functions": [{"where": clean(f"{f.path}:{f.line}", 300), "name": clean(f.name, 200), "cc": f.cc,
                           "rank": f.rank} for f in health.functions[:15]],
            "files": [{"path": clean(f.path, 300), "mi": f"{f.mi:.1f}", "rank": f.rank}
                      for f in health.files if f.rank != "A"][:15]}


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
        rows.append({"title": clean(tally.title), "slug": tally.slug, "y": n * ROW_HEIGHT, "segments": segments,
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
                "id": clean(item.id), "title": clean(item.title), "status": item.status,
                "status_label": STATUS_LABEL[item.status], "severity": clean(item.severity),
                "reason": clean(item.reason, 2000), "evidence": evidence,
                "more": max(0, len(item.evidence) - MAX_EVIDENCE),
                "remediation": rich_text(fence_code(item.remediation)) if item.status in ("missing", "partial") else "",
                "search": clean(" ".join([item.id, item.title, item.reason,
                                          *(ev.path for ev in item.evidence[:MAX_EVIDENCE])]).lower(), 2000),
                "waiver": None if item.waiver is None else {
                    "reason": clean(item.waiver.reason), "expires": clean(item.waiver.expires),
                    "owner": clean(item.waiver.owner) if item.waiver.owner else None},
            })
        sections.append({"title": clean(tally.title), "slug": tally.slug, "implemented": tally.implemented,
                         "applicable": tally.applicable, "entries": items})
    s = report.summary
    applicable = s.implemented + s.partial + s.missing
    waived = sum(1 for i in report.items if i.waiver is not None)
    status_filters = [("all", "all"), *((k, v) for k, v in STATUS_LABEL.items())]
    if waived:
        status_filters.append(("waived", "waived"))
    severities = sorted({i.severity for i in report.items}, key=lambda v: (SEVERITY_ORDER.get(v, 9), v))
    context = {
        "title": clean(report.checklist.name or "Checklist audit"),
        "provenance": clean(provenance(report), 600),
        "gate": _gate_context(report),
        "severities": severities,
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
        "health": _health(report),
    }
    return environment().get_template(TEMPLATE).render(**context)
