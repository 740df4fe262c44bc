"""A store of content-addressed entries: JSON files written atomically, read back only when
their format and key check out. Knows no domain type; each cache built on it lives with its owner
(facts, results and reports in :mod:`auditor.engine.caches`, parsed rules in :mod:`auditor.rules.cache`).

Entries are written atomically (temp file + rename), so two scans can share a folder. A corrupt,
truncated or foreign entry is ignored and rebuilt, never trusted.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from auditor.safewrite import read_regular, write_atomic

CACHE_FORMAT = 3
"""Bumped whenever what an entry holds changes shape (2: call facts carry their keywords' lines;
3: generators carry their yield's line and whether code runs after it),
so entries of an older format are ignored and rebuilt."""


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "checklist-auditor"


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
        entry = json.loads(read_regular(path))  # a FIFO or device planted in the cache is never waited on
    except (OSError, ValueError, RecursionError):  # RecursionError: JSON nested too deeply
        return None
    if not isinstance(entry, dict) or entry.get("format") != CACHE_FORMAT or entry.get("key") != key:
        return None
    try:
        os.utime(path)  # a hit is a use: pruning evicts the least recently used entries first
    except OSError:
        pass
    return entry
