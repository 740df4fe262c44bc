"""One scan: discover files, extract and match them (through the caches, on the executor the
caller hands in), evaluate into a Report.

The only way a tree is scanned: the command, the rule examples and the tests all come here."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from auditor import __version__
from auditor.engine.caches import ReportCache, ResultCache, entry_key, evaluator_version, extractor_version
from auditor.engine.codehealth import code_health
from auditor.engine.discover import DEFAULT_MAX_FILE_BYTES, SourceFile, discover, read_regular
from auditor.engine.executors import Executor, executor_for
from auditor.engine.plan import LeafHits, LeafPlan
from auditor.engine.provenance import stamp
from auditor.engine.results import FileResult
from auditor.engine.tasks import BatchJob, MatchSetup, transient
from auditor.engine.workers import stop_all
from auditor.errors import AuditorError
from auditor.facts import FileFacts
from auditor.facts.pyast import cache_salt
from auditor.matchers import matchers_version
from auditor.model import Report, summarise
from auditor.render.common import OUTPUT_NAMES, is_report
from auditor.rules.evaluate import evaluate
from auditor.rules.load import checklist_fingerprint
from auditor.rules.schema import Checklist

REPORT_KINDS = frozenset({"markdown", "text", "json"})
"""Kinds of file a report of this tool can be read as (see ``render.common.is_report``)."""
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
        if source.path.rsplit("/", 1)[-1] in OUTPUT_NAMES or (source.kind in REPORT_KINDS and is_report(data)):
            continue  # written by this tool (a report, the baseline): what it found, not what the service does
        key = entry_key(data, source.kind, f"{salt}:{cache_salt(source.kind, source.role)}") \
            if options.cache_dir is not None else ""
        files.append((source, data, key))
    return Prepared(files=files, warnings=warnings)


def match_tree(root: Path, options: ScanOptions, plan: LeafPlan, executor: Executor,
               progress: Progress | None = None,
               prepared: Prepared | None = None) -> tuple[list[FileResult], list[tuple[str, str]]]:
    """Per-file results for every discovered file, sorted by path, plus discovery warnings.

    A file whose result is cached (same bytes, path, role and leaves) is not read further;
    the others are extracted (or taken from the fact cache) and matched on the ``executor``,
    which starts before the cached results are read, so the two overlap; a cached result that
    turns out unreadable is matched afterwards.
    """
    prepared = prepared or prepare(root, options)
    results_cache = ResultCache(options.cache_dir) if options.cache_dir is not None else None
    results: dict[str, FileResult] = {}
    todo: list[BatchJob] = []
    cached: list[BatchJob] = []
    for source, data, fact_key in prepared.files:
        if results_cache is None:
            todo.append((source, data, fact_key, ""))
            continue
        result_key = ResultCache.key(fact_key, source.path, source.role, plan.digest)
        (cached if results_cache.has(result_key) else todo).append((source, data, fact_key, result_key))
    setup = MatchSetup(plan=plan, max_nodes=options.max_yaml_nodes, timeout=options.parse_timeout,
                       cache_dir=options.cache_dir)
    total = len(prepared.files)
    done = 0

    def advance(count: int) -> None:
        nonlocal done
        step = done // 50
        done += count
        if progress is not None and done // 50 != step:
            progress(done, total)

    stream = executor.run(setup, todo)
    unreadable: list[BatchJob] = []
    for job in cached:
        source = job[0]
        assert results_cache is not None  # only files with a cached entry are here
        result = results_cache.get(job[3], source.path, source.role, len(plan.leaves))
        if result is None:
            unreadable.append(job)
            continue
        results[source.path] = result
        advance(1)

    def rest() -> Iterator[list[FileResult]]:  # started once the first stream is read out
        yield from executor.run(setup, unreadable)

    for batch_results in itertools.chain(stream, rest()):
        for result in batch_results:
            results[result.path] = result
        advance(len(batch_results))
    if progress is not None:
        progress(total, total)
    return [results[p] for p in sorted(results)], list(prepared.warnings)


def report_key(prepared: Prepared, checklist: Checklist, options: ScanOptions) -> str:
    """Everything a report depends on: the tool and the code of its extractors, matchers and
    evaluation, the checklist and rules as parsed, the limits,
    and every file's path, kind, role and content key (evidence lines come from the content)."""
    digest = hashlib.sha256()
    for part in (REPORT_FORMAT, __version__, extractor_version(), matchers_version(), evaluator_version(),
                 checklist_fingerprint(checklist),
                 repr((options.max_file_bytes, options.max_yaml_nodes, options.include, options.exclude))):
        digest.update(str(part).encode() + b"\0")
    for source, _data, key in prepared.files:
        digest.update(f"{source.path}\0{source.kind}\0{source.role}\0{key}\n".encode())
    for path, message in prepared.warnings:
        digest.update(f"w\0{path}\0{message}\n".encode())
    return digest.hexdigest()


