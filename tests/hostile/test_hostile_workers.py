"""Worker processes never outlive the scan that started them: killed with ``kill -9`` or stopped
with SIGTERM, the auditor leaves no process behind holding its output pipes open."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hostile_corpus import PYTHON, REPO

GONE_WITHIN = 2.0  # seconds after the parent's death
pytestmark = [pytest.mark.slow,  # scans in processes of their own, with workers
              pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; parent-death signal")]


def _slow_tree(root: Path, files: int = 120) -> Path:
    """Enough Python for the workers to be busy for several seconds."""
    body = "".join(f"def f{i}(x: int) -> int:\n    if x > {i}:\n        return x * {i}\n    return x\n\n\n"
                   for i in range(400))
    for n in range(files):
        path = root / f"pkg{n % 10}" / f"mod_{n:03d}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
    return root


def _descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (from /proc, so no extra dependency)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            parents[int(entry)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
                if handle.read().rsplit(")", 1)[1].split()[0] != "Z":
                    alive.add(pid)
        except OSError:
            pass
    return alive


def _start_scan(root: Path, *extra: str) -> tuple[subprocess.Popen[bytes], set[int]]:
    proc = subprocess.Popen([PYTHON, "-m", "auditor.cli", "scan", str(root), "--format", "json", "-j", "2",
                             *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO,
                            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    deadline = time.monotonic() + 60
    workers: set[int] = set()
    while time.monotonic() < deadline and len(workers) < 2 and proc.poll() is None:
        time.sleep(0.1)
        workers = _descendants(proc.pid)
    assert len(workers) >= 2, "the scan never started its workers"
    time.sleep(0.5)  # the workers are extracting now
    return proc, _descendants(proc.pid)


def _wait_gone(workers: set[int], bound: float) -> set[int]:
    deadline = time.monotonic() + bound
    while _alive(workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    return _alive(workers)


@pytest.mark.parametrize("cache", ["no-cache", "cache"])
def test_workers_die_with_a_killed_parent(tmp_path: Path, cache: str) -> None:
    root = _slow_tree(tmp_path / "p")
    extra = ("--no-cache",) if cache == "no-cache" else ("--cache-dir", str(tmp_path / "cache"))
    proc, workers = _start_scan(root, *extra)
    os.kill(proc.pid, signal.SIGKILL)
    start = time.monotonic()
    left = _wait_gone(workers, GONE_WITHIN)
    for pid in left:  # clean up before failing
        os.kill(pid, signal.SIGKILL)
    assert not left, f"workers still alive {GONE_WITHIN} s after the parent's kill -9"
    proc.communicate(timeout=5)  # nobody holds the pipes: a reader gets end of file
    assert time.monotonic() - start < GONE_WITHIN + 5


def test_sigterm_stops_the_scan_and_its_workers(tmp_path: Path) -> None:
    root = _slow_tree(tmp_path / "p")
    proc, workers = _start_scan(root, "--no-cache")
    proc.send_signal(signal.SIGTERM)
    _stdout, stderr = proc.communicate(timeout=10)
    assert proc.returncode == 128 + signal.SIGTERM, stderr
    assert stderr.decode().strip().splitlines() == ["auditor: terminated"]
    left = _wait_gone(workers, GONE_WITHIN)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left
