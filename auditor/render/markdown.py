"""The Markdown summary for pull-request comments and ``$GITHUB_STEP_SUMMARY``.

Score, a per-section table, then the missing and partial items (most severe first) with their
remediation, kept under GitHub's 65,536-character limit: items that do not fit are left out with a
note. Every string that can come from the scanned repository (its checklist's titles and
remediation, reasons, waivers, paths, snippets) goes through ``render.common``'s Markdown
escaping, so it cannot add markup, links, images or mentions; paths are code spans.
"""

from __future__ import annotations

import html
import re

from auditor.model import ItemResult, Report
from auditor.render.common import (
    REPORT_MARK,
    STATUS_LABEL,
    clean,
    evidence_url,
    md_block,
    md_code,
    md_inline,
    ordered_problems,
    tallies,
)
from auditor.render.gateview import gate_view

MAX_CHARS = 65_000
MAX_EVIDENCE = 3
MAX_WAIVERS = 40
ICON = {"implemented": "✅", "partial": "🟡", "missing": "❌", "not_applicable": "➖"}


escape_inline = md_inline  # the name this module's callers know
_PLAIN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")

def _id(item_id: str) -> str:
    """An item id as code: a backtick span for the ids checklists allow, else :func:`md_code`."""
    return f"`{item_id}`" if _PLAIN_ID.fullmatch(item_id) else md_code(item_id)


def _item_block(item: ItemResult, link_base: str | None = None) -> str:
    label = f"{_id(item.id)}, {STATUS_LABEL[item.status]}, {md_inline(item.severity)}"
    head = f"#### {ICON[item.status]} {md_inline(item.title)} ({label})"
    lines = [head, ""]
    if item.reason:
        lines += [md_inline(item.reason, 1000), ""]
    for ev in item.evidence[:MAX_EVIDENCE]:
        where = md_code(f"{ev.path}:{ev.line}", 300)
        url = evidence_url(link_base, ev)
        if url:
            where = f'<a href="{html.escape(clean(url), quote=True)}">{where}</a>'
        snippet = f": {md_code(ev.detail.strip(), 160)}" if ev.detail.strip() else ""
        lines.append(f"- {where}{snippet}")
    if len(item.evidence) > MAX_EVIDENCE:
        lines.append(f"- and {len(item.evidence) - MAX_EVIDENCE} more")
    if item.evidence:
        lines.append("")
    if item.waiver is not None:
        owner = f" by {md_inline(item.waiver.owner)}" if item.waiver.owner else ""
        until = md_inline(item.waiver.expires)
        lines += [f"> Waived{owner} until {until}: {md_inline(item.waiver.reason, 500)}", ""]
    if item.remediation.strip():
        lines += ["<details><summary>How to fix</summary>", "", md_block(item.remediation), "", "</details>", ""]
    return "\n".join(lines) + "\n"


def provenance_line(report: Report) -> str:
    """``project @ `commit` (date) · tool version · checklist`` with every repo-derived part escaped."""
    p = report.project
    parts = [f"**{escape_inline(p.name)}**" if p.name else ""]
    if p.commit:
        parts.append(f"commit <code>{escape_inline(p.commit[:12])}</code>"
                     + (f" ({escape_inline(p.commit_date)})" if p.commit_date else ""))
    parts.append(f"{escape_inline(report.tool.name)} {escape_inline(report.tool.version)}")
    parts.append(f"checklist <code>{escape_inline(report.checklist.path, 200)}</code>")
    return " · ".join(x for x in parts if x)


def gate_markdown(report: Report) -> list[str]:
    """The gate's verdict, reasons, policy, waivers and baseline changes (empty without a gate)."""
    if report.gate is None:
        return []
    view = gate_view(report.gate)
    icon = "✅" if view.passed else ("⚠️" if report.gate.soft_fail else "❌")
    lines = [f"**{icon} {escape_inline(view.headline[:1].upper() + view.headline[1:])}**", ""]
    lines += [f"- {escape_inline(r, 500)}" for r in view.reasons]
    if view.policy:
        lines.append(f"- ⚠️ {escape_inline(view.policy, 1000)}")
    for line in view.baseline:
        lines.append(f"- {escape_inline(line, 500)}")
    if view.reasons or view.policy or view.baseline:
        lines.append("")
    if view.waivers:
        expired = sum(1 for w in report.gate.waivers if w.expired)
        lines += [f"<details><summary>Waivers: {len(view.waivers) - expired} in force, {expired} expired</summary>",
                  ""]
        lines += [f"- {escape_inline(w, 500)}" for w in view.waivers[:MAX_WAIVERS]]
        if len(view.waivers) > MAX_WAIVERS:
            lines.append(f"- and {len(view.waivers) - MAX_WAIVERS} more (see the JSON report)")
        lines += ["", "</details>", ""]
    return lines


