"""The fleet's history read from the store, as the views the dashboard and exports show.

One pass over every (run, service) entry in run order gives each run's state of the fleet (each
service's newest scan as of that run), from which come the trends; the newest state gives the
heat map, adoption and levels; the last two runs give the regressions and their commits.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from auditor.fleet import migrations as m
from auditor.fleet.store import Store
from auditor.fleet.task import OK, REUSED

BADNESS = {"implemented": 0, "not_applicable": 0, "partial": 1, "missing": 2}


@dataclass
class ServiceView:
    """A service as of the newest run: its scan, section scores, level and score history."""

    name: str
    team: str
    owner: str
    tags: list[str]
    status: str  # the newest entry's status (ok, reused or a failure)
    reason: str
    scan_id: int | None  # the newest successful scan
    commit: str | None
    scanned_at: str
    score: float | None
    level: str | None
    sections: dict[str, tuple[int, int]] = field(default_factory=dict)  # section -> (implemented, applicable)
    trend: list[float | None] = field(default_factory=list)  # score as of each run

    def section_score(self, section: str) -> float | None:
        done, applicable = self.sections.get(section, (0, 0))
        return done / applicable if applicable else None


@dataclass
class Adoption:
    """One checklist item across the fleet's newest scans."""

    item: str
    title: str
    section: str
    severity: str
    counts: Counter[str]

    @property
    def applicable(self) -> int:
        return sum(n for s, n in self.counts.items() if s != "not_applicable")

    @property
    def rate(self) -> float:
        return self.counts["implemented"] / self.applicable if self.applicable else 1.0


@dataclass
class Regression:
    """An item worse in the newest run than in the run before, with the commits between."""

    service: str
    item: str
    before: str
    after: str
    old_commit: str | None
    new_commit: str | None


@dataclass
class FleetView:
    """Everything the dashboard shows."""

    runs: list[dict[str, Any]]
    sections: list[str]
    services: list[ServiceView]
    adoption: list[Adoption]
    levels: list[str]
    regressions: list[Regression]
    fleet_trend: list[float | None]
    team_trends: dict[str, list[float | None]]
    section_trends: dict[str, list[float | None]]


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def _section_counts(store: Store, scan_ids: list[int]) -> dict[int, dict[str, tuple[int, int]]]:
    """(implemented, applicable) per section of each scan, counted by the database."""
    i = m.items
    out: dict[int, dict[str, tuple[int, int]]] = defaultdict(dict)
    implemented = sa.func.sum(sa.case((i.c.status == "implemented", 1), else_=0))
    applicable = sa.func.sum(sa.case((i.c.status != "not_applicable", 1), else_=0))
    with store.engine.connect() as conn:
        for start in range(0, len(scan_ids), 900):
            chunk = scan_ids[start:start + 900]
            q = sa.select(i.c.scan_id, i.c.section, implemented, applicable).where(
                i.c.scan_id.in_(chunk)).group_by(i.c.scan_id, i.c.section)
            for scan_id, section, done, total in conn.execute(q):
                out[scan_id][section] = (int(done or 0), int(total or 0))
    return out


