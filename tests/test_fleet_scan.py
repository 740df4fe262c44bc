"""Fleet scans of local git repositories: locally and on a real Dask cluster, byte for byte the reports
`auditor scan --format json` gives; failures recorded with their reasons; a killed run resumed.

The Dask test needs a running scheduler with workers: CI (scripts/test.sh) starts `dask scheduler`
and two `dask worker` processes on 127.0.0.1 and passes the address in AUDITOR_TEST_DASK_SCHEDULER.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("sqlalchemy")

from auditor.fleet.coordinator import run_fleet
from auditor.fleet.fleetfile import load_fleet
from auditor.fleet.store import Store, open_store
from auditor.fleet.task import CONFIG_ERROR, FETCH_ERROR, OK, REUSED, TIMEOUT
from tests.fleet_helpers import (
    DASK_ENV,
    auditor_json,
    checkout_at,
    commit_all,
    copy_fixture,
    generated,
)

pytestmark = pytest.mark.slow  # processes, whole-tree scans or generated cases


@pytest.fixture(scope="module")
def fleet_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """Five services in git repositories and what `auditor scan --format json` says of each."""
    base = tmp_path_factory.mktemp("fleet")
    ref = copy_fixture("reference-service", base / "reference")
    commit_all(ref, "reference")
    minimal = copy_fixture("minimal-service", base / "minimal")
    commit_all(minimal, "minimal")
    gen = generated(base / "gen", 12, 1)
    first = commit_all(gen, "first")
    generated(gen, 14, 2)
    commit_all(gen, "second")
    other = generated(base / "other", 8, 3)
    commit_all(other, "other")
    (base / "fleet.yaml").write_text(f"""
services:
  - {{name: reference, git: reference, team: platform, tags: [tier-1]}}
  - {{name: minimal, path: minimal, team: web}}
  - {{name: gen-old, git: gen, ref: {first}, team: web, tags: [generated]}}
  - {{name: gen, git: gen, team: data, tags: [generated]}}
  - {{name: other, path: other, team: data}}
""", encoding="utf-8")
    cache = ["--cache-dir", str(base / "expected-cache")]
    expected = {
        "reference": auditor_json(ref, *cache), "minimal": auditor_json(minimal, *cache),
        "gen-old": auditor_json(checkout_at(gen, first, base / "gen-at-first"), *cache),
        "gen": auditor_json(gen, *cache), "other": auditor_json(other, *cache),
    }
    return base, expected


def _latest(store: Store) -> dict[str, tuple[str, int]]:
    names = {s["id"]: s["name"] for s in store.services()}
    last = max(r["id"] for r in store.runs())
    return {names[e["service_id"]]: (e["entry"], e["scan_id"]) for e in store.run_entries() if e["run_id"] == last}


def _check_identical(store: Store, expected: dict[str, str], statuses: set[str]) -> None:
    latest = _latest(store)
    assert set(latest) == set(expected)
    for name, (status, scan_id) in latest.items():
        assert status in statuses, name
        assert store.report_text(scan_id) == expected[name], name


def test_local_fleet_scan_matches_auditor_scan_and_resumes(fleet_dir: tuple[Path, dict[str, str]],
                                                          tmp_path: Path) -> None:
    base, expected = fleet_dir
    fleet = load_fleet(base / "fleet.yaml")
    store = open_store(str(tmp_path / "fleet.db"))
    summary = run_fleet(fleet, store, tmp_path / "work", None, workers=2)
    assert summary.counts[OK] == 5 and not summary.failures, summary.failures
    _check_identical(store, expected, {OK})
    # same commits again: nothing rescanned, the run points at the stored scans
    again = run_fleet(fleet, store, tmp_path / "work", None, workers=2)
    assert again.counts[REUSED] == 5 and again.counts[OK] == 0
    _check_identical(store, expected, {REUSED})
    # a new commit in one repository: only that service is scanned again
    (base / "other" / "NOTES.md").write_text("notes\n", encoding="utf-8")
    commit_all(base / "other", "notes")
    expected["other"] = auditor_json(base / "other", "--cache-dir", str(tmp_path / "cache"))  # later tests too
    third = run_fleet(fleet, store, tmp_path / "work", None, workers=2)
    assert third.counts[REUSED] == 4 and third.counts[OK] == 1
    _check_identical(store, expected, {OK, REUSED})
    store.close()


@pytest.mark.skipif(not os.environ.get(DASK_ENV), reason=f"no Dask scheduler ({DASK_ENV} unset; CI starts one)")
def test_dask_fleet_scan_matches_auditor_scan(fleet_dir: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    base, expected = fleet_dir
    fleet = load_fleet(base / "fleet.yaml")
    store = open_store(str(tmp_path / "fleet.db"))
    summary = run_fleet(fleet, store, tmp_path / "work", None, scheduler=os.environ[DASK_ENV])
    assert summary.counts[OK] == 5 and not summary.failures, summary.failures
    _check_identical(store, expected, {OK})
    assert len({e["scan_id"] for e in store.run_entries()}) == 5
    store.close()


def test_failures_are_recorded_and_the_rest_finish(fleet_dir: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    base, expected = fleet_dir
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / ".auditor.yaml").write_text("fail_under: 0.5\nfail_undr: 1\n", encoding="utf-8")
    (tmp_path / "fleet.yaml").write_text(f"""
