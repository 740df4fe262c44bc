"""The fleet view as Markdown (an issue or wiki page), CSV (one row per service) and JSON."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from auditor.fleet.history import FleetView
from auditor.fleet.task import FAILURES


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{v:.0%}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(view: FleetView, title: str = "Fleet", top: int = 15) -> str:
    """Summary, levels, weakest practices, services worst first, regressions and failures."""
    scored = [v for v in view.services if v.score is not None]
    mean = sum(v.score for v in scored if v.score is not None) / len(scored) if scored else None
    lines = [f"# {title}", "", f"{len(view.services)} services, {len(view.runs)} runs, mean score {_pct(mean)}.", ""]
    if view.levels:
        counts = {lv: sum(1 for v in scored if v.level == lv) for lv in view.levels}
        none = sum(1 for v in scored if not v.level)
        lines += ["Levels: " + ", ".join(f"{lv} {n}" for lv, n in counts.items()) + f", none {none}", ""]
    lines += ["## Weakest practices", "", "| item | title | section | adopted |", "|---|---|---|---|"]
    for a in view.adoption[:top]:
        lines.append(f"| `{a.item}` | {_cell(a.title)} | {_cell(a.section)} | {_pct(a.rate)} "
                     f"({a.counts['implemented']}/{a.applicable}) |")
    lines += ["", "## Services", "", "| service | team | score | level | status |", "|---|---|---|---|---|"]
    for v in sorted(view.services, key=lambda v: (v.score is not None, v.score or 0, v.name)):
        lines.append(f"| {_cell(v.name)} | {_cell(v.team)} | {_pct(v.score)} | {v.level or '–'} | {v.status} |")
    lines += ["", "## Regressions since the previous run", ""]
    if view.regressions:
        lines += ["| service | item | was | now | commits |", "|---|---|---|---|---|"]
        lines += [f"| {_cell(r.service)} | `{r.item}` | {r.before} | {r.after} | "
                  f"`{(r.old_commit or '?')[:10]}..{(r.new_commit or '?')[:10]}` |" for r in view.regressions]
    else:
        lines.append("None.")
    failed = [v for v in view.services if v.status in FAILURES]
    if failed:
        lines += ["", "## Failed to scan", ""] + [f"- **{_cell(v.name)}**: {v.status}: {_cell(v.reason)}"
                                                  for v in failed]
    return "\n".join(lines) + "\n"


def render_csv(view: FleetView) -> str:
    """One row per service: identity, status, score, level and each section's implemented share."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["service", "team", "owner", "tags", "status", "reason", "commit", "scanned_at", "score", "level",
                *view.sections])
    for v in view.services:
        w.writerow([v.name, v.team, v.owner, " ".join(v.tags), v.status, v.reason, v.commit or "", v.scanned_at,
                    "" if v.score is None else v.score, v.level or "",
                    *("" if (s := v.section_score(sec)) is None else round(s, 4) for sec in view.sections)])
    return buf.getvalue()


def to_json(view: FleetView) -> dict[str, Any]:
    """Everything the dashboard shows, as data."""
    return {
        "runs": [{k: r[k] for k in ("id", "kind", "started_at", "finished_at", "status", "services_total")}
                 for r in view.runs],
        "sections": view.sections,
        "levels": view.levels,
        "services": [{
            "name": v.name, "team": v.team, "owner": v.owner, "tags": v.tags, "status": v.status,
            "reason": v.reason, "commit": v.commit, "scanned_at": v.scanned_at, "score": v.score, "level": v.level,
            "sections": {s: {"implemented": d, "applicable": t} for s, (d, t) in v.sections.items()},
            "trend": v.trend,
        } for v in view.services],
        "adoption": [{"item": a.item, "title": a.title, "section": a.section, "severity": a.severity,
                      "rate": round(a.rate, 4), "counts": dict(sorted(a.counts.items()))} for a in view.adoption],
        "regressions": [vars(r) for r in view.regressions],
        "trends": {"fleet": view.fleet_trend, "teams": view.team_trends, "sections": view.section_trends},
    }


def render_json(view: FleetView) -> str:
    return json.dumps(to_json(view), indent=2, ensure_ascii=False) + "\n"
