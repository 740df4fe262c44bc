"""One service's work as plain data: the task sent to a worker and the result it sends back.

Both are JSON-able dicts' dataclasses, so they travel the same way to a local scan process and to
a Dask worker. ``run_task`` does the work: check out, skip when the commit was already scanned
with the same settings, otherwise scan. It never raises: every failure is a result with a reason.
"""

from __future__ import annotations

import socket
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

OK = "ok"
REUSED = "reused"
FETCH_ERROR = "fetch-error"
CONFIG_ERROR = "config-error"
SCAN_ERROR = "scan-error"
TIMEOUT = "timeout"
FAILURES = (FETCH_ERROR, CONFIG_ERROR, SCAN_ERROR, TIMEOUT)


@dataclass
class Task:
    """What a worker needs to fetch and scan one service."""

    service: str
    git: str | None
    ref: str | None
    path: str | None
    subdir: str | None
    settings: dict[str, Any]
    timeout: float
    workdir: str
    cache_dir: str | None = None
    done_commits: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Result:
    """What came of one service: ``status`` is OK, REUSED or one of FAILURES (with ``reason``)."""

    service: str
    status: str
    reason: str = ""
    commit: str | None = None
    commit_date: str | None = None
    report_json: str | None = None
    gate_passed: bool | None = None
    gate_reasons: list[str] = field(default_factory=list)
    started_at: str = ""
    duration: float = 0.0
    worker: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Result:
        return cls(**data)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def run_task(task: Task) -> Result:
    """Fetch, skip or scan one service in this process; every failure becomes a Result."""
    from auditor.errors import AuditorError
    from auditor.fleet.engine import scan_service
    from auditor.fleet.fetch import FetchError, checkout, resolve_remote
    from auditor.fleet.fleetfile import ServiceSettings

    start = time.monotonic()
    result = Result(service=task.service, status=SCAN_ERROR, started_at=now_iso(), worker=socket.gethostname())
    try:
        if task.git is not None and task.done_commits:
            remote = resolve_remote(task.git, task.ref)
            if remote is not None and remote in task.done_commits:
                result.status, result.commit = REUSED, remote
                return result
        co = checkout(task.service, task.git, task.ref, task.path, Path(task.workdir), task.subdir)
        result.commit, result.commit_date = co.commit, co.commit_date
        if co.commit is not None and co.commit in task.done_commits:
            result.status = REUSED
            return result
        scanned = scan_service(co.root, ServiceSettings.model_validate(task.settings),
                               Path(task.cache_dir) if task.cache_dir else None)
        result.status, result.report_json = OK, scanned.report_json
        result.gate_passed, result.gate_reasons = scanned.gate_passed, scanned.gate_reasons
    except FetchError as exc:
        result.status, result.reason = FETCH_ERROR, str(exc)
    except AuditorError as exc:
        result.status, result.reason = CONFIG_ERROR, str(exc)
    except Exception as exc:  # a bug or a crash in the engine: recorded, the fleet goes on
        result.status, result.reason = SCAN_ERROR, f"internal error: {type(exc).__name__}: {exc}"
    finally:
        result.duration = round(time.monotonic() - start, 3)
    return result
