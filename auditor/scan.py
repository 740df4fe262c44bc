"""One scan: discover files, extract facts (in parallel, through the cache), evaluate into a Report."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from auditor.cache import FactCache, entry_key
from auditor.codehealth import code_health
from auditor.discover import DEFAULT_MAX_FILE_BYTES, SourceFile, discover
from auditor.errors import AuditorError
from auditor.evaluate import evaluate
from auditor.facts import FileFacts
from auditor.facts.extract import TEXT_KINDS, decode, extract_bytes
from auditor.facts.pyast import cache_salt
from auditor.model import Report
from auditor.rules import Checklist

PARALLEL_THRESHOLD = 40

Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` while files are read and extracted."""


@dataclass
class ScanOptions:
    """How to scan: limits, path filters, parallelism and cache."""

    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    max_yaml_nodes: int = 200_000
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    jobs: int = 0
    cache_dir: Path | None = None


def _extract_job(args: tuple[SourceFile, bytes, int]) -> FileFacts:
    source, data, max_nodes = args
    return extract_bytes(source, data, max_nodes)


def _with_text(facts: FileFacts, data: bytes) -> FileFacts:
    if facts.kind in TEXT_KINDS or facts.kind in ("yaml", "compose", "workflow", "k8s", "prometheus"):
        facts.text = decode(data)[:1_000_000]
    return facts


def extract_tree(root: Path, options: ScanOptions,
                 progress: Progress | None = None) -> tuple[list[FileFacts], list[tuple[str, str]]]:
    """Facts for every discovered file, sorted by path, plus discovery warnings.

    ``progress(done, total)``, when given, is called as files are done (cache hits first).
    """
    found = discover(root, max_file_bytes=options.max_file_bytes, exclude=options.exclude,
                     include=options.include)
    cache = FactCache(options.cache_dir) if options.cache_dir is not None else None
    results: dict[str, FileFacts] = {}
    todo: list[tuple[SourceFile, bytes, int]] = []
    keys: dict[str, str] = {}
    warnings = list(found.warnings)
    salt = str(options.max_yaml_nodes)
    total = len(found.files)
    done = 0
    for source in found.files:
        try:
            data = (root / source.path).read_bytes()
        except OSError as exc:
            warnings.append((source.path, f"not read: {exc.strerror or exc}"))
            continue
        if cache is not None:
            key = entry_key(data, source.kind, f"{salt}:{cache_salt(source.kind, source.role)}")
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
        todo.append((source, data, options.max_yaml_nodes))
    jobs = options.jobs or os.cpu_count() or 1
    if jobs > 1 and len(todo) >= PARALLEL_THRESHOLD:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            extracted = []
            for ff in pool.map(_extract_job, todo, chunksize=8):
                extracted.append(ff)
                done += 1
                if progress is not None:
                    progress(done, total)
    else:
        extracted = []
        for job in todo:
            extracted.append(_extract_job(job))
            done += 1
            if progress is not None:
                progress(done, total)
    for ff in extracted:
        results[ff.path] = ff
        if cache is not None:
            cache.put(keys[ff.path], ff.kind, ff.facts, ff.warnings)
    if progress is not None:
        progress(total, total)
    return [results[p] for p in sorted(results)], warnings


def scan(root: Path, checklist: Checklist, options: ScanOptions | None = None,
         progress: Progress | None = None) -> Report:
    """Scan a repository statically; its code is never imported or run."""
    options = options or ScanOptions()
    if not root.exists():
        raise AuditorError(f"{root}: no such file or directory")
    if not root.is_dir():
        raise AuditorError(f"{root}: not a directory")
    files, warnings = extract_tree(root, options, progress)
    report = evaluate(checklist, files, root, ".", warnings)
    report.code_health = code_health(f for f in files if f.role == "runtime")
    return report
