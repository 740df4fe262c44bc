"""The scan's caches: extracted facts keyed by file bytes, kind and extractor version; per-file
match results; whole reports. Entries go through :mod:`auditor.store`: a corrupt, truncated or
foreign entry is ignored and rebuilt, never trusted.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from auditor.model import Report

from auditor.engine.results import FileResult
from auditor.facts import Fact
from auditor.resources import code_digest
from auditor.store import CACHE_FORMAT, read_entry, write_entry


@lru_cache(maxsize=1)
def extractor_version() -> str:
    """Changes whenever extractor code or the parsing libraries change."""
    digest = hashlib.sha256(code_digest("facts/*.py").encode())
    # versions from package metadata: importing LibCST only to read its version costs 0.3 s
    for dist in ("libcst", "pyyaml", "bandit", "radon"):
        digest.update(f"{dist}={_dist_version(dist)};".encode())
    digest.update(str(CACHE_FORMAT).encode())
    return digest.hexdigest()[:16]


@lru_cache(maxsize=1)
def evaluator_version() -> str:
    """Changes whenever the code that turns matched files into a report changes: rule loading and
    evaluation, evidence selection, the scan's assembly and the report model. A cached report is
    only reused by the code that would compute it again (two builds may share a version number)."""
    return code_digest("rules/*.py", "engine/*.py", "model.py")


def _dist_version(dist: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "absent"


def entry_key(data: bytes, kind: str, salt: str = "") -> str:
    digest = hashlib.sha256()
    digest.update(extractor_version().encode())
    digest.update(b"\0" + kind.encode() + b"\0" + salt.encode() + b"\0")
    digest.update(data)
    return digest.hexdigest()


class FactCache:
    """A folder of entries: <dir>/<key[:2]>/<key>.json."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        entry = read_entry(self._path(key), key)
        return entry if entry is not None and _valid(entry) else None

    def put(self, key: str, kind: str, facts: list[Fact], warnings: list[str]) -> None:
        write_entry(self._path(key), {"format": CACHE_FORMAT, "key": key, "kind": kind, "facts": facts,
                                      "warnings": warnings})


def _valid(entry: dict[str, Any]) -> bool:
    return (
        isinstance(entry.get("kind"), str)
        and isinstance(entry.get("facts"), list)
        and all(isinstance(f, dict) and isinstance(f.get("t"), str) and isinstance(f.get("line"), int)
                for f in entry["facts"])
        and isinstance(entry.get("warnings"), list)
        and all(isinstance(w, str) for w in entry["warnings"])
    )


class ResultCache:
    """Per-file match results (see :mod:`auditor.engine.plan`), keyed by the file's content key, path,
    role and the checklist's leaves: <dir>/results/<key[:2]>/<key>.json. Read back only when
    the key and every part's shape check out; anything else is ignored and rebuilt."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory / "results"

    @staticmethod
    def key(fact_key: str, path: str, role: str, plan_digest: str) -> str:
        return hashlib.sha256(f"{fact_key}\0{path}\0{role}\0{plan_digest}".encode()).hexdigest()

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def has(self, key: str) -> bool:
        """Whether an entry exists (it may still turn out unreadable: :meth:`get` decides)."""
        return self._path(key).is_file()

    def get(self, key: str, path: str, role: str, leaves: int) -> FileResult | None:
        entry = read_entry(self._path(key), key)
        return FileResult.from_json(path, role, entry.get("result"), leaves) if entry is not None else None

    def put(self, key: str, result: FileResult) -> None:
        write_entry(self._path(key), {"format": CACHE_FORMAT, "key": key, "result": result.to_json()})


class ReportCache:
    """Whole reports, keyed by everything they depend on (see :func:`auditor.engine.scan.report_key`): a scan of
    an unchanged tree with unchanged rules reads one file instead of evaluating again.
    Entries are validated as a Report when read; anything else is ignored and rebuilt."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory / "reports"

    def _path(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    def get(self, key: str) -> Report | None:
        from pydantic import ValidationError

        from auditor.model import Report

        entry = read_entry(self._path(key), key)
        if entry is None:
            return None
        try:
            return Report.model_validate(entry.get("report"))
        except ValidationError:
            return None

    def put(self, key: str, report: Report) -> None:
        write_entry(self._path(key), {"format": CACHE_FORMAT, "key": key, "report": report.model_dump(mode="json")})
