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


def load_view(store: Store) -> FleetView:
    """Read the store once into a FleetView."""
    runs = store.runs()
    n_runs = len(runs)
    run_index = {r["id"]: n for n, r in enumerate(runs)}
    services = {s["id"]: s for s in store.services()}
    scans, links = store.history()
    sections_of: dict[int, dict[str, list[int]]] = {}
    state: dict[int, tuple[int, str]] = {}  # service id -> newest (scan id, entry status)
    good: dict[int, int] = {}  # service id -> newest successful scan id
    good_run: dict[int, int] = {}  # service id -> run index of that scan's entry
    previous_good: dict[int, int] = {}  # service id -> successful scan before the newest run's
    trends: dict[int, list[float | None]] = {sid: [None] * n_runs for sid in services}
    fleet_trend: list[float | None] = [None] * n_runs
    team_trends: dict[str, list[float | None]] = defaultdict(lambda: [None] * n_runs)
    section_sums: dict[str, list[list[int]]] = defaultdict(lambda: [[0, 0] for _ in range(n_runs)])

    def sections(scan_id: int) -> dict[str, list[int]]:
        found = sections_of.get(scan_id)
        if found is None:
            raw = scans[scan_id][9]
            found = sections_of[scan_id] = json.loads(raw) if raw else {}
        return found

    # running totals over each service's newest successful scan, updated as scans replace each other
    team_sum: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
    section_now: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    fleet_sum = [0.0, 0]

    def account(sid: int, scan_id: int, sign: int) -> None:
        score = scans[scan_id][7]
        if score is None:
            return
        team = team_sum[services[sid]["team"] or "(no team)"]
        team[0] += sign * score
        team[1] += sign
        fleet_sum[0] += sign * score
        fleet_sum[1] += sign
        for section, (done, total) in sections(scan_id).items():
            acc = section_now[section]
            acc[0] += sign * done
            acc[1] += sign * total

    def close_run(n: int) -> None:
        for sid, scan_id in good.items():
            trends[sid][n] = scans[scan_id][7]
        fleet_trend[n] = round(fleet_sum[0] / fleet_sum[1], 4) if fleet_sum[1] else None
        for team, (total, count) in team_sum.items():
            team_trends[team][n] = round(total / count, 4) if count else None
        for section, (done, total) in section_now.items():
            section_sums[section][n] = [done, total]

    last = n_runs - 1
    current = -1
    for run_id, sid, scan_id, entry in links:
        n = run_index[run_id]
        while current < n:  # close every run before this one (runs without entries too)
            if current >= 0:
                close_run(current)
            current += 1
        state[sid] = (scan_id, entry)
        if scans[scan_id][5] == OK and entry in (OK, REUSED):
            if n == last and sid in good and good_run[sid] != last:
                previous_good[sid] = good[sid]
            if good.get(sid) != scan_id:
                if sid in good:
                    account(sid, good[sid], -1)
                account(sid, scan_id, 1)
            good[sid], good_run[sid] = scan_id, n
    while current < n_runs:
        if current >= 0:
            close_run(current)
        current += 1
    latest_ids = list(good.values())
    titles, order = _titles(store, latest_ids[-1] if latest_ids else None)
    section_names = list(dict.fromkeys([*order, *section_sums]))
    section_trends = {sec: [round(d / t, 4) if t else None for d, t in section_sums[sec]] for sec in section_names}
    views = []
    for sid, svc in services.items():
        newest = state.get(sid)
        if newest is None:
            continue
        ok = good.get(sid)
        row = scans[ok if ok is not None else newest[0]]
        last_row = scans[newest[0]]
        views.append(ServiceView(
            name=svc["name"], team=svc["team"] or "", owner=svc["owner"] or "", tags=svc["tags"],
            status=newest[1] if last_row[5] == OK else last_row[5], reason=last_row[6] or "",
            scan_id=ok, commit=row[2], scanned_at=row[4], score=row[7] if ok is not None else None,
            level=row[8] if ok is not None else None,
            sections={k: (v[0], v[1]) for k, v in sections(ok).items()} if ok is not None else {},
            trend=trends[sid]))
    views.sort(key=lambda v: v.name)
    adoption = sorted((Adoption(item, titles.get(item, item), section, severity, counts)
                       for item, (section, severity, counts) in store.item_counts(latest_ids).items()),
                      key=lambda a: (a.rate, -a.applicable, a.item))
    regressions = _regressions(store, services, scans, good, previous_good)
    levels = _levels(store, latest_ids[-1] if latest_ids else None)
    return FleetView(runs=runs, sections=section_names, services=views, adoption=adoption, levels=levels,
                     regressions=regressions, fleet_trend=fleet_trend,
                     team_trends=dict(sorted(team_trends.items())), section_trends=section_trends)


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


def _regressions(store: Store, services: dict[int, dict[str, Any]], scans: dict[int, tuple[Any, ...]],
                 good: dict[int, int], before: dict[int, int]) -> list[Regression]:
    pairs = [(sid, before[sid], good[sid]) for sid in before if before[sid] != good[sid]]
    statuses = store.item_statuses([scan for _, a, b in pairs for scan in (a, b)])
    out = []
    for sid, old, new in pairs:
        was, now = statuses.get(old, {}), statuses.get(new, {})
        for item_id, (_sec, status, _sev, _r) in now.items():
            prior = was.get(item_id)
            if prior is not None and BADNESS[status] > BADNESS[prior[1]]:
                out.append(Regression(services[sid]["name"], item_id, prior[1], status, scans[old][2],
                                      scans[new][2]))
    return sorted(out, key=lambda r: (r.service, r.item))
