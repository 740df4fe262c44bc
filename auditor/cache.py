"""Content-hash cache of extracted facts: keyed by file bytes, kind and extractor version.

Entries are JSON files written atomically (temp file + rename), so two scans can share a
cache. A corrupt, truncated or foreign entry is ignored and rebuilt, never trusted.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from auditor.leaves import FileResult
    from auditor.model import Report

from auditor.facts import Fact
from auditor.safewrite import write_atomic

CACHE_FORMAT = 1


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "checklist-auditor"


@lru_cache(maxsize=1)
def extractor_version() -> str:
    """Changes whenever extractor code or the parsing libraries change."""
    digest = hashlib.sha256()
    facts_dir = Path(__file__).resolve().parent / "facts"
    for path in sorted(facts_dir.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    # versions from package metadata: importing LibCST only to read its version costs 0.3 s
    for dist in ("libcst", "pyyaml", "bandit", "radon"):
        digest.update(f"{dist}={_dist_version(dist)};".encode())
    digest.update(str(CACHE_FORMAT).encode())
    return digest.hexdigest()[:16]


def _dist_version(dist: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "absent"


@lru_cache(maxsize=1)
def engine_version() -> str:
    """Changes whenever the matchers or the fact index change (what kept matcher hits depend on)."""
    from auditor import __version__

    digest = hashlib.sha256(__version__.encode())
    here = Path(__file__).resolve().parent
    for name in ("matchers.py", "index.py"):
        digest.update((here / name).read_bytes())
    return digest.hexdigest()[:16]


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


def write_entry(path: Path, entry: dict[str, Any]) -> None:
    """Write one cache entry as JSON, atomically (temp file + rename): a concurrent reader sees
    the old entry or the new one, never half of one."""
    try:
        write_atomic(path, json.dumps(entry, separators=(",", ":")).encode("utf-8"), make_parents=True,
                     private=True)
    except OSError:
        return  # a cache that cannot be written only costs time (and leaves no temporary file)


def read_entry(path: Path, key: str) -> dict[str, Any] | None:
    """A cache entry written by :func:`write_entry`, or None when it is missing, not JSON, of
    another cache format or filed under another key. The caller checks the rest of its shape."""
    try:
        entry = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("format") != CACHE_FORMAT or entry.get("key") != key:
        return None
    return entry


class ResultCache:
    """Per-file match results (see ``auditor.leaves``), keyed by the file's content key, path,
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
        from auditor.leaves import FileResult

        entry = read_entry(self._path(key), key)
        return FileResult.from_json(path, role, entry.get("result"), leaves) if entry is not None else None

    def put(self, key: str, result: FileResult) -> None:
        write_entry(self._path(key), {"format": CACHE_FORMAT, "key": key, "result": result.to_json()})


class ReportCache:
    """Whole reports, keyed by everything they depend on (see ``scan.report_key``): a scan of
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
