"""The results store: every scan of every service, kept (never overwritten), in SQLite or PostgreSQL.

``open_store(url_or_path)`` upgrades the schema (``auditor.fleet.migrations``) and returns a
``Store``. Each service's result is written in its own transaction the moment it arrives, so a
killed run leaves every finished service recorded and nothing half-written; a later run marks
the killed one interrupted and reuses what it finished.
"""

from __future__ import annotations

import json
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from auditor.errors import AuditorError
from auditor.fleet import migrations as m
from auditor.fleet.task import OK, REUSED, Result, now_iso


def section_counts(items: list[dict[str, Any]]) -> dict[str, list[int]]:
    """{section: [implemented, applicable]} of a report's items, in checklist order."""
    out: dict[str, list[int]] = {}
    for it in items:
        counts = out.setdefault(it["section"], [0, 0])
        counts[0] += it["status"] == "implemented"
        counts[1] += it["status"] != "not_applicable"
    return out


def engine_url(target: str) -> str:
    """A SQLAlchemy URL from a store argument: a file path (SQLite) or a database URL."""
    if "://" not in target:
        return f"sqlite:///{Path(target).expanduser().resolve()}"
    scheme, rest = target.split("://", 1)
    if scheme in ("postgres", "postgresql", "postgresql+asyncpg", "postgresql+psycopg2"):
        return f"postgresql+psycopg://{rest}"
    return target


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def open_store(target: str) -> Store:
    """Open (creating or upgrading) the store at a path or URL; AuditorError with one line on failure."""
    url = engine_url(target)
    try:
        engine = sa.create_engine(url)
    except (sa.exc.ArgumentError, ImportError) as exc:
        raise AuditorError(f"results store {target!r}: {exc}") from None
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    try:
        m.upgrade(engine, now=now_iso())
    except sa.exc.OperationalError as exc:
        raise AuditorError(f"results store {target!r}: cannot open: {str(exc.orig).strip().splitlines()[0]}") from None
    return Store(engine)


@dataclass
class ServiceMeta:
    """What the store keeps about a service besides its scans."""

    name: str
    team: str | None = None
    owner: str | None = None
    tags: tuple[str, ...] = ()
    source: str | None = None


