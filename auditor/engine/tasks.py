"""The one unit of work of a scan, :class:`MatchTask`: files to turn into per-file results
(facts from the fact cache or extracted within a time limit, then every leaf of the checklist).

Every executor runs it (see :mod:`auditor.engine.executors`): in this process, in worker
processes, in the standby worker (which extracts, and the main process matches). Imports only
what extraction needs, so a worker is ready sooner: the matchers (and pydantic) load with the
first task to match, evaluation and reports never.
"""

from __future__ import annotations

import hashlib
import pickle
import signal
import threading
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from auditor.engine.caches import FactCache, ResultCache
from auditor.engine.discover import SourceFile
from auditor.facts import FileFacts
from auditor.facts.extract import NAMED_TEXT_KINDS, TEXT_KINDS, decode, extract_bytes, named_text

if TYPE_CHECKING:  # a worker loads the matchers (and pydantic) with the first task it matches
    from auditor.engine.plan import LeafPlan
    from auditor.engine.results import FileResult


def warm_up() -> None:
    """In a worker process: import what a task needs (the extractors first, then the
    matchers), before the first task arrives."""
    import auditor.facts.python
    from auditor.facts.bandit import _setup

    _setup()
    import auditor.engine.plan  # noqa: F401 - the matchers and pydantic


Job = tuple[SourceFile, bytes, int, float]


class ExtractionTimeout(Exception):
    """Raised (from SIGALRM) in the thread extracting a file that ran past the time limit."""


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    raise ExtractionTimeout


class _Budget:
    """A per-file time limit: SIGALRM raises ExtractionTimeout at the next Python instruction.

    Native code (a C or Rust parser) cannot be interrupted that way; in a worker process
    (``hard``) a CPU-time timer whose signal keeps its default action (terminate) then ends the
    worker, which the pool turns into a warning for that file.
    """

    def __init__(self, seconds: float, hard: bool) -> None:
        self.seconds = seconds
        self.active = (seconds > 0 and hasattr(signal, "setitimer")
                       and threading.current_thread() is threading.main_thread())
        self.hard = hard and self.active
        self.previous: Any = None

    def __enter__(self) -> _Budget:
        if self.active:
            self.previous = signal.signal(signal.SIGALRM, _on_alarm)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
            if self.hard:
                signal.setitimer(signal.ITIMER_PROF, hard_limit(self.seconds))
        return self

    def disarm(self) -> None:
        if self.active:
            signal.setitimer(signal.ITIMER_REAL, 0)
            if self.hard:
                signal.setitimer(signal.ITIMER_PROF, 0)
            if self.previous is not None:
                signal.signal(signal.SIGALRM, self.previous)
                self.previous = None

    def __exit__(self, *exc: object) -> None:
        self.disarm()


def hard_limit(seconds: float) -> float:
    """CPU seconds after which a worker stuck in native code is ended."""
    return seconds * 2 + 1


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    detail = text[0][:160] if text else ""
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


def extract_job(job: Job, hard: bool = False) -> FileFacts:
    """Extract one file within its time limit; any failure becomes a warning, never an exception."""
    source, data, max_nodes, seconds = job
    budget = _Budget(seconds, hard)
    try:
        with budget:
            return extract_bytes(source, data, max_nodes)
    except ExtractionTimeout:
        message = f"not parsed: extraction took longer than the {seconds:g}-second limit"
    except RecursionError:
        message = "not parsed: nesting too deep for the extractor"
    except MemoryError:
        message = "not parsed: out of memory while extracting"
    except Exception as exc:  # an extractor bug must cost one file, not the scan
        message = f"not parsed: extractor failed: {_first_line(exc)}"
    finally:
        budget.disarm()
    return FileFacts(path=source.path, kind=source.kind, role=source.role, warnings=[message])


TRANSIENT = ("-second limit", "crashed its worker", "out of memory")


def transient(facts: FileFacts) -> bool:
    """Whether a file's result depends on the machine (time limit, crash), so it is not cached."""
    return any(marker in w for w in facts.warnings for marker in TRANSIENT)


def crash_warning(source: SourceFile, seconds: float, elapsed: float) -> FileFacts:
    if seconds > 0 and elapsed >= hard_limit(seconds):
        reason = f"not parsed: extraction ran past the {seconds:g}-second limit in native code and was stopped"
    else:
        reason = "not parsed: the extractor crashed its worker process"
    return FileFacts(path=source.path, kind=source.kind, role=source.role, warnings=[reason])


def with_text(facts: FileFacts, data: bytes) -> FileFacts:
    if facts.kind in TEXT_KINDS or facts.kind in ("yaml", "compose", "workflow", "k8s", "prometheus"):
        facts.text = decode(data)[:1_000_000]
    elif facts.kind in NAMED_TEXT_KINDS:
        facts.text = named_text(data)
    return facts


