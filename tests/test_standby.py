"""The standby worker: forked at start-up, it serves tasks as a one-worker pool does, its death
is a broken pool, and a scan through it reports byte for byte what an in-process scan does."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import pytest

import auditor.engine.tasks
from auditor.engine import standby
from auditor.engine.discover import SourceFile
from auditor.engine.executors import executor_for
from auditor.engine.scan import ScanOptions, scan
from auditor.model import Report
from auditor.render.jsonout import render_json
from auditor.rules.schema import Checklist

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "reference-service"

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not hasattr(os, "fork"), reason="the standby needs os.fork")]


@pytest.mark.parametrize(("argv", "expected"), [
    (["scan", "."], True),
    (["scan"], True),
    (["verify", "STATUS.md", "--path", "."], True),
    (["scan", ".", "--jobs", "2"], True),
    (["scan", ".", "--no-cache"], False),
    (["scan", ".", "--jobs", "1"], False),
    (["scan", ".", "-j", "1"], False),
    (["scan", ".", "-j1"], False),
    (["scan", ".", "--jobs=1"], False),
    (["scan", ".", "--jobs=3"], True),
    (["scan", "--help"], False),
    (["list"], False),
    (["explain", "db.migrations"], False),
    (["--version"], False),
    ([], False),
])
def test_only_scans_that_read_the_cache_want_a_standby(argv: list[str], expected: bool,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert standby.wanted(argv) is expected


def test_one_core_wants_no_standby_unless_more_jobs_are_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert not standby.wanted(["scan", "."])
    assert not standby.wanted(["scan", ".", "--jobs", "0"])
    assert standby.wanted(["scan", ".", "--jobs", "2"])
    assert not standby.wanted(["scan", ".", "--jobs", "many"])


@pytest.fixture()
def worker() -> Iterator[standby.Standby]:
    started = standby.start()
    assert started is not None
    yield started
    started.close()


def _pid_and_square(x: int) -> tuple[int, int]:
    return os.getpid(), x * x


def _fail(message: str) -> None:
    raise ValueError(message)


def _die(code: int) -> None:
    os._exit(code)


def _unpicklable(_: int) -> Any:
    return lambda: None


def _reaped(pid: int) -> bool:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def test_tasks_run_in_order_in_another_process(worker: standby.Standby) -> None:
    pid = worker.pid
    results = list(worker.map(_pid_and_square, [1, 2, 3, 4]))
    assert [square for _, square in results] == [1, 4, 9, 16]
    assert {p for p, _ in results} == {pid}
    assert pid != os.getpid()
    assert [s for _, s in worker.map(_pid_and_square, [5])] == [25]  # a second call, same worker
    worker.close()
    assert pid is not None and _reaped(pid)
    worker.close()  # twice is harmless


def test_an_exception_comes_back_and_the_worker_goes_on(worker: standby.Standby) -> None:
    with pytest.raises(ValueError, match="boom"):
        list(worker.map(_fail, ["boom"]))
    with pytest.raises(RuntimeError, match=r"(?i)pickle"):
        list(worker.map(_unpicklable, [1]))
    assert [s for _, s in worker.map(_pid_and_square, [3])] == [9]


def test_a_dead_worker_is_a_broken_pool(worker: standby.Standby) -> None:
    with pytest.raises(BrokenProcessPool):
        list(worker.map(_die, [3]))


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    root = tmp_path / "svc"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    return root


def _scan_on(worker: standby.Standby | None, root: Path, checklist: Checklist, options: ScanOptions) -> Report:
    """A scan on the executor the command would hand it: the standby's, for ``options.jobs``."""
    with executor_for(options.jobs, worker) as executor:
        return scan(root, checklist, options, executor=executor)


def _change(root: Path, rel: str, text: str = "\n\ndef added_later():\n    return 1\n") -> None:
    target = root / rel
    target.write_text(target.read_text() + text)


