"""Executors: one task type, three places to run it, and the choice among them.

The fast tests route tasks through stand-ins for the processes; the ones marked slow start
real worker processes and the standby, and check that every place gives the same results."""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import auditor.engine.executors
from auditor.engine import standby
from auditor.engine.discover import SourceFile
from auditor.engine.executors import (
    PARALLEL_THRESHOLD,
    InProcess,
    OnStandby,
    Parallel,
    WorkerPool,
    executor_for,
)
from auditor.engine.plan import LeafPlan
from auditor.engine.tasks import BatchJob, MatchSetup, MatchTask
from auditor.rules.schema import Checklist

SERVICE = b'''import os
from fastapi import FastAPI
from sqlalchemy import create_engine

app = FastAPI()
engine = create_engine(os.environ["DATABASE_URL"], pool_size=5, pool_pre_ping=True)


@app.get("/health")
def health():
    with engine.connect() as conn:
        conn.execute("SELECT 1")
    return {"ok": True}
'''


def _files(count: int) -> list[BatchJob]:
    jobs: list[BatchJob] = []
    for i in range(count):
        data = SERVICE.replace(b"pool_size=5", b"pool_size=%d" % (i + 1))
        jobs.append((SourceFile(path=f"app/m{i:03}.py", kind="python", role="runtime", size=len(data)), data, "", ""))
    return jobs


@pytest.fixture(scope="module")
def setup(checklist: Checklist) -> MatchSetup:
    return MatchSetup(plan=LeafPlan(checklist), max_nodes=200_000, timeout=30.0, cache_dir=None)


def _flat(results: Iterator[list[Any]]) -> list[dict[str, Any]]:
    return [{"path": r.path, **r.to_json()} for batch in results for r in batch]


class FakeStandby:
    """The standby's interface (``alive``, ``map``, ``close``), tasks run in this process
    after a round trip through pickle, as through the standby's pipe."""

    def __init__(self) -> None:
        self.alive = True
        self.tasks: list[MatchTask] = []

    def map(self, fn: Callable[[MatchTask], Any], tasks: list[MatchTask]) -> Iterator[Any]:
        self.tasks += tasks
        return map(fn, [pickle.loads(pickle.dumps(t)) for t in tasks])  # as it crosses the pipe

    def close(self) -> None:
        self.alive = False


def test_a_task_carries_its_setup_as_one_pickle_unpickled_once(setup: MatchSetup) -> None:
    files = _files(3)
    first = pickle.loads(pickle.dumps(MatchTask(setup, files[:2])))
    second = pickle.loads(pickle.dumps(MatchTask(setup, files[2:])))
    assert first.setup is second.setup  # a worker unpickles the leaf plan once per scan
    assert first.setup is not setup and first.setup.plan.digest == setup.plan.digest
    assert [j[0].path for j in first.files] == ["app/m000.py", "app/m001.py"]
    bare = pickle.dumps(MatchTask(setup.extraction(), files[:1]))
    assert len(bare) < len(SERVICE) + 1000  # no leaves: a worker that only extracts never loads them
    with pytest.raises(ValueError, match="no leaves"):
        _ = pickle.loads(bare).setup.plan


def test_in_process_runs_each_task_when_its_results_are_read(setup: MatchSetup,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[int] = []
    real = auditor.engine.executors.run_task
    monkeypatch.setattr(auditor.engine.executors, "run_task", lambda task: ran.append(len(task.files)) or real(task))
    results = InProcess().run(setup, _files(3))
    assert ran == []
    assert [r.path for r in next(results)] == ["app/m000.py", "app/m001.py", "app/m002.py"]
    assert ran == [3]


def test_a_few_files_go_to_the_standby_many_to_a_pool(setup: MatchSetup, monkeypatch: pytest.MonkeyPatch) -> None:
    pools: list[int] = []

    class NoProcesses(InProcess):
        def __init__(self, workers: int) -> None:
            pools.append(workers)

    monkeypatch.setattr(auditor.engine.executors, "WorkerPool", NoProcesses)
    fake = FakeStandby()
    with Parallel(2, fake) as executor:  # type: ignore[arg-type]
        few = _flat(executor.run(setup, _files(3)))
        assert [len(t.files) for t in fake.tasks] == [1, 1, 1] and pools == []  # it extracts, one file a task
        many = _flat(executor.run(setup, _files(PARALLEL_THRESHOLD)))
        assert pools == [2] and not fake.alive  # the standby's core went to the pool
        assert len(fake.tasks) == 3
    assert few == _flat(InProcess().run(setup, _files(3)))
    assert many == _flat(InProcess().run(setup, _files(PARALLEL_THRESHOLD)))


def test_without_a_standby_a_few_files_stay_here(setup: MatchSetup, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_pool(*args: object) -> None:
        raise AssertionError("a pool was started for three files")

    monkeypatch.setattr(auditor.engine.executors, "WorkerPool", no_pool)
    monkeypatch.setattr(auditor.engine.executors, "process_pool", no_pool)
    with Parallel(4) as executor:
        executor.expect(PARALLEL_THRESHOLD - 1)
        assert [r.path for batch in executor.run(setup, _files(3)) for r in batch] == \
            ["app/m000.py", "app/m001.py", "app/m002.py"]


def test_expecting_many_files_starts_the_pool_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    pools: list[int] = []
    monkeypatch.setattr(auditor.engine.executors, "WorkerPool", lambda workers: pools.append(workers) or InProcess())
    fake = FakeStandby()
    executor = Parallel(3, fake)  # type: ignore[arg-type]
    executor.expect(PARALLEL_THRESHOLD)
    assert pools == [3] and not fake.alive


def test_the_executor_follows_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    fake = FakeStandby()
    assert isinstance(executor_for(1, fake), InProcess)  # type: ignore[arg-type]
    assert not fake.alive  # of no use to one job
    assert isinstance(executor_for(0), Parallel) and executor_for(0).workers == 2  # type: ignore[attr-defined]
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert isinstance(executor_for(0), InProcess)


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "fork"), reason="the standby needs os.fork")
def test_every_executor_gives_the_same_results(setup: MatchSetup, tmp_path: Path) -> None:
    files = _files(30)
    here = _flat(InProcess().run(setup, files))
    assert any(r["hits"] for r in here)
    with WorkerPool(2) as pool:
        assert _flat(pool.run(setup, files)) == here
    started = standby.start()
    assert started is not None
    with OnStandby(started) as on_standby:
        assert _flat(on_standby.run(setup, files)) == here
    assert not started.alive
