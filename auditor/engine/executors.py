"""Where a scan's matching runs: one interface, :class:`Executor`, and its three places.

An executor is given the files a scan must match and the setup to match them with; it cuts
them into :class:`~auditor.engine.tasks.MatchTask`s, the one unit of work, and yields each
task's results in order. :class:`InProcess` runs them here, lazily, as the results are read.
:class:`WorkerPool` runs them in worker processes started when it is made, so that they import
the extractors while the caller loads the rules. :class:`OnStandby` runs them in the standby
worker, forked as the command started (see :mod:`auditor.engine.standby`): it extracts, and
this process matches. In both of those every task is submitted at once and the caller reads
results while the workers go on; when a worker dies (a parser crash, the hard CPU limit) the
tasks not yet done are run again one file at a time in one-worker pools, so the crash costs
the file that caused it and no other.

:class:`Parallel` picks among them by the amount of work: many files go to a pool, a few to the
standby when there is one, else they are matched here. The caller chooses the executor
(:func:`executor_for`, from ``--jobs`` and the standby it may have) and hands it to the scan.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

from auditor.engine.results import FileResult
from auditor.engine.tasks import (
    BatchJob,
    MatchSetup,
    MatchTask,
    crashed_task,
    extract_in_worker,
    match_facts,
    run_in_worker,
    run_task,
    warm_up,
)
from auditor.engine.workers import isolated, process_pool
from auditor.facts import FileFacts

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

    from auditor.engine.standby import Standby

Results = Iterator[list[FileResult]]
"""Each task's results (one per file, in the task's order), task by task."""

PARALLEL_THRESHOLD = 40
"""Files to match below which worker processes cost more than they save."""
BATCH_FILES = 24
"""Files per task in a worker: leaves run once per task, so bigger tasks cost less matching."""
SERIAL_BATCH_FILES = 250
"""Files per task in this process: bounds the facts held at one time."""


class Executor(Protocol):
    """Runs a scan's matching: files in, per-file results out, in the order given."""

    def expect(self, files: int) -> None:
        """A hint, before the setup is known: ``files`` files are all going to be matched."""

    def run(self, setup: MatchSetup, files: list[BatchJob]) -> Results:
        """Match the files; work may start before this returns and go on while results are
        read. A second call's results are read after the first call's."""

    def close(self) -> None:
        """Stop its processes once their work is done (a second call does nothing)."""

    def stop(self) -> None:
        """Kill its processes at once, their work discarded (an interrupted or failed scan)."""

    def __enter__(self) -> Executor: ...

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...


def _tasks(setup: MatchSetup, files: list[BatchJob], size: int) -> list[MatchTask]:
    return [MatchTask(setup, files[i:i + size]) for i in range(0, len(files), size)]