def test_a_scan_matches_changed_files_in_the_standby(project: Path, tmp_path: Path, checklist: Checklist,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    options = ScanOptions(jobs=2, cache_dir=cache)
    scan(project, checklist, options)
    _change(project, "app/main.py")
    log = tmp_path / "pids"
    real = auditor.engine.tasks.extract_bytes

    def logged(source: SourceFile, data: bytes, max_nodes: int) -> Any:
        with log.open("a") as handle:
            handle.write(f"{os.getpid()} {source.path}\n")
        return real(source, data, max_nodes)

    monkeypatch.setattr(auditor.engine.tasks, "extract_bytes", logged)  # before the fork: the child has it too
    started = standby.start()
    assert started is not None
    pid = started.pid
    through_standby = render_json(_scan_on(started, project, checklist, options))
    assert log.read_text() == f"{pid} app/main.py\n"  # only the changed file, only in the standby
    assert pid is not None and _reaped(pid) and not started.alive  # closed with its executor
    monkeypatch.undo()
    assert through_standby == render_json(scan(project, checklist, ScanOptions(jobs=1)))


def test_a_file_that_kills_the_standby_costs_only_that_file(project: Path, tmp_path: Path, checklist: Checklist,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    options = ScanOptions(jobs=2, cache_dir=cache)
    scan(project, checklist, options)
    (project / "app" / "boom.py").write_text("x = 1\n")
    _change(project, "app/main.py")
    real = auditor.engine.tasks.extract_bytes

    def crashing(source: SourceFile, data: bytes, max_nodes: int) -> Any:
        if source.path.endswith("boom.py"):
            os._exit(70)  # as a parser crash in native code would
        return real(source, data, max_nodes)

    monkeypatch.setattr(auditor.engine.tasks, "extract_bytes", crashing)
    report = _scan_on(standby.start(), project, checklist, options)
    warned = {w.path: w.message for w in report.warnings}
    assert "crashed its worker" in warned["app/boom.py"]
    assert "app/main.py" not in warned
    monkeypatch.undo()
    again = scan(project, checklist, options)  # the crash was not cached
    assert "app/boom.py" not in {w.path for w in again.warnings}


def test_a_scan_without_cache_dismisses_the_standby(project: Path, checklist: Checklist) -> None:
    started = standby.start()
    assert started is not None
    pid = started.pid
    report = render_json(_scan_on(started, project, checklist, ScanOptions(jobs=2)))
    assert pid is not None and _reaped(pid)
    assert report == render_json(scan(project, checklist, ScanOptions(jobs=1)))


def _command(*args: str) -> subprocess.CompletedProcess[str]:
    code = "import sys; from auditor.launch import run; sys.argv[0] = 'auditor'; run()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300)


def test_the_command_reports_the_same_with_and_without_its_standby(project: Path, tmp_path: Path) -> None:
    cache = str(tmp_path / "cache")
    first = _command("scan", str(project), "--format", "json", "--cache-dir", cache)
    assert first.returncode in (0, 1), first.stderr
    target = project / "app" / "main.py"
    target.write_text("# moved down a line\n" + target.read_text())
    warm = _command("scan", str(project), "--format", "json", "--cache-dir", cache)  # with a standby
    plain = _command("scan", str(project), "--format", "json", "--no-cache", "--jobs", "1")  # without
    assert warm.returncode == plain.returncode
    assert warm.stdout == plain.stdout
    assert warm.stdout != first.stdout  # the change was seen: evidence in app/main.py moved
    assert warm.stderr == plain.stderr


def test_no_fork_to_spare_means_no_standby(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", refuse)
    before = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None
    assert standby.start() is None
    if before is not None:
        assert len(os.listdir("/proc/self/fd")) == before  # the pipes were closed again


def test_many_changed_files_go_to_a_pool_and_the_standby_is_stopped(project: Path, tmp_path: Path,
                                                                     checklist: Checklist) -> None:
    started = standby.start()
    assert started is not None
    pid = started.pid
    first = render_json(_scan_on(started, project, checklist, ScanOptions(jobs=2, cache_dir=tmp_path / "cache")))
    assert pid is not None and _reaped(pid) and not started.alive
    assert first == render_json(scan(project, checklist, ScanOptions(jobs=1)))
