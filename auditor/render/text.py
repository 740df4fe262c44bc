"""The terminal summary: per-section counts and each item with its status and first evidence."""

from __future__ import annotations

import click

from auditor.model import Report

SYMBOL = {"implemented": "✔", "partial": "◐", "missing": "✘", "not_applicable": "–"}
COLOUR = {"implemented": "green", "partial": "yellow", "missing": "red", "not_applicable": "bright_black"}


def render_text(report: Report, colour: bool = False, verbose: bool = False) -> str:
    def style(text: str, status: str, bold: bool = False) -> str:
        return click.style(text, fg=COLOUR[status], bold=bold) if colour else text

    out: list[str] = []
    for section, items in report.sections():
        counts = {s: sum(1 for i in items if i.status == s) for s in SYMBOL}
        done = counts["implemented"]
        applicable = len(items) - counts["not_applicable"]
        head = f"{section}  {done}/{applicable}"
        out.append(click.style(head, bold=True) if colour else head)
        for item in items:
            where = ""
            if item.evidence:
                ev = item.evidence[0]
                where = f"  {ev.path}:{ev.line}"
            status = item.status.replace("_", " ")
            symbol = style(SYMBOL[item.status], item.status)
            out.append(f"  {symbol} {item.id:<28} {style(f'{status:<14}', item.status)} {item.title}{where}")
            if verbose or item.status in ("partial",):
                out.append(f"      {item.reason}")
        out.append("")
    s = report.summary
    out.append(
        f"score {s.score:.0%}  implemented {s.implemented}  partial {s.partial}  missing {s.missing}  "
        f"not applicable {s.not_applicable}  ({report.project.files_scanned} files)"
    )
    if report.level is not None:
        lv = report.level
        after = f"; {lv.next} needs {len(lv.unmet)} more item(s): {', '.join(lv.unmet[:5])}" if lv.next else ""
        out.append(f"level {lv.name or 'none'}{after}{' ...' if len(lv.unmet) > 5 else ''}")
    if report.warnings:
        out.append(f"{len(report.warnings)} warning(s): files not fully read (see --format json)")
    return "\n".join(out) + "\n"
