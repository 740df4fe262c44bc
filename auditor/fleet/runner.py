"""Run the services' tasks and hand each result back as soon as it is done.

``run_local`` uses a pool of threads, each driving its own scan process (``procs``); with a
scheduler address, ``run_dask`` submits one Dask task per service to a ``distributed`` cluster and
streams results back as they complete. Both keep only a bounded window of tasks in flight, so the
coordinator's memory does not grow with the number of services.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from itertools import islice

from auditor.errors import AuditorError
from auditor.fleet.procs import close_all, run_isolated
from auditor.fleet.task import SCAN_ERROR, Result, Task, now_iso

OnResult = Callable[[Result], None]


def dask_task(task: dict[str, object]) -> dict[str, object]:
    """The function a Dask worker runs for one service (plain dicts in and out)."""
    return run_isolated(Task(**task)).to_dict()  # type: ignore[arg-type]


def run_local(tasks: Iterable[Task], workers: int = 0) -> Iterator[Result]:
    """Results of ``tasks`` in completion order, ``workers`` services at a time (default: cores)."""
    workers = workers or os.cpu_count() or 1
    it = iter(tasks)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fleet") as pool:
        try:
            running: set[Future[Result]] = {pool.submit(run_isolated, t) for t in islice(it, workers * 2)}
            while running:
                done, running = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
                for t in islice(it, len(done)):
                    running.add(pool.submit(run_isolated, t))
        finally:
            close_all()


def run_dask(tasks: Iterable[Task], scheduler: str, window: int = 0) -> Iterator[Result]:
    """Results of ``tasks`` from a Dask cluster, in completion order; one task per service."""
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise AuditorError("--scheduler needs Dask: pip install 'checklist-auditor[fleet]'") from None
    try:
        client = Client(scheduler, timeout="20s", set_as_default=False)
    except OSError as exc:
        raise AuditorError(f"--scheduler {scheduler}: cannot connect: {exc}") from None
    try:
        threads = sum(client.nthreads().values()) or 1
        window = window or threads * 2
        it = iter(tasks)

        names: dict[str, str] = {}

        def submit(t: Task) -> object:
            key = f"fleet-{t.service}-{os.urandom(4).hex()}"
            names[key] = t.service
            return client.submit(dask_task, t.to_dict(), key=key, pure=False, retries=1)

        pending = as_completed([submit(t) for t in islice(it, window)], loop=client.loop, with_results=True,
                               raise_errors=False)
        for future, value in pending:
            service = names.pop(future.key, "?")
            future.release()
            if isinstance(value, BaseException):
                yield Result(service=service, status=SCAN_ERROR, started_at=now_iso(),
                             reason=f"cluster task failed: {type(value).__name__}: {value}")
            else:
                yield Result.from_dict(value)
            nxt = next(it, None)
            if nxt is not None:
                pending.add(submit(nxt))
    finally:
        client.close()
