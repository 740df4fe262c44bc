"""The results store's schema, as numbered migrations recorded in a ``fleet_schema`` table.

Why not Alembic: the store is created and upgraded by the CLI on whatever database a user points
it at, with no migration scripts folder or ``alembic.ini`` to ship and configure; the schema is a
handful of tables, so an ordered list of SQLAlchemy Core steps, each run once in a transaction and
recorded with its number, does the job with no second tool. ``upgrade`` brings any older store to
``LATEST``; a store newer than this auditor is refused rather than misread.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable

import sqlalchemy as sa

from auditor.errors import AuditorError

schema = sa.Table(
    "fleet_schema", sa.MetaData(),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("applied_at", sa.String(40), nullable=False),
)


def build(md: sa.MetaData, version: int) -> dict[str, sa.Table]:
    """The store's tables as of schema ``version`` (the newest for queries, older ones for migrations)."""
    services = sa.Table(
        "services", md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("team", sa.String(200)),
        sa.Column("owner", sa.String(200)),
        sa.Column("tags", sa.Text, nullable=False, default="[]"),
        sa.Column("source", sa.Text),
    )
    runs = sa.Table(
        "runs", md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(20), nullable=False),  # scan | ingest
        sa.Column("started_at", sa.String(40), nullable=False),
        sa.Column("finished_at", sa.String(40)),
        sa.Column("status", sa.String(20), nullable=False),  # running | finished | interrupted
        sa.Column("label", sa.Text),
        sa.Column("auditor_version", sa.String(40)),
        sa.Column("services_total", sa.Integer, nullable=False, default=0),
    )
    scans = sa.Table(
        "scans", md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("service_id", sa.Integer, sa.ForeignKey("services.id"), nullable=False),
        sa.Column("commit_sha", sa.String(64)),
        sa.Column("commit_date", sa.String(40)),
        sa.Column("scanned_at", sa.String(40), nullable=False),
        sa.Column("origin", sa.String(20), nullable=False),  # fleet | ingest
        sa.Column("fingerprint", sa.String(64)),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text, nullable=False, default=""),
        sa.Column("tool_version", sa.String(40)),
        sa.Column("checklist_name", sa.Text),
        sa.Column("checklist_items", sa.Integer),
        sa.Column("score", sa.Float),
        sa.Column("implemented", sa.Integer),
        sa.Column("partial", sa.Integer),
        sa.Column("missing", sa.Integer),
        sa.Column("not_applicable", sa.Integer),
        sa.Column("gate_passed", sa.Boolean),
        sa.Column("duration", sa.Float),
        sa.Column("report", sa.LargeBinary),  # the JSON report's exact bytes, zlib-compressed
        *([sa.Column("level", sa.String(100))] if version >= 2 else []),
        # JSON {section: [implemented, applicable]}: the heat map and trends without reading item rows
        *([sa.Column("sections", sa.Text)] if version >= 3 else []),
    )
    items = sa.Table(
        "item_results", md,
        sa.Column("scan_id", sa.Integer, sa.ForeignKey("scans.id"), primary_key=True),
        sa.Column("item_id", sa.String(100), primary_key=True),
        sa.Column("section", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("severity", sa.String(20)),
        sa.Column("waived", sa.Boolean, nullable=False, default=False),
        sa.Column("reason", sa.Text, nullable=False, default=""),
        sa.Column("evidence", sa.Text, nullable=False, default="[]"),  # JSON list of "path:line"
    )
    run_services = sa.Table(
        "run_services", md,
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id"), primary_key=True),
        sa.Column("service_id", sa.Integer, sa.ForeignKey("services.id"), primary_key=True),
        sa.Column("scan_id", sa.Integer, sa.ForeignKey("scans.id"), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),  # the scan's status, or reused
    )
    return {t.name: t for t in (services, runs, scans, items, run_services)}


def _v1(conn: sa.Connection) -> None:
    """Services, runs, scans with their compressed reports, per-item results, and what each run saw."""
    md = sa.MetaData()
    build(md, 1)
    md.create_all(conn)


def _v2(conn: sa.Connection) -> None:
    """Levels: each scan's level (from the report's ``level``), and an index for resuming by commit."""
    conn.execute(sa.text("ALTER TABLE scans ADD COLUMN level VARCHAR(100)"))
    conn.execute(sa.text("CREATE INDEX ix_scans_service_commit ON scans (service_id, commit_sha)"))
    scans = build(sa.MetaData(), 2)["scans"]
    rows = conn.execute(sa.select(scans.c.id, scans.c.report).where(scans.c.report.is_not(None))).all()
    for scan_id, blob in rows:
        level = json.loads(zlib.decompress(blob)).get("level", {}).get("name")
        if level is not None:
            conn.execute(sa.text("UPDATE scans SET level = :level WHERE id = :id"), {"level": level, "id": scan_id})


def _v3(conn: sa.Connection) -> None:
    """Per-section counts kept on each scan, filled in for the scans already stored."""
    conn.execute(sa.text("ALTER TABLE scans ADD COLUMN sections TEXT"))
    items = build(sa.MetaData(), 3)["item_results"]
    implemented = sa.func.sum(sa.case((items.c.status == "implemented", 1), else_=0))
    applicable = sa.func.sum(sa.case((items.c.status != "not_applicable", 1), else_=0))
    counts: dict[int, dict[str, list[int]]] = {}
    q = sa.select(items.c.scan_id, items.c.section, implemented, applicable).group_by(items.c.scan_id, items.c.section)
    for scan_id, section, done, total in conn.execute(q):
        counts.setdefault(scan_id, {})[section] = [int(done or 0), int(total or 0)]
    for scan_id, sections in counts.items():
        conn.execute(sa.text("UPDATE scans SET sections = :s WHERE id = :id"),
                     {"s": json.dumps(sections, ensure_ascii=False), "id": scan_id})


MIGRATIONS: list[Callable[[sa.Connection], None]] = [_v1, _v2, _v3]
LATEST = len(MIGRATIONS)
metadata = sa.MetaData()
TABLES = build(metadata, LATEST)
services, runs, scans = TABLES["services"], TABLES["runs"], TABLES["scans"]
items, run_services = TABLES["item_results"], TABLES["run_services"]


def current_version(conn: sa.Connection) -> int:
    """The store's schema version (0: empty database)."""
    if not sa.inspect(conn).has_table("fleet_schema"):
        return 0
    return int(conn.execute(sa.select(sa.func.max(schema.c.version))).scalar() or 0)


def upgrade(engine: sa.Engine, target: int = LATEST, now: str = "") -> int:
    """Apply the migrations after the store's version up to ``target``, each in its own transaction."""
    with engine.begin() as conn:
        if not sa.inspect(conn).has_table("fleet_schema"):
            schema.create(conn)
        version = current_version(conn)
    if version > LATEST:
        raise AuditorError(f"results store has schema version {version}, newer than this auditor's "
                           f"{LATEST}: upgrade the auditor")
    for number in range(version + 1, target + 1):
        with engine.begin() as conn:
            MIGRATIONS[number - 1](conn)
            conn.execute(schema.insert().values(version=number, applied_at=now or "unknown"))
    return max(version, target)