def consistent(report: Report, checklist: Checklist, prepared: Prepared) -> bool:
    """Whether a cached report is what this scan would compute, as far as can be told without
    computing it: this tool's version, the checklist's items as loaded, the scanned files and
    their warnings, counts that add up, and evidence only in scanned files."""
    try:
        items = [(section.title, item.id, item.title, item.severity, item.rule, item.remediation)
                 for section, item in checklist.items()]
        paths = {source.path for source, _data, _key in prepared.files}
        return (report.tool.version == __version__
                and [(i.section, i.id, i.title, i.severity, i.rule, i.remediation) for i in report.items] == items
                and report.checklist.path == checklist.path and report.checklist.name == checklist.spec.name
                and report.project.files_scanned == len(prepared.files)
                and {(w.path, w.message) for w in report.warnings} >= set(prepared.warnings)
                and report.summary == summarise(report.items)
                and all(ev.path in paths and ev.line >= 1 for item in report.items for ev in item.evidence))
    except (AttributeError, TypeError, ValueError):
        return False


@dataclass
class Matched:
    """A tree matched against a checklist's leaves: each file's result (in path order), the
    discovery warnings, and the plan that numbers the leaves."""

    plan: LeafPlan
    results: list[FileResult]
    warnings: list[tuple[str, str]]

    def files(self) -> list[FileFacts]:
        """Each file as evaluation sees it: kind, role, warnings and its radon facts."""
        return [r.light() for r in self.results]

    def source(self) -> LeafHits:
        """Each leaf's hits over the whole tree, for :class:`auditor.rules.evaluator.Evaluator`."""
        return self.plan.source(self.results)


def match(root: Path, checklist: Checklist, options: ScanOptions | None = None,
          executor: Executor | None = None) -> Matched:
    """Match a tree against a checklist's leaves as :func:`scan` does (caches and workers
    included), without evaluating a report: for callers that evaluate rules themselves
    (rule examples, :func:`auditor.testing.check_leaf`). ``executor`` as for :func:`scan`."""
    options = options or ScanOptions()
    _check_root(root)
    plan = LeafPlan(checklist, matchers_version())
    with _Using(executor, options) as running:
        results, warnings = match_tree(root, options, plan, running)
    return Matched(plan, results, warnings)


class _Using:
    """The executor a scan was handed (its caller's to close), else one of its own for
    ``options.jobs``, closed when the scan's matching is done. Either way, an exception kills
    its processes at once: the workers' work is discarded, not waited for."""

    def __init__(self, executor: Executor | None, options: ScanOptions) -> None:
        self.own = executor is None
        self.executor = executor if executor is not None else executor_for(options.jobs)

    def __enter__(self) -> Executor:
        return self.executor

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if exc is not None:
            self.executor.stop()
            stop_all()  # and the one-worker pools isolating a crash
        elif self.own:
            self.executor.close()


def _check_root(root: Path) -> None:
    if not root.exists():
        raise AuditorError(f"{root}: no such file or directory")
    if not root.is_dir():
        raise AuditorError(f"{root}: not a directory")


def scan(root: Path, checklist: Checklist | Callable[[], Checklist], options: ScanOptions | None = None,
         progress: Progress | None = None, executor: Executor | None = None) -> Report:
    """Scan a repository statically; its code is never imported or run.

    ``checklist`` may be a function that loads it: without a cache, the executor's worker
    processes are then started first and import the extractors while the rules load.
    ``executor``: where files are matched (see :mod:`auditor.engine.executors`; the caller
    closes it); by default one for ``options.jobs``, closed before the report is evaluated.
    """
    options = options or ScanOptions()
    _check_root(root)
    prepared = prepare(root, options)
    reports = ReportCache(options.cache_dir) if options.cache_dir is not None else None
    with _Using(executor, options) as running:
        if reports is None:
            running.expect(len(prepared.files))  # every file will be matched
        loaded = checklist() if callable(checklist) else checklist
        key = report_key(prepared, loaded, options) if reports is not None else ""
        if reports is not None:
            cached = reports.get(key)
            if cached is not None and not consistent(cached, loaded, prepared):
                cached = None  # damaged or forged: computed afresh and rewritten
            if cached is not None:
                if progress is not None:
                    progress(len(prepared.files), len(prepared.files))
                return stamp(cached, root, loaded.path)
        plan = LeafPlan(loaded, matchers_version())
        results, warnings = match_tree(root, options, plan, running, progress, prepared)
    matched = Matched(plan, results, warnings)
    files = matched.files()
    report = evaluate(loaded, files, root, matched.source(), ".", warnings)
    report.code_health = code_health(f for f in files if f.role == "runtime")
    if reports is not None and not any(transient(f) for f in files):
        reports.put(key, report)
        if options.cache_dir is not None:  # after a scan that wrote: one served from the cache walks no folder
            from auditor.cachesize import configured_limit, prune

            prune(options.cache_dir, configured_limit())
    return stamp(report, root, loaded.path)
