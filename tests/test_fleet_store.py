"""The fleet file's validation and the results store (SQLite, and PostgreSQL when CI gives a server)."""

from __future__ import annotations

import json
import os
import zlib
from pathlib import Path

import pytest

pytest.importorskip("sqlalchemy")

import sqlalchemy as sa

from auditor.errors import AuditorError, ConfigError
from auditor.fleet import migrations as m
from auditor.fleet.fleetfile import load_fleet
from auditor.fleet.ingest import IngestOptions, ingest
from auditor.fleet.store import ServiceMeta, Store, engine_url, open_store
from auditor.fleet.task import FETCH_ERROR, OK, REUSED, Result
from tests.fleet_helpers import POSTGRES_ENV, postgres_database

pytestmark = pytest.mark.slow  # processes, whole-tree scans or generated cases

REPORT = Path(__file__).parent / "data" / "fleet-report.json"


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "fleet.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_fleet_file_merges_defaults_and_resolves_paths(tmp_path: Path) -> None:
    f = _write(tmp_path, """
defaults:
  checklist: lists/c.yaml
  timeout: 30
  gate: {fail_under: 0.5, fail_on: missing:high}
services:
  - name: billing
    git: https://git.example.com/billing.git
    ref: v1.2
    team: payments
    tags: [tier-1, python]
    settings: {timeout: 5, gate: {require: db.migrations}}
  - {name: search, path: ../search, owner: ana}
""")
    fleet = load_fleet(f)
    billing, search = fleet.services
    assert billing.git == "https://git.example.com/billing.git" and billing.ref == "v1.2"
    assert billing.timeout() == 5 and search.timeout() == 30
    assert billing.settings.checklist == str(tmp_path / "lists" / "c.yaml")
    assert billing.settings.gate.fail_under == ["0.5"] and billing.settings.gate.require == ["db.migrations"]
    assert billing.settings.gate.fail_on == ["missing:high"]
    assert search.path == str((tmp_path / ".." / "search").resolve())
    assert billing.tags == ("tier-1", "python")
    assert billing.fingerprint("1") != search.fingerprint("1")


@pytest.mark.parametrize(("text", "expected"), [
    ("services:\n  - {name: a, path: x, tem: t}\n",
     r"fleet.yaml:2:\d+: unknown key 'services.0.tem' \(did you mean 'team'\?\)"),
    ("services:\n  - {name: a}\n", r"fleet.yaml:2:\d+: services.0: give exactly one of 'path' or 'git'"),
    ("services:\n  - {name: a, path: x}\n  - {name: a, path: y}\n", r"fleet.yaml:3:\d+: services.1.name: 'a' is also"),
    ("defaults: {timeout: -1}\nservices: []\n", r"fleet.yaml:1:\d+: defaults.timeout: Input should be greater"),
    ("services:\n  - {name: 'a b', path: x}\n", r"fleet.yaml:2:\d+: services.0.name: 'a b' is not a service name"),
    ("services:\n  - name: a\n    path: x\n    settings: {gate: {fail_undr: 1}}\n",
     r"fleet.yaml:4:\d+: unknown key 'services.0.settings.gate.fail_undr' \(did you mean 'fail_under'\?\)"),
    ("services: [\n", r"fleet.yaml:2:\d+: invalid YAML"),
])
def test_fleet_file_errors_name_file_line_and_key(tmp_path: Path, text: str, expected: str) -> None:
    f = _write(tmp_path, text)
    with pytest.raises(ConfigError, match=expected):
        load_fleet(f)


def _report(score_items: dict[str, str]) -> str:
    data = json.loads(REPORT.read_text(encoding="utf-8"))
    for item in data["items"]:
        item["status"] = score_items.get(item["id"], item["status"])
    return json.dumps(data, indent=2) + "\n"


def _stores(tmp_path: Path) -> list[str]:
    return [str(tmp_path / "fleet.db")]


def _exercise(store: Store) -> None:
    meta = ServiceMeta(name="billing", team="payments", tags=("tier-1",))
    text1 = _report({})
    run1 = store.begin_run("scan", "fleet.yaml", 2, "t")
    store.record(run1, meta, Result(service="billing", status=OK, commit="a" * 40, report_json=text1,
                                    started_at="2026-01-01T00:00:00+00:00"), "fp")
    store.record(run1, ServiceMeta(name="search"), Result(service="search", status=FETCH_ERROR,
                                                          reason="git fetch: fatal: no such repo"), "fp")
    store.finish_run(run1)
    assert store.done_commits("billing", "fp") == ["a" * 40]
    assert store.done_commits("billing", "other") == [] and store.done_commits("search", "fp") == []
    # a second run at the same commit points at the stored scan; a third at a new commit adds one
    run2 = store.begin_run("scan", "fleet.yaml", 1, "t")
    reused = store.record(run2, meta, Result(service="billing", status=REUSED, commit="a" * 40), "fp")
    store.finish_run(run2)
    text3 = _report({"db.pooling": "missing"})
    run3 = store.begin_run("scan", "fleet.yaml", 1, "t")
    newer = store.record(run3, meta, Result(service="billing", status=OK, commit="b" * 40, report_json=text3), "fp")
    store.finish_run(run3)
    entries = [e for e in store.run_entries() if e["service_id"] == 1]
    assert [(e["run_id"], e["entry"], e["commit_sha"]) for e in entries] == [
        (run1, OK, "a" * 40), (run2, REUSED, "a" * 40), (run3, OK, "b" * 40)]
    assert store.report_text(reused) == text1 and store.report_text(newer) == text3  # history kept, byte for byte
    statuses = store.item_statuses([reused, newer])
    assert statuses[newer]["db.pooling"][1] == "missing" and statuses[reused]["db.pooling"][1] != "missing"
    assert [r["status"] for r in store.runs()] == ["finished"] * 3
    services = {s["name"]: s for s in store.services()}
    assert services["billing"]["team"] == "payments" and services["billing"]["tags"] == ["tier-1"]