class _Closing:
    """Context manager: closes on a normal exit, stops on an exception."""

    def close(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        self.close()

    def __enter__(self) -> Any:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc is None:
            self.close()
        else:
            self.stop()


class InProcess(_Closing):
    """Tasks in this process, each run when its results are read."""

    def expect(self, files: int) -> None:
        pass

    def run(self, setup: MatchSetup, files: list[BatchJob]) -> Results:
        return map(run_task, _tasks(setup, files, SERIAL_BATCH_FILES))

    def close(self) -> None:
        pass


def _guarded(tasks: list[MatchTask], results: Iterator[list[Any]], broken: Callable[[], None],
             fn: Callable[[MatchTask], list[Any]]) -> Iterator[list[Any]]:
    """The results of ``fn`` over the tasks in order; if the worker dies, ``broken()`` and the
    tasks not yet done again, one file at a time, each in a one-worker pool."""
    from concurrent.futures.process import BrokenProcessPool

    done = 0
    try:
        for result in results:
            done += 1
            yield result
    except BrokenProcessPool:
        broken()
        rest = [one for task in tasks[done:] for one in task.one_by_one()]
        yield from isolated(rest, fn, crashed_task)


class WorkerPool(_Closing):
    """Worker processes, started (importing the extractors) as soon as it is made."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._start()

    def _start(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = process_pool(self.workers)
            for _ in range(self.workers):
                self._pool.submit(warm_up)
        return self._pool

    def expect(self, files: int) -> None:
        pass

    def run(self, setup: MatchSetup, files: list[BatchJob]) -> Results:
        size = max(4, min(BATCH_FILES, len(files) // (self.workers * 4) or 1))
        tasks = _tasks(setup, files, size)
        return _guarded(tasks, self._start().map(run_in_worker, tasks), self._broken, run_in_worker)

    def _broken(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None  # a later run starts new workers

    def close(self) -> None:
        self._broken()

    def stop(self) -> None:
        if self._pool is not None:
            for process in list((getattr(self._pool, "_processes", None) or {}).values()):
                try:
                    process.kill()
                except (OSError, ValueError, AttributeError):
                    pass  # already gone
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


class OnStandby(_Closing):
    """Tasks on the standby worker, one file each: it extracts, and this process, which has
    the matchers loaded already, matches a batch at a time. The standby never loads the
    matchers, so it is ready sooner (see ``benchmarks/README.md``); a file that kills it gets
    a warning and no hits. Once it is closed, tasks run in this process."""

    def __init__(self, standby: Standby) -> None:
        self.standby = standby

    @property
    def alive(self) -> bool:
        return self.standby.alive

    def expect(self, files: int) -> None:
        pass

    def run(self, setup: MatchSetup, files: list[BatchJob]) -> Results:
        if not self.standby.alive:
            return InProcess().run(setup, files)
        tasks = _tasks(setup.extraction(), files, 1)  # the leaf plan stays here
        extracted = _guarded(tasks, self.standby.map(extract_in_worker, tasks), self.standby.close,
                             extract_in_worker)
        return _match_here(setup, tasks, itertools.chain.from_iterable(extracted))

    def close(self) -> None:
        self.standby.close()


def _match_here(setup: MatchSetup, tasks: list[MatchTask],
                extracted: Iterator[FileFacts | FileResult]) -> Results:
    for start in range(0, len(tasks), BATCH_FILES):
        jobs = [task.files[0] for task in tasks[start:start + BATCH_FILES]]
        files = list(itertools.islice(extracted, len(jobs)))
        crashed = {f.path: f for f in files if isinstance(f, FileResult)}
        facts = [f for f in files if not isinstance(f, FileResult)]
        yield [*match_facts([job for job in jobs if job[0].path not in crashed], facts, setup), *crashed.values()]


class Parallel(_Closing):
    """Up to ``workers`` processes: many files go to a :class:`WorkerPool` (started when first
    needed, and the standby stopped then: its core goes to the pool, whose workers must not
    inherit its pipes), a few to the standby when there is one, else to this process."""

    def __init__(self, workers: int, standby: Standby | None = None) -> None:
        self.workers = workers
        self.standby = OnStandby(standby) if standby is not None else None
        self.pool: WorkerPool | None = None

    def _pool(self) -> WorkerPool:
        if self.standby is not None:
            self.standby.close()
            self.standby = None
        if self.pool is None:
            self.pool = WorkerPool(self.workers)
        return self.pool

    def expect(self, files: int) -> None:
        """Many files to match: the pool starts now, so its workers import while the caller works."""
        if files >= PARALLEL_THRESHOLD:
            self._pool()

    def run(self, setup: MatchSetup, files: list[BatchJob]) -> Results:
        if not files:
            return iter(())
        if len(files) >= PARALLEL_THRESHOLD:
            return self._pool().run(setup, files)
        if self.standby is not None and self.standby.alive:
            return self.standby.run(setup, files)
        return InProcess().run(setup, files)

    def close(self) -> None:
        for part in (self.standby, self.pool):
            if part is not None:
                part.close()

    def stop(self) -> None:
        for part in (self.standby, self.pool):
            if part is not None:
                part.stop()


def executor_for(jobs: int, standby: Standby | None = None) -> Executor:
    """The executor for ``--jobs`` (0: every core) and the standby worker, if the command
    started one: this process alone for one job (the standby, useless then, is stopped)."""
    workers = jobs or os.cpu_count() or 1
    if workers > 1:
        return Parallel(workers, standby)
    if standby is not None:
        standby.close()
    return InProcess()