services:
  - {{name: minimal, path: {base / 'minimal'}}}
  - {{name: broken, path: broken}}
  - {{name: gone, git: {tmp_path / 'no-such-repo'}}}
  - {{name: slow, path: {base / 'reference'}, settings: {{timeout: 0.2}}}}
""", encoding="utf-8")
    store = open_store(str(tmp_path / "fleet.db"))
    summary = run_fleet(load_fleet(tmp_path / "fleet.yaml"), store, tmp_path / "work", None, workers=2)
    reasons = {name: (status, reason) for name, status, reason in summary.failures}
    assert summary.counts[OK] == 1
    assert reasons["broken"][0] == CONFIG_ERROR and ".auditor.yaml:2" in reasons["broken"][1]
    assert "did you mean 'fail_under'" in reasons["broken"][1]
    assert reasons["gone"][0] == FETCH_ERROR and "does not appear to be a git repository" in reasons["gone"][1]
    assert reasons["slow"] == (TIMEOUT, "timed out after 0.2 s")
    assert store.report_text(_latest(store)["minimal"][1]) == expected["minimal"]
    store.close()


def test_killed_run_leaves_the_store_consistent_and_resumes(fleet_dir: tuple[Path, dict[str, str]],
                                                           tmp_path: Path) -> None:
    base, expected = fleet_dir
    db = tmp_path / "fleet.db"
    cmd = [sys.executable, "-m", "auditor.cli", "fleet", "scan", str(base / "fleet.yaml"), "--store", str(db),
           "--workdir", str(tmp_path / "work"), "--no-cache", "-j", "1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    store = open_store(str(db))
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            done = [e for e in store.run_entries()]
            if len(done) >= 2:
                break
            assert proc.poll() is None, "the run ended before it could be killed"
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    killed = {e["service_id"] for e in store.run_entries()}
    assert 2 <= len(killed) < 5
    assert store.runs()[0]["status"] == "running"
    for e in store.run_entries():  # every recorded scan is whole: report and items
        assert store.report_text(e["scan_id"]) is not None
        assert len(store.item_statuses([e["scan_id"]])[e["scan_id"]]) > 0
    summary = run_fleet(load_fleet(base / "fleet.yaml"), store, tmp_path / "work", None, workers=2)
    assert summary.counts[REUSED] == len(killed) and summary.counts[OK] == 5 - len(killed)
    assert [r["status"] for r in store.runs()] == ["interrupted", "finished"]
    _check_identical(store, expected, {OK, REUSED})
    store.close()
