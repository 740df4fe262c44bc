"""What a worker does with files: extract one within its time limit, and turn a batch into
per-file results (facts from the fact cache or extracted, then every leaf of the checklist).

Runs in worker processes, in the standby worker (extraction alone) and, for small scans, in the
main process. Imports only what extraction needs, so the standby worker is ready sooner: the
matchers (and pydantic) load with the first batch to match, evaluation and reports never.
"""

from __future__ import annotations

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

if TYPE_CHECKING:  # the standby worker extracts without loading the matchers (and pydantic)
    from auditor.engine.plan import LeafPlan
    from auditor.engine.results import FileResult


def warm_up() -> None:
    """Import what extraction needs, before the first file arrives."""
    import auditor.facts.python  # noqa: F401 - LibCST
    from auditor.facts.bandit import _setup

    _setup()


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


def pool_job(job: Job) -> FileFacts:
    return extract_job(job, hard=True)


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


@dataclass(frozen=True)
class MatchSetup:
    """What a worker needs to turn files into results: the leaves, the limits, the cache."""

    plan: LeafPlan
    max_nodes: int
    timeout: float
    cache_dir: Path | None


BatchJob = tuple[SourceFile, bytes, str, str]
"""A file to match: source, bytes, fact cache key and result cache key ("" without a cache)."""
BatchTask = tuple[str, bytes, list[BatchJob]]
"""Work for a worker: the setup's digest, the pickled setup (unpickled once per worker) and files."""
BATCH_FILES = 24
"""Files per worker task: leaves run once per batch, so bigger batches cost less matching."""
SERIAL_BATCH_FILES = 250
"""Files matched at once in the main process: bounds the facts held at one time."""

_WORKER_SETUP: dict[str, MatchSetup] = {}
"""The setup this worker process last received, by digest."""


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


FactsTask = tuple[Path | None, int, float, list[BatchJob]]
"""Extraction alone: the cache folder, the limits and the files (the standby worker's work)."""


def facts_task(task: FactsTask) -> list[FileFacts]:
    cache_dir, max_nodes, timeout, batch = task
    return facts_batch(batch, cache_dir, max_nodes, timeout, hard=True)


def batch_task(task: BatchTask) -> list[FileResult]:
    digest, blob, batch = task
    setup = _WORKER_SETUP.get(digest)
    if setup is None:
        setup = pickle.loads(blob)  # made by this scan's main process in memory, never read from disk
        _WORKER_SETUP.clear()
        _WORKER_SETUP[digest] = setup
    return match_batch(batch, setup, hard=True)


def crashed_result(source: SourceFile, seconds: float, elapsed: float) -> FileResult:
    """The result of a file whose worker died: its warning, no hits."""
    from auditor.engine.results import FileResult

    ff = crash_warning(source, seconds, elapsed)
    return FileResult(path=ff.path, kind=ff.kind, role=ff.role, warnings=ff.warnings)


def crashed_batch(task: BatchTask, seconds: float, elapsed: float) -> list[FileResult]:
    """The result of a one-file batch whose worker died."""
    return [crashed_result(task[2][0][0], seconds, elapsed)]