class Store:
    """Writes and reads of the results store (SQLAlchemy Core)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def close(self) -> None:
        self.engine.dispose()

    # -- runs ---------------------------------------------------------------------------------
    def begin_run(self, kind: str, label: str, total: int, version: str) -> int:
        """A new run; a new scan run marks scan runs left ``running`` by a killed process ``interrupted``."""
        with self.engine.begin() as conn:
            if kind == "scan":
                conn.execute(m.runs.update().where(m.runs.c.status == "running", m.runs.c.kind == "scan")
                             .values(status="interrupted"))
            return int(conn.execute(m.runs.insert().values(
                kind=kind, started_at=now_iso(), status="running", label=label, auditor_version=version,
                services_total=total)).inserted_primary_key[0])  # type: ignore[index]

    def finish_run(self, run_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(m.runs.update().where(m.runs.c.id == run_id).values(status="finished",
                                                                              finished_at=now_iso()))

    # -- services -----------------------------------------------------------------------------
    def _service_id(self, conn: sa.Connection, meta: ServiceMeta) -> int:
        values = {"team": meta.team, "owner": meta.owner, "tags": json.dumps(list(meta.tags)), "source": meta.source}
        found = conn.execute(sa.select(m.services.c.id).where(m.services.c.name == meta.name)).scalar()
        if found is None:
            return int(conn.execute(m.services.insert().values(name=meta.name, **values)).inserted_primary_key[0])  # type: ignore[index]
        given = {k: v for k, v in values.items() if v not in (None, "[]")}
        if given:
            conn.execute(m.services.update().where(m.services.c.id == found).values(**given))
        return int(found)

    def done_commits(self, service: str, fingerprint: str) -> list[str]:
        """Commits of the service already scanned successfully with these settings."""
        q = (sa.select(m.scans.c.commit_sha).distinct().join(m.services, m.services.c.id == m.scans.c.service_id)
             .where(m.services.c.name == service, m.scans.c.fingerprint == fingerprint, m.scans.c.status == OK,
                    m.scans.c.commit_sha.is_not(None)))
        with self.engine.connect() as conn:
            return sorted(str(c) for c in conn.execute(q).scalars())

    # -- results ------------------------------------------------------------------------------
    def record(self, run_id: int, meta: ServiceMeta, result: Result, fingerprint: str | None,
               origin: str = "fleet") -> int:
        """Store one service's result in one transaction; returns the scan id the run points at."""
        with self.engine.begin() as conn:
            service_id = self._service_id(conn, meta)
            if result.status == REUSED:
                scan_id = conn.execute(
                    sa.select(sa.func.max(m.scans.c.id)).where(
                        m.scans.c.service_id == service_id, m.scans.c.commit_sha == result.commit,
                        m.scans.c.fingerprint == fingerprint, m.scans.c.status == OK)).scalar()
                if scan_id is None:
                    raise AuditorError(f"{meta.name}: no stored scan of commit {result.commit} to reuse")
            else:
                scan_id = self._insert_scan(conn, service_id, result, fingerprint, origin)
            conn.execute(m.run_services.insert().values(run_id=run_id, service_id=service_id, scan_id=scan_id,
                                                        status=result.status))
            return int(scan_id)

    def _insert_scan(self, conn: sa.Connection, service_id: int, result: Result, fingerprint: str | None,
                     origin: str) -> int:
        values: dict[str, Any] = {
            "service_id": service_id, "commit_sha": result.commit, "commit_date": result.commit_date,
            "scanned_at": result.started_at or now_iso(), "origin": origin, "fingerprint": fingerprint,
            "status": result.status, "reason": result.reason, "gate_passed": result.gate_passed,
            "duration": result.duration,
        }
        report: dict[str, Any] | None = None
        if result.report_json is not None:
            report = json.loads(result.report_json)
            summary = report.get("summary", {})
            values.update(
                report=zlib.compress(result.report_json.encode("utf-8"), 6),
                tool_version=report.get("tool", {}).get("version"),
                checklist_name=report.get("checklist", {}).get("name") or report.get("checklist", {}).get("path"),
                checklist_items=report.get("checklist", {}).get("items"), score=summary.get("score"),
                implemented=summary.get("implemented"), partial=summary.get("partial"),
                missing=summary.get("missing"), not_applicable=summary.get("not_applicable"),
                level=(report.get("level") or {}).get("name"),
                sections=json.dumps(section_counts(report.get("items", [])), ensure_ascii=False),
            )
        scan_id = int(conn.execute(m.scans.insert().values(**values)).inserted_primary_key[0])  # type: ignore[index]
        if report is not None:
            rows = [{
                "scan_id": scan_id, "item_id": it["id"], "section": it["section"], "status": it["status"],
                "severity": it.get("severity"), "waived": it.get("waiver") is not None,
                "reason": it.get("reason", ""),
                "evidence": json.dumps([f"{e['path']}:{e['line']}" for e in it.get("evidence", [])]),
            } for it in report.get("items", [])]
            if rows:
                conn.execute(m.items.insert(), rows)
        return scan_id

    # -- reads --------------------------------------------------------------------------------
    def report_text(self, scan_id: int) -> str | None:
        """The exact JSON report of a scan."""
        with self.engine.connect() as conn:
            blob = conn.execute(sa.select(m.scans.c.report).where(m.scans.c.id == scan_id)).scalar()
        return None if blob is None else zlib.decompress(blob).decode("utf-8")

    def runs(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.select(m.runs).order_by(m.runs.c.id))]

    def services(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(sa.select(m.services).order_by(m.services.c.name))]
        for row in rows:
            row["tags"] = json.loads(row["tags"] or "[]")
        return rows

    def run_entries(self) -> Iterator[dict[str, Any]]:
        """Every (run, service) entry with its scan's summary, in run order: the history."""
        s = m.scans
        q = (sa.select(m.run_services.c.run_id, m.run_services.c.service_id, m.run_services.c.status.label("entry"),
                       s.c.id.label("scan_id"), s.c.commit_sha, s.c.commit_date, s.c.scanned_at, s.c.status, s.c.reason,
                       s.c.score, s.c.implemented, s.c.partial, s.c.missing, s.c.not_applicable, s.c.level,
                       s.c.gate_passed)
             .join(s, s.c.id == m.run_services.c.scan_id)
             .order_by(m.run_services.c.run_id, m.run_services.c.service_id))
        with self.engine.connect() as conn:
            for row in conn.execution_options(stream_results=True).execute(q):
                yield dict(row._mapping)

    def history(self) -> tuple[dict[int, tuple[Any, ...]], list[tuple[int, int, int, str]]]:
        """Every scan's summary by id ``(id, service_id, commit, commit_date, scanned_at, status, reason,
        score, level, sections)`` and every (run, service, scan, entry status) link in run order."""
        s, rs = m.scans, m.run_services
        with self.engine.connect() as conn:
            scans = {row[0]: tuple(row) for row in conn.execute(sa.select(
                s.c.id, s.c.service_id, s.c.commit_sha, s.c.commit_date, s.c.scanned_at, s.c.status, s.c.reason,
                s.c.score, s.c.level, s.c.sections))}
            links = [tuple(row) for row in conn.execute(
                sa.select(rs.c.run_id, rs.c.service_id, rs.c.scan_id, rs.c.status).order_by(rs.c.run_id,
                                                                                           rs.c.service_id))]
        return scans, links

    def item_counts(self, scan_ids: list[int]) -> dict[str, tuple[str, str, Counter[str]]]:
        """Item id -> (section, severity, count of each status) over the given scans, counted by the database."""
        i = m.items
        out: dict[str, tuple[str, str, Counter[str]]] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(scan_ids), 900):
                chunk = scan_ids[start:start + 900]
                q = (sa.select(i.c.item_id, i.c.section, i.c.severity, i.c.status, sa.func.count())
                     .where(i.c.scan_id.in_(chunk)).group_by(i.c.item_id, i.c.section, i.c.severity, i.c.status))
                for item_id, section, severity, status, n in conn.execute(q):
                    entry = out.setdefault(item_id, (section, severity or "", Counter()))
                    entry[2][status] += int(n)
        return out

    def item_statuses(self, scan_ids: list[int]) -> dict[int, dict[str, tuple[str, str, str, str]]]:
        """For each scan: item id -> (section, status, severity, reason)."""
        out: dict[int, dict[str, tuple[str, str, str, str]]] = {}
        i = m.items
        with self.engine.connect() as conn:
            for start in range(0, len(scan_ids), 500):
                chunk = scan_ids[start:start + 500]
                q = sa.select(i.c.scan_id, i.c.item_id, i.c.section, i.c.status, i.c.severity, i.c.reason).where(
                    i.c.scan_id.in_(chunk))
                for scan_id, item_id, section, status, severity, reason in conn.execute(q):
                    out.setdefault(scan_id, {})[item_id] = (section, status, severity or "", reason or "")
        return out
