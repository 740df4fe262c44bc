"""Worker process pools: made so that their workers die with this process, killed at once
when a scan is interrupted, and one-worker pools that run tasks one at a time so that a crash
is pinned on the task that caused it (see :mod:`auditor.engine.executors`).
"""

from __future__ import annotations

import os
import time
import weakref
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, TypeVar

from auditor.engine.process import worker_init

if TYPE_CHECKING:  # imported when a pool is made: a scan served by the cache makes none
    from concurrent.futures import ProcessPoolExecutor

T = TypeVar("T")
R = TypeVar("R")


_LIVE: weakref.WeakSet[ProcessPoolExecutor] = weakref.WeakSet()
"""Every process pool this process has started and not yet shut down."""


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A process pool whose workers die with this process (see :mod:`auditor.engine.process`)."""
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


def isolated(tasks: list[T], fn: Callable[[T], R], crashed: Callable[[T, float], R]) -> Iterator[R]:
    """One task at a time in a one-worker pool; a task whose worker dies gets ``crashed(task, seconds)``."""
    from concurrent.futures.process import BrokenProcessPool

    pool: ProcessPoolExecutor | None = None
    try:
        for task in tasks:
            if pool is None:
                pool = process_pool(1)
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
