"""One scan: discover files, extract facts (in parallel, through the cache), evaluate into a Report."""

from __future__ import annotations

import hashlib
import os
import pickle
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from auditor import __version__
from auditor.cache import FactCache, ReportCache, ResultCache, engine_version, entry_key, extractor_version
from auditor.codehealth import code_health
from auditor.discover import DEFAULT_MAX_FILE_BYTES, SourceFile, discover, read_regular
from auditor.errors import AuditorError
from auditor.evaluate import evaluate
from auditor.facts import FileFacts
from auditor.facts.extract import TEXT_KINDS, decode, extract_bytes
from auditor.facts.pyast import cache_salt
from auditor.leaves import FileResult, LeafPlan
from auditor.model import Report
from auditor.rules import Checklist, checklist_fingerprint
from auditor.workers import WorkerPool, in_workers

PARALLEL_THRESHOLD = 40
REPORT_FORMAT = 1
DEFAULT_MAX_YAML_NODES = 200_000
DEFAULT_PARSE_TIMEOUT = 30.0

Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` while files are read and extracted."""


@dataclass
class ScanOptions:
    """How to scan: limits, path filters, parallelism and cache."""

    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    max_yaml_nodes: int = DEFAULT_MAX_YAML_NODES
    parse_timeout: float = DEFAULT_PARSE_TIMEOUT
    """Seconds one file's extraction may take; 0 for no limit."""
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    jobs: int = 0
    cache_dir: Path | None = None


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


def _pool_job(job: Job) -> FileFacts:
    return extract_job(job, hard=True)


def _crash_warning(source: SourceFile, seconds: float, elapsed: float) -> FileFacts:
    if seconds > 0 and elapsed >= hard_limit(seconds):
        reason = f"not parsed: extraction ran past the {seconds:g}-second limit in native code and was stopped"
    else:
        reason = "not parsed: the extractor crashed its worker process"
    return FileFacts(path=source.path, kind=source.kind, role=source.role, warnings=[reason])


def _parallel(todo: list[Job], workers: int) -> Iterator[FileFacts]:
    """Extract in worker processes; if one dies, the files not yet done are retried one by one."""
    return in_workers(todo, _pool_job, workers, lambda rest: rest,
                      lambda job, elapsed: _crash_warning(job[0], job[3], elapsed))


def _with_text(facts: FileFacts, data: bytes) -> FileFacts:
    if facts.kind in TEXT_KINDS or facts.kind in ("yaml", "compose", "workflow", "k8s", "prometheus"):
        facts.text = decode(data)[:1_000_000]
    return facts


@dataclass
class Prepared:
    """Discovered files with their bytes and cache keys, before any extraction."""

    files: list[tuple[SourceFile, bytes, str]]
    warnings: list[tuple[str, str]]


def prepare(root: Path, options: ScanOptions) -> Prepared:
    """Discover and read every file once; key each by content for the fact cache."""
    found = discover(root, max_file_bytes=options.max_file_bytes, exclude=options.exclude,
                     include=options.include)
    warnings = list(found.warnings)
    salt = str(options.max_yaml_nodes)
    files: list[tuple[SourceFile, bytes, str]] = []
    for source in found.files:
        try:
            data = read_regular(root / source.path, options.max_file_bytes)
        except OSError as exc:
            warnings.append((source.path, f"not read: {exc.strerror or exc}"))
            continue
        key = entry_key(data, source.kind, f"{salt}:{cache_salt(source.kind, source.role)}") \
            if options.cache_dir is not None else ""
        files.append((source, data, key))
    return Prepared(files=files, warnings=warnings)


def extract_tree(root: Path, options: ScanOptions, progress: Progress | None = None,
                 prepared: Prepared | None = None) -> tuple[list[FileFacts], list[tuple[str, str]]]:
    """Facts for every discovered file, sorted by path, plus discovery warnings.

    ``progress(done, total)``, when given, is called as files are done (cache hits first).
    """
    prepared = prepared or prepare(root, options)
    cache = FactCache(options.cache_dir) if options.cache_dir is not None else None
    results: dict[str, FileFacts] = {}
    todo: list[Job] = []
    keys: dict[str, str] = {}
    total = len(prepared.files)
    done = 0
    for source, data, key in prepared.files:
        if cache is not None:
            keys[source.path] = key
            entry = cache.get(key)
            if entry is not None:
                ff = FileFacts(path=source.path, kind=entry["kind"], role=source.role,
                               facts=entry["facts"], warnings=entry["warnings"])
                results[source.path] = _with_text(ff, data)
                done += 1
                if progress is not None and done % 50 == 0:
                    progress(done, total)
                continue
        todo.append((source, data, options.max_yaml_nodes, options.parse_timeout))
    jobs = options.jobs or os.cpu_count() or 1
    if jobs > 1 and len(todo) >= PARALLEL_THRESHOLD:
        stream: Iterator[FileFacts] = _parallel(todo, jobs)
    else:
        stream = (extract_job(job) for job in todo)
    extracted = []
    for ff in stream:
        extracted.append(ff)
        done += 1
        if progress is not None:
            progress(done, total)
    for ff in extracted:
        results[ff.path] = ff
        if cache is not None and not transient(ff):
            cache.put(keys[ff.path], ff.kind, ff.facts, ff.warnings)
    if progress is not None:
        progress(total, total)
    return [results[p] for p in sorted(results)], list(prepared.warnings)


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


def match_batch(batch: list[BatchJob], setup: MatchSetup, hard: bool = False) -> list[FileResult]:
    """Facts for each file (from the fact cache, else extracted within the time limit), then every
    leaf over the batch. Results that do not depend on the machine go to the caches."""
    facts_cache = FactCache(setup.cache_dir) if setup.cache_dir is not None else None
    files: list[FileFacts] = []
    for source, data, fact_key, _ in batch:
        entry = facts_cache.get(fact_key) if facts_cache is not None else None
        if entry is not None:
            files.append(_with_text(FileFacts(path=source.path, kind=entry["kind"], role=source.role,
                                              facts=entry["facts"], warnings=entry["warnings"]), data))
            continue
        ff = extract_job((source, data, setup.max_nodes, setup.timeout), hard)
        if facts_cache is not None and not transient(ff):
            facts_cache.put(fact_key, ff.kind, ff.facts, ff.warnings)
        files.append(ff)
    results = setup.plan.match(files)
    if setup.cache_dir is not None:
        results_cache = ResultCache(setup.cache_dir)
        for (_, _, _, result_key), ff, result in zip(batch, files, results, strict=True):
            if not transient(ff):
                results_cache.put(result_key, result)
    return results


def _batch_task(task: BatchTask) -> list[FileResult]:
    digest, blob, batch = task
    setup = _WORKER_SETUP.get(digest)
    if setup is None:
        setup = pickle.loads(blob)  # made by this scan's main process in memory, never read from disk
        _WORKER_SETUP.clear()
        _WORKER_SETUP[digest] = setup
    return match_batch(batch, setup, hard=True)


def _crashed_batch(task: BatchTask, seconds: float, elapsed: float) -> list[FileResult]:
    """The result of a one-file batch whose worker died."""
    ff = _crash_warning(task[2][0][0], seconds, elapsed)
    return [FileResult(path=ff.path, kind=ff.kind, role=ff.role, warnings=ff.warnings)]


def _parallel_batches(batches: list[list[BatchJob]], workers: int, setup: MatchSetup,
                      pool: WorkerPool | None = None) -> Iterator[list[FileResult]]:
    """Batches in worker processes; if one dies, the files not yet done are retried one by one."""
    blob = pickle.dumps(setup)
    digest = hashlib.sha256(blob).hexdigest()
    tasks: list[BatchTask] = [(digest, blob, batch) for batch in batches]
    return in_workers(tasks, _batch_task, workers,
                      lambda rest: [(digest, blob, [job]) for _, _, batch in rest for job in batch],
                      lambda task, elapsed: _crashed_batch(task, setup.timeout, elapsed), pool)


def _batches(jobs: list[BatchJob], size: int) -> list[list[BatchJob]]:
    return [jobs[i:i + size] for i in range(0, len(jobs), size)]


def match_tree(root: Path, options: ScanOptions, plan: LeafPlan, progress: Progress | None = None,
               prepared: Prepared | None = None,
               pool: WorkerPool | None = None) -> tuple[list[FileResult], list[tuple[str, str]]]:
    """Per-file results for every discovered file, sorted by path, plus discovery warnings.

    A file whose result is cached (same bytes, path, role and leaves) is not read further;
    the others are extracted (or taken from the fact cache) and matched in batches, in
    worker processes when there are enough of them (``pool``, when already started).
    """
    prepared = prepared or prepare(root, options)
    results_cache = ResultCache(options.cache_dir) if options.cache_dir is not None else None
    results: dict[str, FileResult] = {}
    todo: list[BatchJob] = []
    total = len(prepared.files)
    done = 0
    for source, data, fact_key in prepared.files:
        if results_cache is not None:
            result_key = ResultCache.key(fact_key, source.path, source.role, plan.digest)
            cached = results_cache.get(result_key, source.path, source.role, len(plan.leaves))
            if cached is not None:
                results[source.path] = cached
                done += 1
                if progress is not None and done % 50 == 0:
                    progress(done, total)
                continue
        else:
            result_key = ""
        todo.append((source, data, fact_key, result_key))
    setup = MatchSetup(plan=plan, max_nodes=options.max_yaml_nodes, timeout=options.parse_timeout,
                       cache_dir=options.cache_dir)
    workers = options.jobs or os.cpu_count() or 1
    stream: Iterator[list[FileResult]]
    if workers > 1 and len(todo) >= PARALLEL_THRESHOLD:
        size = max(4, min(BATCH_FILES, len(todo) // (workers * 4) or 1))
        stream = _parallel_batches(_batches(todo, size), workers, setup, pool)
    else:
        stream = (match_batch(batch, setup) for batch in _batches(todo, SERIAL_BATCH_FILES))
    for batch_results in stream:
        for result in batch_results:
            results[result.path] = result
        done += len(batch_results)
        if progress is not None:
            progress(done, total)
    if progress is not None:
        progress(total, total)
    return [results[p] for p in sorted(results)], list(prepared.warnings)


def report_key(prepared: Prepared, checklist: Checklist, options: ScanOptions) -> str:
    """Everything a report depends on: the tool, the checklist and rules as parsed, the limits,
    and every file's path, kind, role and content key (evidence lines come from the content)."""
    digest = hashlib.sha256()
    for part in (REPORT_FORMAT, __version__, extractor_version(), checklist_fingerprint(checklist),
                 repr((options.max_file_bytes, options.max_yaml_nodes, options.include, options.exclude))):
        digest.update(str(part).encode() + b"\0")
    for source, _data, key in prepared.files:
        digest.update(f"{source.path}\0{source.kind}\0{source.role}\0{key}\n".encode())
    for path, message in prepared.warnings:
        digest.update(f"w\0{path}\0{message}\n".encode())
    return digest.hexdigest()


def scan(root: Path, checklist: Checklist | Callable[[], Checklist], options: ScanOptions | None = None,
         progress: Progress | None = None) -> Report:
    """Scan a repository statically; its code is never imported or run.

    ``checklist`` may be a function that loads it: without a cache, the worker processes are
    then started first and import the extractors while the rules load.
    """
    options = options or ScanOptions()
    if not root.exists():
        raise AuditorError(f"{root}: no such file or directory")
    if not root.is_dir():
        raise AuditorError(f"{root}: not a directory")
    prepared = prepare(root, options)
    reports = ReportCache(options.cache_dir) if options.cache_dir is not None else None
    workers = options.jobs or os.cpu_count() or 1
    pool = None
    if reports is None and workers > 1 and len(prepared.files) >= PARALLEL_THRESHOLD:
        pool = WorkerPool(workers)  # every file will be extracted: start the workers now
    try:
        loaded = checklist() if callable(checklist) else checklist
        key = report_key(prepared, loaded, options) if reports is not None else ""
        if reports is not None:
            cached = reports.get(key)
            if cached is not None:
                if progress is not None:
                    progress(len(prepared.files), len(prepared.files))
                return cached
        plan = LeafPlan(loaded, engine_version())
        results, warnings = match_tree(root, options, plan, progress, prepared, pool)
    finally:
        if pool is not None:
            pool.close()
    files = [r.light() for r in results]
    report = evaluate(loaded, files, root, ".", warnings, leaf_source=plan.source(results))
    report.code_health = code_health(f for f in files if f.role == "runtime")
    if reports is not None and not any(transient(f) for f in files):
        reports.put(key, report)
    return report
