"""Parallel extraction: any number of workers gives the same report, byte for byte, as one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import auditor.engine.executors
from auditor.engine.executors import PARALLEL_THRESHOLD
from auditor.engine.scan import ScanOptions, match, scan
from auditor.render.jsonout import render_json
from auditor.rules.schema import Checklist

pytestmark = pytest.mark.slow  # processes, whole-tree scans or generated cases

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "reference-service"


@pytest.fixture(scope="module")
def big_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reference service plus enough copies of its app package to go parallel."""
    root = tmp_path_factory.mktemp("par") / "svc"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    for i in range(3):
        shutil.copytree(root / "app", root / f"service{i}" / "app")
    assert sum(1 for _ in root.rglob("*.py")) > 2 * PARALLEL_THRESHOLD
    return root


@pytest.mark.parametrize("jobs", [2, 3])
def test_workers_give_the_serial_report(big_project: Path, checklist: Checklist, jobs: int) -> None:
    serial = render_json(scan(big_project, checklist, ScanOptions(jobs=1)))
    parallel = render_json(scan(big_project, checklist, ScanOptions(jobs=jobs)))
    assert parallel == serial


def test_results_are_merged_in_path_order(big_project: Path, checklist: Checklist) -> None:
    results = match(big_project, checklist, ScanOptions(jobs=2)).results
    paths = [r.path for r in results]
    assert paths == sorted(paths)
    serial = match(big_project, checklist, ScanOptions(jobs=1)).results
    assert [r.to_json() for r in results] == [r.to_json() for r in serial]


def test_small_trees_stay_in_process(tmp_path: Path, checklist: Checklist, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "app.py").write_text("import os\n")

    def no_pool(*args: object, **kwargs: object) -> None:
        raise AssertionError("a pool was started for one file")

    monkeypatch.setattr(auditor.engine.executors, "WorkerPool", no_pool)
    monkeypatch.setattr(auditor.engine.executors, "process_pool", no_pool)
    results = match(tmp_path, checklist, ScanOptions(jobs=4)).results
    assert [r.path for r in results] == ["app.py"]


def test_parallel_scan_fills_the_cache_like_a_serial_one(big_project: Path, tmp_path: Path,
                                                         checklist: Checklist) -> None:
    par_cache, ser_cache = tmp_path / "p", tmp_path / "s"
    a = render_json(scan(big_project, checklist, ScanOptions(jobs=2, cache_dir=par_cache)))
    b = render_json(scan(big_project, checklist, ScanOptions(jobs=1, cache_dir=ser_cache)))
    assert a == b
    entries = sorted(p.relative_to(par_cache) for p in par_cache.glob("*/*.json"))
    assert entries == sorted(p.relative_to(ser_cache) for p in ser_cache.glob("*/*.json"))
    assert render_json(scan(big_project, checklist, ScanOptions(jobs=2, cache_dir=par_cache))) == a


def test_scan_with_a_checklist_loader_starts_workers_first(big_project: Path, checklist: Checklist,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []
    real_pool = auditor.engine.executors.WorkerPool

    class Recording(real_pool):  # type: ignore[misc, valid-type]
        def __init__(self, workers: int) -> None:
            events.append("pool")
            super().__init__(workers)

    def load() -> Checklist:
        events.append("rules")
        return checklist

    monkeypatch.setattr(auditor.engine.executors, "WorkerPool", Recording)
    lazy = render_json(scan(big_project, load, ScanOptions(jobs=2)))
    assert events == ["pool", "rules"]  # the workers warm up while the rules load
    assert lazy == render_json(scan(big_project, checklist, ScanOptions(jobs=1)))


def test_a_rules_error_after_the_workers_started_is_raised(big_project: Path) -> None:
    from auditor.errors import ConfigError

    def broken() -> Checklist:
        raise ConfigError("rules/x.yaml:3:1: unknown matcher 'python.nothing'")

    with pytest.raises(ConfigError, match="unknown matcher"):
        scan(big_project, broken, ScanOptions(jobs=2))
