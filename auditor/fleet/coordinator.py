"""A fleet run: one task per service, results recorded in the store as they arrive, progress and a summary.

Services already scanned at the same commit with the same settings are not scanned again (the
run points at the stored scan), so a re-run after a kill resumes where the killed run stopped.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from auditor import __version__
from auditor.fleet.fleetfile import Fleet, Service
from auditor.fleet.runner import run_dask, run_local
from auditor.fleet.store import ServiceMeta, Store
from auditor.fleet.task import FAILURES, OK, REUSED, Result, Task


@dataclass
class RunSummary:
    """Counts of one fleet run, by status, and the failures with their reasons."""

    run_id: int
    total: int
    counts: Counter[str] = field(default_factory=Counter)
    failures: list[tuple[str, str, str]] = field(default_factory=list)
    seconds: float = 0.0

    def line(self) -> str:
        failed = sum(self.counts[s] for s in FAILURES)
        kinds = ", ".join(f"{self.counts[s]} {s}" for s in FAILURES if self.counts[s])
        return (f"fleet: {self.total} service(s): {self.counts[OK]} scanned, {self.counts[REUSED]} unchanged, "
                f"{failed} failed{f' ({kinds})' if kinds else ''} in {self.seconds:.1f} s (run {self.run_id})")


class Progress:
    """One redrawn line on a terminal; one line per finished service otherwise (failures always)."""

    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self.total, self.done = total, 0
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.counts: Counter[str] = Counter()

    def update(self, result: Result) -> None:
        self.done += 1
        self.counts[result.status] += 1
        if result.status in FAILURES:
            self._clear()
            self.stream.write(f"fleet: {result.service}: {result.status}: {result.reason}\n")
        if self.tty:
            failed = sum(self.counts[s] for s in FAILURES)
            self.stream.write(f"\rfleet: {self.done}/{self.total} done ({self.counts[OK]} scanned, "
                              f"{self.counts[REUSED]} unchanged, {failed} failed) last: {result.service}\x1b[K")
        elif result.status not in FAILURES:
            self.stream.write(f"fleet: [{self.done}/{self.total}] {result.service}: {result.status}\n")
        self.stream.flush()

    def _clear(self) -> None:
        if self.tty:
            self.stream.write("\r\x1b[K")

    def close(self) -> None:
        self._clear()
        self.stream.flush()


def default_workdir() -> Path:
    """Where git services are checked out when the fleet file does not say: beside the user cache."""
    from auditor.store import default_cache_dir

    return default_cache_dir().with_name("checklist-auditor-fleet")


def build_tasks(fleet: Fleet, store: Store, workdir: Path, cache_dir: Path | None, rescan: bool) -> list[Task]:
    """One task per service, each knowing the commits it may skip."""
    tasks = []
    for svc in fleet.services:
        fp = svc.fingerprint(__version__)
        tasks.append(Task(service=svc.name, git=svc.git, ref=svc.ref, path=svc.path, subdir=svc.subdir,
                          settings=svc.settings.model_dump(mode="json"), timeout=svc.timeout(),
                          workdir=str(workdir), cache_dir=str(cache_dir) if cache_dir else None,
                          done_commits=[] if rescan else store.done_commits(svc.name, fp)))
    return tasks


def meta_of(svc: Service) -> ServiceMeta:
    return ServiceMeta(name=svc.name, team=svc.team, owner=svc.owner, tags=svc.tags, source=svc.git or svc.path)


def run_fleet(fleet: Fleet, store: Store, workdir: Path, cache_dir: Path | None, scheduler: str | None = None,
              workers: int = 0, rescan: bool = False, progress: Progress | None = None) -> RunSummary:
    """Scan every service of the fleet and record each result the moment it arrives."""
    start = time.monotonic()
    by_name = {s.name: s for s in fleet.services}
    tasks = build_tasks(fleet, store, workdir, cache_dir, rescan)
    run_id = store.begin_run("scan", str(fleet.source), len(tasks), __version__)
    summary = RunSummary(run_id=run_id, total=len(tasks))
    results = run_dask(tasks, scheduler) if scheduler else run_local(tasks, workers)
    for result in results:
        svc = by_name.get(result.service)
        if svc is None:
            continue
        store.record(run_id, meta_of(svc), result, svc.fingerprint(__version__))
        summary.counts[result.status] += 1
        if result.status in FAILURES:
            summary.failures.append((result.service, result.status, result.reason))
        if progress is not None:
            progress.update(result)
    store.finish_run(run_id)
    summary.seconds = time.monotonic() - start
    return summary
