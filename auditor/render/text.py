"""The terminal summary: who was scanned, per-section counts, each item with its status and first evidence,
waivers, warnings, code health (``-v``) and the gate's verdict; lines fit 100 columns or wrap.
Text from the scanned repository goes through ``render.common``'s cleaning: no terminal
escape, bidi override or line break of its own reaches the terminal or the file."""

from __future__ import annotations

import textwrap

import click

from auditor.model import Report
from auditor.render.common import clean, clean_line
from auditor.render.gateview import gate_view

SYMBOL = {"implemented": "✔", "partial": "◐", "missing": "✘", "not_applicable": "–"}
COLOUR = {"implemented": "green", "partial": "yellow", "missing": "red", "not_applicable": "bright_black"}
WIDTH = 100
MAX_WARNINGS = 10


def _wrap(text: str, indent: str) -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent + "  ",
                         break_long_words=True, break_on_hyphens=False) or [indent]


def provenance(report: Report) -> str:
    """``name @ commit (date) · tool version · checklist``: what was scanned, by what."""
    p = report.project
    parts = [p.name or ""]
    if p.commit:
        parts.append(f"commit {p.commit[:12]}" + (f" ({p.commit_date})" if p.commit_date else ""))
    parts += [f"{report.tool.name} {report.tool.version}", f"checklist {report.checklist.path}"]
    return " · ".join(x for x in parts if x)


def render_text(report: Report, colour: bool = False, verbose: bool = False) -> str:
    def style(text: str, status: str, bold: bool = False) -> str:
        return click.style(text, fg=COLOUR[status], bold=bold) if colour else text

    out: list[str] = _wrap(provenance(report), "")
    out.append("")
    for section, items in report.sections():
        counts = {s: sum(1 for i in items if i.status == s) for s in SYMBOL}
        done = counts["implemented"]
        applicable = len(items) - counts["not_applicable"]
        head = f"{clean_line(section)}  {done}/{applicable}"
        out.append(click.style(head, bold=True) if colour else head)
        for item in items:
            where = ""
            if item.evidence:
                ev = item.evidence[0]
                where = f"{clean_line(ev.path)}:{ev.line}"
            status = item.status.replace("_", " ")
            mark = " [waived]" if item.waiver is not None else ""
            plain = f"  {SYMBOL[item.status]} {item.id:<28} {status:<14} {item.title}{mark}"
            line = (f"  {style(SYMBOL[item.status], item.status)} {item.id:<28} "
                    f"{style(f'{status:<14}', item.status)} {item.title}{mark}")
            if where and len(plain) + 2 + len(where) <= WIDTH:
                out.append(f"{line}  {where}")
            else:
                out.append(line)
                if where:
                    out.extend(_wrap(where, "      "))
            if verbose or item.status in ("partial",):
                out.extend(_wrap(clean_line(item.reason), "      "))
            if item.waiver is not None:
                owner = f" by {clean_line(item.waiver.owner)}" if item.waiver.owner else ""
                reason = f": {clean_line(item.waiver.reason)}" if verbose else " (-v for the reason)"
                out.extend(_wrap(f"waived{owner} until {item.waiver.expires}{reason}", "      "))
        out.append("")
    s = report.summary
    waived = sum(1 for i in report.items if i.waiver is not None)
    out.extend(_wrap(
        f"score {s.score:.0%}  implemented {s.implemented}  partial {s.partial}  missing {s.missing}  "
        f"not applicable {s.not_applicable}" + (f"  waived {waived}" if waived else "")
        + f"  ({report.project.files_scanned} files)", ""))
    if report.level is not None:
        lv = report.level
        after = f"; {lv.next} needs {len(lv.unmet)} more item(s): {', '.join(lv.unmet[:5])}" if lv.next else ""
        out.extend(_wrap(f"level {lv.name or 'none'}{after}{' ...' if len(lv.unmet) > 5 else ''}", ""))
    if report.warnings:
        out.append(f"{len(report.warnings)} warning(s): files not fully read")
        for w in report.warnings[:MAX_WARNINGS]:
            out.extend(_wrap(f"{w.path}: {w.message}", "  "))
        if len(report.warnings) > MAX_WARNINGS:
            out.append(f"  and {len(report.warnings) - MAX_WARNINGS} more (all of them: --format json)")
    if verbose and report.code_health is not None:
        out.extend(_code_health(report))
    if report.gate is not None:
        out.extend(_gate(report, verbose))
    return clean("\n".join(out)) + "\n"  # whatever else came from the repository: no control characters


def _code_health(report: Report) -> list[str]:
    health = report.code_health
    assert health is not None
    out = ["", f"code health (radon, not scored): {health.functions_total} functions, "
               f"average complexity {health.average_cc:.1f}"]
    for f in health.functions[:10]:
        out.extend(_wrap(f"CC {f.cc:>3} ({f.rank})  {f.name}  {f.path}:{f.line}", "  "))
    worst = [f for f in health.files if f.rank != "A"][:10]
    for fh in worst:
        out.extend(_wrap(f"MI {fh.mi:>5.1f} ({fh.rank})  {fh.path}", "  "))
    return out


def _gate(report: Report, verbose: bool) -> list[str]:
    assert report.gate is not None
    view = gate_view(report.gate, reasons_of_waivers=verbose)
    out = ["", view.headline]
    for reason in view.reasons:
        out.extend(_wrap(f"- {reason}", "  "))
    if view.policy:
        out.extend(_wrap(view.policy, "  "))
    gate = report.gate
    expired = [w for w in gate.waivers if w.expired]
    if gate.waivers:
        out.append(f"  waivers: {len(gate.waivers) - len(expired)} in force, {len(expired)} expired"
                   + ("" if verbose else " (-v lists them)"))
        for line, waiver in zip(view.waivers, gate.waivers, strict=True):
            if verbose or waiver.expired:
                out.extend(_wrap(line, "    "))
    for line in view.baseline:
        out.extend(_wrap(line, "  "))
    for note in view.notes:
        out.extend(_wrap(note, "  "))
    return out
