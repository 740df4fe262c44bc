"""A worker process forked the moment the ``auditor`` command starts, before the command itself
has imported anything heavy.

A scan with a filled cache usually has a few changed files to match, or none. A worker
started once that is known would spend a third of a second importing LibCST, bandit and the
matchers on the critical path. The standby does those imports on the other core while the main
process loads the command, hashes the tree and reads the cache; when no file needs matching it
is killed unused. It runs tasks as a one-worker process pool does (``map`` and ``close``), and
its death raises ``BrokenProcessPool`` as a pool worker's would, so a crash is isolated the same
way; :class:`auditor.engine.executors.OnStandby` is the executor that runs a scan's tasks on it.

This module imports nothing but the standard library at the top: whatever it imports delays
the fork.
"""

from __future__ import annotations

import atexit
import os
import pickle
import signal
import struct
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

COMMANDS = frozenset({"scan", "verify"})
"""Commands that scan, and so may extract a few files."""

def wanted(argv: list[str]) -> bool:
    """Whether a command line (without the program name) is a scan that may use a standby:
    one that reads the cache (``--no-cache`` extracts every file, in a pool of its own) and
    may use more than one process."""
    command = next((arg for arg in argv if not arg.startswith("-")), None)
    if command not in COMMANDS or not hasattr(os, "fork"):
        return False
    if "--no-cache" in argv or "--help" in argv or "-h" in argv:
        return False
    jobs = _jobs(argv) or os.cpu_count() or 1
    return jobs > 1


def _jobs(argv: list[str]) -> int:
    """The ``--jobs``/``-j`` value on a command line; 0 (the default: every core) when absent
    or not a number (the command itself reports that)."""
    value = ""
    for i, arg in enumerate(argv):
        if arg in ("--jobs", "-j") and i + 1 < len(argv):
            value = argv[i + 1]
        elif arg.startswith("--jobs="):
            value = arg.split("=", 1)[1]
        elif arg.startswith("-j") and arg != "-j":
            value = arg[2:]
    try:
        return max(int(value), 0)
    except ValueError:
        return 0


def start() -> Standby | None:
    """Fork a standby worker; ``None`` where processes cannot be forked. The caller hands it to
    the scan that uses it; an unused one is stopped when the process exits."""
    if not hasattr(os, "fork"):
        return None
    sys.stdout.flush()
    sys.stderr.flush()
    fds: list[int] = []
    try:
        from_parent, to_child = os.pipe()  # (read end, write end)
        fds += (from_parent, to_child)
        from_child, to_parent = os.pipe()
        fds += (from_child, to_parent)
        parent = os.getpid()
        pid = os.fork()
    except OSError:  # no processes or descriptors to spare: the scan extracts in this process
        for fd in fds:
            os.close(fd)
        return None
    if pid == 0:  # pragma: no cover - the child; measured through the parent's results
        from auditor.engine.process import die_with_parent

        die_with_parent(parent)
        os.close(to_child)
        os.close(from_child)
        _serve(os.fdopen(from_parent, "rb"), os.fdopen(to_parent, "wb"))
    os.close(from_parent)
    os.close(to_parent)
    standby = Standby(pid, os.fdopen(to_child, "wb"), os.fdopen(from_child, "rb"))
    atexit.register(standby.close)
    return standby


_LENGTH = struct.Struct("!Q")


def send(stream: IO[bytes], obj: object) -> None:
    """One message: its pickle's length, then the pickle (made whole first, so a value that
    does not pickle leaves the stream untouched)."""
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_LENGTH.pack(len(data)) + data)
    stream.flush()


def receive(stream: IO[bytes]) -> Any:
    """The next message; ``EOFError`` when the other end is closed (or died) before a whole one."""
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        raise EOFError
    (size,) = _LENGTH.unpack(head)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)  # written by this process's own fork, over a private pipe


class Standby:
    """The parent's handle on the standby worker: tasks in order, results in order."""

    def __init__(self, pid: int, tasks: IO[bytes], results: IO[bytes]) -> None:
        self.pid: int | None = pid
        self.tasks = tasks
        self.results = results
        self._sender: threading.Thread | None = None

    @property
    def alive(self) -> bool:
        """Not closed yet (it may still have died: :meth:`map` then raises BrokenProcessPool)."""
        return self.pid is not None

    def map(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        """Send every task now (from a thread: the worker may still be importing) and return
        the results as they come; raises ``BrokenProcessPool`` if the worker dies. The results
        of one call are to be read before the next call's."""
        if self._sender is not None:
            self._sender.join()  # messages of two calls never interleave
        pending = list(tasks)
        self._sender = threading.Thread(target=self._send, args=(fn, pending), daemon=True)
        self._sender.start()
        return self._results(len(pending))

    def _send(self, fn: Callable[[Any], Any], tasks: list[Any]) -> None:
        try:
            for task in tasks:
                send(self.tasks, (fn, task))
        except (OSError, ValueError):
            return  # the worker is gone: _results reports it

    def _results(self, count: int) -> Iterator[Any]:
        from concurrent.futures.process import BrokenProcessPool

        for _ in range(count):
            try:
                ok, value = receive(self.results)
            except (EOFError, OSError) as exc:
                raise BrokenProcessPool("the standby worker died") from exc
            if not ok:
                raise value
            yield value

    def close(self) -> None:
        """Stop the worker (at once: it may be mid-import, with nothing left to do) and reap it."""
        if self.pid is None:
            return
        pid, self.pid = self.pid, None
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
        for stream in (self.tasks, self.results):
            try:
                stream.close()
            except OSError:
                pass  # a write the dead worker never read


def _serve(tasks: IO[bytes], results: IO[bytes]) -> None:  # pragma: no cover - runs in the forked child
    """The child: import the extractors, then run ``fn(task)`` for each message until the parent
    closes its end. Exceptions go back to the parent; the child never returns."""
    code = 0
    try:
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 0)  # the report is the parent's to write
        os.dup2(devnull, 1)
        from auditor.engine.process import tune_gc, worker_init
        from auditor.engine.tasks import warm_up

        worker_init()  # dies with its parent already (see start)
        warm_up()
        tune_gc()
        while True:
            try:
                fn, task = receive(tasks)
            except EOFError:
                break
            try:
                reply: tuple[bool, Any] = (True, fn(task))
            except Exception as exc:
                reply = (False, exc)
            try:
                send(results, reply)
            except Exception as exc:  # a value that does not pickle: nothing was written yet
                send(results, (False, RuntimeError(f"{type(exc).__name__}: {exc}")))
    except BaseException:
        code = 1
    finally:
        os._exit(code)
