"""No evidence from the places the checklist excludes: templates, changelogs, licences, the
auditor's own rule files, migration revisions (except for schema items), developer tooling, seed
commands, asset builds, and prose (comments, YAML descriptions, notes, strings never run).

The service below mentions every practice only in those places, beside one small app that
really does a few things, so any leak shows as evidence in a forbidden place."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from auditor.engine.discover import never_evidence, role_of
from auditor.engine.scan import ScanOptions, scan
from auditor.model import Report

pytestmark = pytest.mark.slow  # processes, whole-tree scans or generated cases

# Items whose evidence may sit in migration revisions.
SCHEMA_ITEMS = frozenset({"db.migrations", "perf.indexing", "perf.query-optimization"})
PROSE = "Run pg_dump nightly; add a /health route with SELECT 1, retry with exponential backoff, " \
        "rate limiting, CORS, Prometheus metrics, Sentry traces_sample_rate, JSON logging."

FILES = {
    # the service itself: a small Flask app with a database and one route
    "app/__init__.py": "",
    "app/main.py": """\
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///app.db"
db = SQLAlchemy(app)


@app.route("/items")
def items():
    # TODO: run pg_dump some day, and add retries with tenacity wait_exponential
    note = "we should run pg_dump some day"
    return {"items": [], "note": note}
""",
    "app/models.py": """\
from app.main import db


class Item(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(80), index=True)
""",
    # migration revisions: a schema change is evidence for schema items only
    "migrations/alembic.ini": "[alembic]\nscript_location = migrations\n",
    "migrations/env.py": """\
import logging
from logging.config import fileConfig

from alembic import context

fileConfig(context.config.config_file_name)
logger = logging.getLogger("alembic.env")
""",
    "migrations/versions/0001_items.py": """\
import os

import bleach
import sqlalchemy as sa
from alembic import op

SECRET_KEY = os.getenv("SECRET_KEY", "change-me")
ADMIN_PASSWORD = os.environ.get("ADMIN_PASSWORD", "admin")


def upgrade():
    op.create_table("item", sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String(80)))
    op.create_index("ix_item_name", "item", ["name"])
    op.execute(sa.text("UPDATE item SET name = :n").bindparams(n=bleach.clean("x")))
""",
    # developer tooling: a probe, a seed command, an asset build
    "dev/probe_db.py": """\
import logging

import sentry_sdk
from sqlalchemy import create_engine
from tenacity import retry, stop_after_attempt, wait_exponential

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
sentry_sdk.init(dsn="https://x@sentry.invalid/1", traces_sample_rate=1.0)
engine = create_engine("postgresql://localhost/app", pool_size=10, pool_pre_ping=True)


@retry(wait=wait_exponential(multiplier=1, max=30), stop=stop_after_attempt(5))
def ping():
    with engine.connect() as conn:
        conn.execute("SELECT 1")
""",
    "app/management/commands/seed_demo_data.py": """\
import logging

import requests
from django.contrib.auth.hashers import make_password

logger = logging.getLogger(__name__)


def handle():
    requests.get("https://example.invalid/demo.json", timeout=5)
    logger.info("seeded", extra={"request_id": "demo"})
    return make_password("demo-password")
""",
    "app/themes/core/vite.config.js": """\
export default {
  build: { minify: true, rollupOptions: { output: { entryFileNames: "[name].[hash].js" } } },
  server: { headers: { "Content-Security-Policy": "default-src 'self'", "Cache-Control": "max-age=3600" } },
};
""",
    # never evidence: templates, changelog, licence, the auditor's own rule file
    ".github/ISSUE_TEMPLATE/bug_report.yml": f"""\
name: Bug report
description: "{PROSE}"
body:
  - type: textarea
    attributes:
      label: Logs
      description: "Paste the JSON logs, the /health output and the Prometheus metrics"
""",
    ".github/PULL_REQUEST_TEMPLATE.md": f"- [ ] {PROSE}\n- [ ] docker compose up healthcheck\n",
    "CHANGELOG.md": f"## 1.2.0\n\n- {PROSE}\n- HEALTHCHECK in the Dockerfile, pg_dump backups in cron\n",
    "LICENSE": "MIT License\n\nTHE SOFTWARE IS PROVIDED AS IS, WITHOUT WARRANTY; backups, retries\n",
    "ci/auditor/extra-rules.yaml": """\
rules:
  team-backups:
    summary: Backups run nightly with pg_dump.
    implemented:
      reason: a backup job runs
      when:
        text.match: {pattern: 'pg_dump'}
    missing:
      reason: no backup job
""",
    # prose: a notes file and a YAML description
    "NOTES.md": f"# Ideas\n\n{PROSE}\nWe should run pg_dump some day.\n",
    "deploy/values.yaml": f"""\
service:
  description: "{PROSE}"
  port: 8000
""",
}

FORBIDDEN_FOR_ALL = (".github/ISSUE_TEMPLATE/", ".github/PULL_REQUEST_TEMPLATE", "CHANGELOG", "LICENSE",
                     "ci/auditor/", "dev/", "app/management/commands/seed_demo_data.py", "app/themes/",
                     "NOTES.md")


def forbidden(item_id: str, path: str) -> bool:
    """Whether an item's evidence may not sit at this path."""
    if path.startswith(FORBIDDEN_FOR_ALL):
        return True
    return path.startswith("migrations/") and item_id not in SCHEMA_ITEMS


def leaks(report: Report) -> list[str]:
    return [f"{item.id}: {ev.path}:{ev.line} {ev.detail}" for item in report.items for ev in item.evidence
            if forbidden(item.id, ev.path)]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory, checklist) -> Report:
    root = tmp_path_factory.mktemp("places")
    for rel, text in FILES.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return scan(root, checklist, ScanOptions(jobs=1))


def test_no_evidence_from_excluded_places(report: Report) -> None:
    assert leaks(report) == []


def test_the_service_itself_is_still_seen(report: Report) -> None:
    status = {item.id: item.status for item in report.items}
    assert status["db.migrations"] == "implemented"
    assert status["perf.indexing"] == "implemented"
    evidence = {item.id: [e.path for e in item.evidence] for item in report.items}
    assert "app/models.py" in evidence["perf.indexing"]  # the model's index before the revision's
    assert evidence["perf.indexing"][0] == "app/models.py"


def test_prose_in_yaml_and_comments_proves_nothing(report: Report) -> None:
    status = {item.id: item.status for item in report.items}
    for item_id in ("db.backup", "db.health", "db.retry", "metrics.tracing", "security.rate-limiting"):
        assert status[item_id] == "missing", (item_id, status[item_id])


REPORTS = Path(os.environ.get("AUDITOR_CORPUS_REPORTS", ""))


@pytest.mark.skipif(not REPORTS.is_dir() or not str(REPORTS),
                    reason="no corpus reports (set AUDITOR_CORPUS_REPORTS to a folder of JSON reports)")
def test_corpus_reports_cite_no_excluded_place() -> None:
    """On reports of real repositories, when a folder of them is at hand (CI has none)."""
    found = []
    for path in sorted(REPORTS.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for item in data["items"]:
            for ev in item["evidence"]:
                role = role_of(ev["path"])
                if never_evidence(ev["path"]) or role == "tooling" or (
                        role == "migration" and item["id"] not in SCHEMA_ITEMS):
                    found.append(f"{path.stem}: {item['id']}: {ev['path']}:{ev['line']}")
    assert found == []