def _health_markdown(report: Report) -> str:
    """Radon's code health as a folded table (not part of the score)."""
    health = report.code_health
    if health is None:
        return ""
    lines = ["", f"<details><summary>Code health (radon, not scored): {health.functions_total} functions, "
                 f"average complexity {health.average_cc:.1f}</summary>", ""]
    if health.functions:
        lines += ["| Function | Where | CC |", "| --- | --- | ---: |"]
        lines += [f"| <code>{escape_inline(f.name, 120)}</code> | {escape_inline(f'{f.path}:{f.line}', 200)} | "
                  f"{f.cc} ({f.rank}) |" for f in health.functions[:10]]
        lines.append("")
    worst = [f for f in health.files if f.rank != "A"][:10]
    if worst:
        lines += ["| File | Maintainability |", "| --- | ---: |"]
        lines += [f"| {escape_inline(f.path, 200)} | {f.mi:.1f} ({f.rank}) |" for f in worst]
        lines.append("")
    lines += ["</details>", ""]
    return "\n".join(lines)


def _compact_items(report: Report) -> list[ItemResult]:
    """Items the gate failed on or that changed since the baseline, in checklist order."""
    gate = report.gate
    if gate is None:
        return []
    wanted = set(gate.items)
    if gate.baseline is not None:
        wanted |= {c.item for c in gate.baseline.regressions} | {c.item for c in gate.baseline.improvements}
    return [i for i in report.items if i.id in wanted]


def render_markdown(report: Report, max_chars: int = MAX_CHARS, link_base: str | None = None,
                    compact: bool = False) -> str:
    """The summary; never longer than ``max_chars`` (the item list is cut with a note when needed).

    ``link_base`` (http/https) links evidence to the forge; ``compact`` lists only the items that
    changed since the baseline or failed the gate (for a comment on every push)."""
    s = report.summary
    applicable = s.implemented + s.partial + s.missing
    title = md_inline(report.checklist.name or "Checklist audit")
    head = [
        f"## {title}: {s.score:.0%}",
        "",
        provenance_line(report),
        "",
        *gate_markdown(report),
        f"**{s.implemented}/{applicable}** applicable items implemented · {s.partial} partial · "
        f"{s.missing} missing · {s.not_applicable} not applicable · {report.project.files_scanned} files scanned",
        "",
        "| Section | Implemented | Partial | Missing | N/A | Score |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for t in tallies(report):
        score = f"{t.score:.0%}" if t.applicable else "–"
        head.append(f"| {md_inline(t.title)} | {t.implemented}/{t.applicable} | {t.partial} | {t.missing} | "
                    f"{t.not_applicable} | {score} |")
    head.append("")
    problems = ordered_problems(report)
    if compact:
        problems = _compact_items(report)
        head += ([f"### Changed since the baseline or failing the gate ({len(problems)})", ""] if problems
                 else ["Nothing changed since the baseline and no item fails the gate.", ""])
    elif problems:
        head += [f"### Missing and partial items ({len(problems)})", ""]
    else:
        head += ["Every applicable item is implemented.", ""]
    out = "\n".join(head) + "\n"
    footer = _health_markdown(report)
    if report.warnings:
        footer += f"\n_{len(report.warnings)} file(s) were not fully read; see the JSON report._\n"
    footer += f"\n{REPORT_MARK}\n"
    for n, item in enumerate(problems):
        block = _item_block(item, link_base)
        left = len(problems) - n
        note = (f"\n_… {left} more missing or partial item(s) not shown: this summary is cut to stay under "
                f"{max_chars:,} characters. See the full report (HTML or JSON)._\n")
        # Keep room for the truncation note in case a later block does not fit.
        if len(out) + len(block) + len(note) + len(footer) > max_chars:
            if len(out) + len(note) + len(footer) <= max_chars:
                out += note
            break
        out += block
    out += footer
    return out[:max_chars]