class MatchSetup:
    """What turns files into results: the leaves, the limits, the cache.

    Pickled (into a task for a worker process), its leaf plan is one pickle made once and
    shared by every task; a worker unpickles it once, when it first matches. A worker that
    only extracts (the standby) is sent :meth:`extraction`, without the plan, and never loads
    the matchers.
    """

    def __init__(self, plan: LeafPlan | None, max_nodes: int, timeout: float, cache_dir: Path | None,
                 packed: tuple[str, bytes] | None = None) -> None:
        self._plan = plan
        self._packed = packed
        self.max_nodes = max_nodes
        self.timeout = timeout
        self.cache_dir = cache_dir

    @property
    def plan(self) -> LeafPlan:
        if self._plan is None:
            if self._packed is None:
                raise ValueError("a setup for extraction has no leaves to match")
            self._plan = pickle.loads(self._packed[1])  # made by this scan's main process
        return self._plan

    def extraction(self) -> MatchSetup:
        """The same limits and cache without the leaves: for a worker that only extracts."""
        return MatchSetup(None, self.max_nodes, self.timeout, self.cache_dir)

    def __reduce__(self) -> tuple[Any, ...]:
        if self._packed is None and self._plan is not None:
            blob = pickle.dumps(self._plan, protocol=pickle.HIGHEST_PROTOCOL)
            self._packed = (hashlib.sha256(blob).hexdigest(), blob)
        return (_unpacked, (self._packed, self.max_nodes, self.timeout, self.cache_dir))


_RECEIVED: dict[tuple[str, int, float, Path | None], MatchSetup] = {}
"""In a worker process: the setup it last received (so its plan is unpickled once)."""


def _unpacked(packed: tuple[str, bytes] | None, max_nodes: int, timeout: float,
              cache_dir: Path | None) -> MatchSetup:
    key = (packed[0] if packed is not None else "", max_nodes, timeout, cache_dir)
    setup = _RECEIVED.get(key)
    if setup is None:
        setup = MatchSetup(None, max_nodes, timeout, cache_dir, packed)
        _RECEIVED.clear()
        _RECEIVED[key] = setup
    return setup


BatchJob = tuple[SourceFile, bytes, str, str]
"""A file to match: source, bytes, fact cache key and result cache key ("" without a cache)."""


def facts_batch(batch: list[BatchJob], cache_dir: Path | None, max_nodes: int, timeout: float,
                hard: bool = False, reuse: bool = True) -> list[FileFacts]:
    """Facts for each file: from the fact cache (unless not ``reuse``), else extracted within
    the time limit (and cached, unless the result depends on the machine)."""
    facts_cache = FactCache(cache_dir) if cache_dir is not None else None
    files: list[FileFacts] = []
    for source, data, fact_key, _ in batch:
        entry = facts_cache.get(fact_key) if facts_cache is not None and reuse else None
        if entry is not None:
            files.append(with_text(FileFacts(path=source.path, kind=entry["kind"], role=source.role,
                                              facts=entry["facts"], warnings=entry["warnings"]), data))
            continue
        ff = extract_job((source, data, max_nodes, timeout), hard)
        if facts_cache is not None and not transient(ff):
            facts_cache.put(fact_key, ff.kind, ff.facts, ff.warnings)
        files.append(ff)
    return files


CACHE_DAMAGE = (KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError)
"""What a fact cache entry of the right shape but wrong content raises when it is matched."""


def match_facts(batch: list[BatchJob], files: list[FileFacts], setup: MatchSetup,
                hard: bool = False) -> list[FileResult]:
    """Every leaf over a batch's facts; results that do not depend on the machine are cached.

    Facts read from the cache passed a shape check only: if matching them fails, the batch is
    extracted afresh (its cache entries rewritten) and matched again, so a damaged or forged
    entry costs time, never the scan."""
    try:
        results = setup.plan.match(files)
    except CACHE_DAMAGE:
        if setup.cache_dir is None:
            raise
        files = facts_batch(batch, setup.cache_dir, setup.max_nodes, setup.timeout, hard, reuse=False)
        results = setup.plan.match(files)
    if setup.cache_dir is not None:
        results_cache = ResultCache(setup.cache_dir)
        for (_, _, _, result_key), ff, result in zip(batch, files, results, strict=True):
            if not transient(ff):
                results_cache.put(result_key, result)
    return results


def match_batch(batch: list[BatchJob], setup: MatchSetup, hard: bool = False) -> list[FileResult]:
    """Facts for each file (:func:`facts_batch`), then every leaf over the batch."""
    return match_facts(batch, facts_batch(batch, setup.cache_dir, setup.max_nodes, setup.timeout, hard), setup,
                       hard)


@dataclass(frozen=True)
class MatchTask:
    """Files to match with one setup: what every executor runs, and all it runs."""

    setup: MatchSetup
    files: list[BatchJob]

    def one_by_one(self) -> list[MatchTask]:
        """The same files as one-file tasks (to pin a crash on the file that caused it)."""
        return [MatchTask(self.setup, [job]) for job in self.files]


def run_task(task: MatchTask) -> list[FileResult]:
    """A task in this process: one result per file, in the task's order."""
    return match_batch(task.files, task.setup)


def run_in_worker(task: MatchTask) -> list[FileResult]:
    """A task in a worker process: as :func:`run_task`, and a file stuck in native code past
    the hard limit ends the worker (see :class:`_Budget`)."""
    return match_batch(task.files, task.setup, hard=True)


def extract_in_worker(task: MatchTask) -> list[FileFacts]:
    """Half a task, in a worker process: each file's facts (from the fact cache or extracted),
    for the process that made the task to match (see :class:`auditor.engine.executors.OnStandby`)."""
    setup = task.setup
    return facts_batch(task.files, setup.cache_dir, setup.max_nodes, setup.timeout, hard=True)


def crashed_task(task: MatchTask, elapsed: float) -> list[FileResult]:
    """The result of a one-file task whose worker died after ``elapsed`` seconds: its warning, no hits."""
    from auditor.engine.results import FileResult

    ff = crash_warning(task.files[0][0], task.setup.timeout, elapsed)
    return [FileResult(path=ff.path, kind=ff.kind, role=ff.role, warnings=ff.warnings)]
