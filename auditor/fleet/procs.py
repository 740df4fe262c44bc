"""A scan process with a hard per-service timeout: ``run_isolated(task)`` from any thread.

Each calling thread keeps one ``auditor.fleet.child`` process and reuses it for its next
service. A service that runs past its timeout has its process group killed (git and scan
workers included) and is recorded as timed out; the thread starts a fresh process for the next
one. The same function runs on a local thread pool and inside a Dask worker, so both enforce
timeouts the same way (a thread cannot be killed; a process can).
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from typing import IO

from auditor.fleet.task import SCAN_ERROR, TIMEOUT, Result, Task, now_iso

STARTUP_TIMEOUT = 120.0
_local = threading.local()
_all: list[ScanProcess] = []
_all_lock = threading.Lock()


class ScanProcess:
    """One child process serving tasks, one at a time."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "auditor.fleet.child"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, start_new_session=True)
        self._buffer = b""
        with _all_lock:
            _all.append(self)
        self.ready = self._line(time.monotonic() + STARTUP_TIMEOUT) is not None

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        with _all_lock:
            if self in _all:
                _all.remove(self)
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()

    def close(self) -> None:
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()

    def run(self, task: Task) -> Result | None:
        """The task's result, or None when the timeout passed or the process died (then it is dead)."""
        stdin: IO[bytes] | None = self.proc.stdin
        assert stdin is not None
        if not self.ready:
            return None
        try:
            stdin.write((json.dumps(task.to_dict()) + "\n").encode())
            stdin.flush()
        except (BrokenPipeError, OSError):
            self.kill()
            return None
        line = self._line(time.monotonic() + task.timeout)
        return None if line is None else Result.from_dict(json.loads(line))

    def _line(self, deadline: float) -> bytes | None:
        """The child's next line, or None (and the child killed) when the deadline passes or it dies."""
        stdout: IO[bytes] | None = self.proc.stdout
        assert stdout is not None
        fd = stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                return None
            ready, _, _ = select.select([fd], [], [], min(left, 1.0))
            if not ready:
                continue
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                self.kill()
                return None
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line


def run_isolated(task: Task) -> Result:
    """Run one task in this thread's scan process, bounded by ``task.timeout``; never raises."""
    start, started_at = time.monotonic(), now_iso()
    proc: ScanProcess | None = getattr(_local, "proc", None)
    if proc is None or not proc.alive():
        proc = _local.proc = ScanProcess()
    result = proc.run(task)
    if result is not None:
        return result
    code = proc.proc.returncode
    _local.proc = None
    elapsed = round(time.monotonic() - start, 3)
    if not proc.ready:
        return Result(service=task.service, status=SCAN_ERROR, reason=f"scan process did not start (exit {code})",
                      started_at=started_at, duration=elapsed)
    if elapsed >= task.timeout:
        return Result(service=task.service, status=TIMEOUT, reason=f"timed out after {task.timeout:g} s",
                      started_at=started_at, duration=elapsed)
    return Result(service=task.service, status=SCAN_ERROR, reason=f"scan process died (exit {code})",
                  started_at=started_at, duration=elapsed)


def close_all() -> None:
    """Stop every scan process this process started (they finish their current line first)."""
    with _all_lock:
        procs, _all[:] = list(_all), []
    for proc in procs:
        if proc.alive():
            proc.close()