def load_view(store: Store) -> FleetView:
    """Read the store once into a FleetView."""
    runs = store.runs()
    run_index = {r["id"]: n for n, r in enumerate(runs)}
    services = {s["id"]: s for s in store.services()}
    state: dict[int, dict[str, Any]] = {}  # service id -> newest entry
    good: dict[int, dict[str, Any]] = {}  # service id -> newest successful entry
    previous_good: dict[int, dict[str, Any]] = {}  # service id -> successful entry before the newest run's
    trends: dict[int, list[float | None]] = {sid: [None] * len(runs) for sid in services}
    per_run_scans: list[dict[int, int]] = []
    fleet_trend: list[float | None] = []
    team_scores: dict[str, list[float | None]] = defaultdict(lambda: [None] * len(runs))
    last_run = runs[-1]["id"] if runs else None
    current_run, n = None, -1

    def close_run(n: int) -> None:
        scores: list[float] = []
        teams: dict[str, list[float]] = defaultdict(list)
        for sid, entry in good.items():
            if entry["score"] is not None:
                trends[sid][n] = entry["score"]
                scores.append(entry["score"])
                teams[services[sid]["team"] or "(no team)"].append(entry["score"])
        fleet_trend.append(_mean(scores))
        for team, values in teams.items():
            team_scores[team][n] = _mean(values)
        per_run_scans.append({sid: e["scan_id"] for sid, e in good.items()})

    for entry in store.run_entries():
        if entry["run_id"] != current_run:
            if current_run is not None:
                close_run(n)
                for k in range(n + 1, run_index[entry["run_id"]]):
                    close_run(k)
            current_run, n = entry["run_id"], run_index[entry["run_id"]]
        sid = entry["service_id"]
        state[sid] = entry
        if entry["status"] == OK and entry["entry"] in (OK, REUSED):
            if entry["run_id"] == last_run and sid in good and good[sid]["run_id"] != last_run:
                previous_good[sid] = good[sid]
            good[sid] = entry
    if current_run is not None:
        for k in range(n, len(runs)):
            close_run(k)
    # section trends need each run's scans' section counts
    all_scans = sorted({s for run in per_run_scans for s in run.values()})
    counts = _section_counts(store, all_scans)
    latest_ids = [e["scan_id"] for e in good.values()]
    titles, order = _titles(store, latest_ids[-1] if latest_ids else None)
    sections: list[str] = list(dict.fromkeys([*order, *sorted({sec for c in counts.values() for sec in c})]))
    section_trends: dict[str, list[float | None]] = {}
    for section in sections:
        series: list[float | None] = []
        for run_scans in per_run_scans:
            done = total = 0
            for scan_id in run_scans.values():
                d, t = counts.get(scan_id, {}).get(section, (0, 0))
                done, total = done + d, total + t
            series.append(round(done / total, 4) if total else None)
        section_trends[section] = series
    views = []
    for sid, svc in services.items():
        last, ok = state.get(sid), good.get(sid)
        if last is None:
            continue
        shown = ok or last
        views.append(ServiceView(
            name=svc["name"], team=svc["team"] or "", owner=svc["owner"] or "", tags=svc["tags"],
            status=last["entry"] if last["status"] == OK else last["status"], reason=last["reason"] or "",
            scan_id=ok["scan_id"] if ok else None, commit=shown["commit_sha"],
            scanned_at=shown["scanned_at"], score=ok["score"] if ok else None,
            level=ok["level"] if ok else None, sections=counts.get(ok["scan_id"], {}) if ok else {},
            trend=trends[sid]))
    views.sort(key=lambda v: v.name)
    statuses = store.item_statuses(latest_ids)
    adoption = _adoption(statuses, titles)
    regressions = _regressions(store, services, good, previous_good)
    levels = _levels(store, latest_ids[-1] if latest_ids else None)
    return FleetView(runs=runs, sections=sections, services=views, adoption=adoption, levels=levels,
                     regressions=regressions, fleet_trend=fleet_trend,
                     team_trends=dict(sorted(team_scores.items())), section_trends=section_trends)


def _titles(store: Store, scan_id: int | None) -> tuple[dict[str, str], list[str]]:
    """Item titles and the section order, from one stored report."""
    text = store.report_text(scan_id) if scan_id is not None else None
    if text is None:
        return {}, []
    items = json.loads(text).get("items", [])
    return {i["id"]: i["title"] for i in items}, list(dict.fromkeys(i["section"] for i in items))


def _levels(store: Store, scan_id: int | None) -> list[str]:
    text = store.report_text(scan_id) if scan_id is not None else None
    level = json.loads(text).get("level") if text else None
    return list(level.get("levels", [])) if isinstance(level, dict) else []


def _adoption(statuses: dict[int, dict[str, tuple[str, str, str, str]]], titles: dict[str, str]) -> list[Adoption]:
    by_item: dict[str, Adoption] = {}
    for items in statuses.values():
        for item_id, (section, status, severity, _reason) in items.items():
            a = by_item.get(item_id)
            if a is None:
                a = by_item[item_id] = Adoption(item_id, titles.get(item_id, item_id), section, severity, Counter())
            a.counts[status] += 1
    return sorted(by_item.values(), key=lambda a: (a.rate, -a.applicable, a.item))


def _regressions(store: Store, services: dict[int, dict[str, Any]], good: dict[int, dict[str, Any]],
                 before: dict[int, dict[str, Any]]) -> list[Regression]:
    pairs = [(sid, before[sid], good[sid]) for sid in before if before[sid]["scan_id"] != good[sid]["scan_id"]]
    statuses = store.item_statuses([e["scan_id"] for _, a, b in pairs for e in (a, b)])
    out = []
    for sid, old, new in pairs:
        was, now = statuses.get(old["scan_id"], {}), statuses.get(new["scan_id"], {})
        for item_id, (_sec, status, _sev, _r) in now.items():
            prior = was.get(item_id)
            if prior is not None and BADNESS[status] > BADNESS[prior[1]]:
                out.append(Regression(services[sid]["name"], item_id, prior[1], status, old["commit_sha"],
                                      new["commit_sha"]))
    return sorted(out, key=lambda r: (r.service, r.item))
