"""Worker processes for a scan: started early, warmed up, and a crash costs one file.

A pool may be started before the main process has loaded the rules: its workers import the
extractors (LibCST, bandit: half a second) meanwhile, and each task then carries what it
needs. When a worker dies (a parser crash, the hard CPU limit), the tasks not yet done are
run again one at a time in one-worker pools, so the crash is pinned on the file that caused
it and every other file still gets its result.
"""

from __future__ import annotations

import os
import time
import weakref
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Protocol, TypeVar

from auditor.engine.process import worker_init
from auditor.engine.tasks import warm_up

if TYPE_CHECKING:  # imported when a pool is made: a scan served by the cache makes none
    from concurrent.futures import ProcessPoolExecutor

T = TypeVar("T")
R = TypeVar("R")


_LIVE: weakref.WeakSet[ProcessPoolExecutor] = weakref.WeakSet()
"""Every process pool this process has started and not yet shut down."""


def _executor(workers: int) -> ProcessPoolExecutor:
    """A process pool whose workers die with this process (see :mod:`auditor.lifeline`)."""
    from concurrent.futures import ProcessPoolExecutor

    executor = ProcessPoolExecutor(max_workers=workers, initializer=worker_init, initargs=(os.getpid(),))
    _LIVE.add(executor)
    return executor


def stop_all() -> None:
    """Kill the workers of every pool this process started, at once (Ctrl-C, SIGTERM, an error
    that ends the scan): their work is discarded, and nothing waits for a slow file."""
    for executor in list(_LIVE):
        processes = getattr(executor, "_processes", None) or {}
        for process in list(processes.values()):
            try:
                process.kill()
            except (OSError, ValueError, AttributeError):
                pass  # already gone
        executor.shutdown(wait=False, cancel_futures=True)
        _LIVE.discard(executor)


class TaskPool(Protocol):
    """Worker processes that run tasks in order: a :class:`WorkerPool` or the standby worker."""

    def map(self, fn: Callable[[T], R], tasks: list[T]) -> Iterator[R]: ...

    def close(self) -> None: ...


class WorkerPool:
    """A process pool whose workers start (and import the extractors) as soon as it is made."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.executor = _executor(workers)
        for _ in range(workers):
            self.executor.submit(warm_up)

    def map(self, fn: Callable[[T], R], tasks: list[T]) -> Iterator[R]:
        return self.executor.map(fn, tasks)

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


def isolated(tasks: list[T], fn: Callable[[T], R], crashed: Callable[[T, float], R]) -> Iterator[R]:
    """One task at a time in a one-worker pool; a task whose worker dies gets ``crashed(task, seconds)``."""
    from concurrent.futures.process import BrokenProcessPool

    pool: ProcessPoolExecutor | None = None
    try:
        for task in tasks:
            if pool is None:
                pool = _executor(1)
            start = time.monotonic()
            try:
                yield pool.submit(fn, task).result()
            except BrokenProcessPool:
                yield crashed(task, time.monotonic() - start)
                pool.shutdown(wait=True)
                pool = None
    finally:
        if pool is not None:
            pool.shutdown(wait=True)


def in_workers(tasks: list[T], fn: Callable[[T], R], workers: int, retry: Callable[[list[T]], list[T]],
               crashed: Callable[[T, float], R], pool: TaskPool | None = None) -> Iterator[R]:
    """``fn`` over the tasks in worker processes (``pool``, or a new one), results in task order.

    Every task is submitted now, so the workers run while the caller does other work before it
    reads the results. If a worker dies, ``retry`` splits the tasks not yet done into one-file
    tasks, which run :func:`isolated`.
    """
    own = pool is None
    active: TaskPool = pool if pool is not None else WorkerPool(workers)
    try:
        results = active.map(fn, tasks)
    except BaseException:
        if own:
            active.close()
        raise
    return _collect(tasks, results, fn, active, own, retry, crashed)


def _collect(tasks: list[T], results: Iterator[R], fn: Callable[[T], R], pool: TaskPool, own: bool,
             retry: Callable[[list[T]], list[T]], crashed: Callable[[T, float], R]) -> Iterator[R]:
    from concurrent.futures.process import BrokenProcessPool

    done = 0
    try:
        for result in results:
            done += 1
            yield result
    except BrokenProcessPool:
        pool.close()
        yield from isolated(retry(tasks[done:]), fn, crashed)
    finally:
        if own:
            pool.close()