def test_store_keeps_history_on_sqlite(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "fleet.db"))
    _exercise(store)
    store.close()


@pytest.mark.skipif(not os.environ.get(POSTGRES_ENV), reason=f"no PostgreSQL server ({POSTGRES_ENV} unset)")
def test_store_keeps_history_on_postgresql() -> None:
    with postgres_database() as url:
        store = open_store(url)
        assert store.engine.dialect.name == "postgresql"
        _exercise(store)
        store.close()


def _old_store(url: str) -> None:
    """A store at schema version 1 holding one scan, as the first release wrote it."""
    engine = sa.create_engine(engine_url(url))
    m.upgrade(engine, target=1, now="2026-01-01")
    v1 = m.build(sa.MetaData(), 1)
    with engine.begin() as conn:
        conn.execute(v1["services"].insert().values(id=1, name="old", tags="[]"))
        conn.execute(v1["runs"].insert().values(id=1, kind="scan", started_at="x", status="finished",
                                                services_total=1))
        report = json.loads(_report({}))
        report["level"] = {"name": "bronze"}
        conn.execute(v1["scans"].insert().values(id=1, service_id=1, scanned_at="x", origin="fleet", status=OK,
                                                 reason="", report=zlib.compress(json.dumps(report).encode())))
        conn.execute(v1["run_services"].insert().values(run_id=1, service_id=1, scan_id=1, status=OK))
        conn.execute(v1["item_results"].insert(), [
            {"scan_id": 1, "item_id": f"i{n}", "section": "S", "status": status, "reason": "", "evidence": "[]",
             "waived": False} for n, status in enumerate(["implemented", "missing", "not_applicable"])])
    with engine.connect() as conn:
        assert "level" not in {c["name"] for c in sa.inspect(conn).get_columns("scans")}
    engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migration_from_an_older_schema(tmp_path: Path, backend: str) -> None:
    if backend == "postgresql" and not os.environ.get(POSTGRES_ENV):
        pytest.skip(f"no PostgreSQL server ({POSTGRES_ENV} unset)")

    def check(url: str) -> None:
        _old_store(url)
        store = open_store(url)
        with store.engine.connect() as conn:
            assert m.current_version(conn) == m.LATEST
            level, sections = conn.execute(sa.select(m.scans.c.level, m.scans.c.sections)
                                           .where(m.scans.c.id == 1)).one()
        assert level == "bronze"  # backfilled from the stored report
        assert json.loads(sections) == {"S": [1, 2]}  # and section counts from the item rows
        assert [e["run_id"] for e in store.run_entries()] == [1]
        store.close()

    if backend == "sqlite":
        check(str(tmp_path / "old.db"))
    else:
        with postgres_database() as url:
            check(url)


def test_newer_store_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    open_store(str(path)).close()
    engine = sa.create_engine(engine_url(str(path)))
    with engine.begin() as conn:
        conn.execute(m.schema.insert().values(version=m.LATEST + 1, applied_at="future"))
    engine.dispose()
    with pytest.raises(AuditorError, match="newer than this auditor"):
        open_store(str(path))


def test_ingest_adds_reports_as_a_run(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "fleet.db"))
    a, b = tmp_path / "billing.json", tmp_path / "search.json"
    a.write_text(_report({}), encoding="utf-8")
    b.write_text(_report({"db.pooling": "missing"}), encoding="utf-8")
    run_id, names = ingest(store, [a, b], IngestOptions(team="payments", commit="c" * 40))
    assert names == ["billing", "search"]
    entries = list(store.run_entries())
    assert {e["run_id"] for e in entries} == {run_id} and all(e["commit_sha"] == "c" * 40 for e in entries)
    assert store.report_text(entries[0]["scan_id"]) == a.read_text(encoding="utf-8")
    bad = tmp_path / "bad.json"
    bad.write_text("{\"items\": 3", encoding="utf-8")
    with pytest.raises(AuditorError, match=r"bad.json:1:\d+: not JSON"):
        ingest(store, [a, bad], IngestOptions())
    assert len(store.runs()) == 1  # one bad file adds nothing
    store.close()


def test_plain_scan_imports_neither_sqlalchemy_nor_dask() -> None:
    import subprocess
    import sys

    code = ("import sys; from auditor.cli import main; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'distributed', 'dask', "
            "'psycopg')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_transient_git_errors_are_retried_and_others_are_not(monkeypatch: pytest.MonkeyPatch) -> None:
    from auditor.fleet import fetch

    calls: list[list[str]] = []

    def flaky(errors: list[str]) -> object:
        def run(args: list[str], cwd: object = None, timeout: float = 0) -> str:
            calls.append(args)
            if errors:
                raise fetch.FetchError("git fetch: fatal: x", errors.pop(0))
            return ""
        return run

    monkeypatch.setattr(fetch, "git", flaky(["fatal: unable to access: Could not resolve host: example.com",
                                             "error: RPC failed; curl 56 GnuTLS recv error\nfatal: early EOF"]))
    fetch._with_retries(["fetch"], Path("."), retries=3, backoff=0)
    assert len(calls) == 3
    calls.clear()
    monkeypatch.setattr(fetch, "git", flaky(["fatal: repository 'x' not found"] * 3))
    with pytest.raises(fetch.FetchError):
        fetch._with_retries(["fetch"], Path("."), retries=3, backoff=0)
    assert len(calls) == 1
