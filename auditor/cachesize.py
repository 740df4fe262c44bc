"""The cache's size bound: count and size its entries, and evict the least recently used ones
(by modification time, which :func:`auditor.store.read_entry` refreshes on every hit) until
the folder fits a limit."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from auditor.errors import AuditorError

DEFAULT_LIMIT_BYTES = 500 * 1000 * 1000
LIMIT_ENV = "CHECKLIST_AUDITOR_CACHE_LIMIT"
_SIZE = re.compile(r"(?i)^\s*(\d+(?:\.\d+)?)\s*([kmg]?)b?\s*$")
_UNITS = {"": 1, "k": 1000, "m": 1000**2, "g": 1000**3}


@dataclass(frozen=True)
class Usage:
    """What a cache folder holds: its entries and their total size in bytes."""

    entries: int
    size: int


def parse_size(text: str, source: str) -> int:
    """``500M``, ``2G``, ``800k`` or a byte count; AuditorError names ``source`` otherwise."""
    m = _SIZE.match(text)
    if m is None:
        raise AuditorError(f"{source}: {text!r} is not a size (e.g. 500M, 2G, 800k)")
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


def configured_limit() -> int:
    """The limit from the environment, or the default."""
    value = os.environ.get(LIMIT_ENV)
    return DEFAULT_LIMIT_BYTES if not value else parse_size(value, LIMIT_ENV)


def _entries(directory: Path) -> list[tuple[float, int, str]]:
    found = []
    for folder, _dirs, names in os.walk(directory):
        for name in names:
            if not name.endswith(".json"):
                continue
            path = os.path.join(folder, name)
            try:
                st = os.stat(path)
            except OSError:
                continue
            found.append((st.st_mtime, st.st_size, path))
    return found


def usage(directory: Path) -> Usage:
    entries = _entries(directory)
    return Usage(len(entries), sum(size for _, size, _ in entries))


def prune(directory: Path, limit: int) -> Usage:
    """Remove the least recently used entries until the folder holds at most ``limit`` bytes;
    returns what was removed."""
    entries = sorted(_entries(directory))
    total = sum(size for _, size, _ in entries)
    removed = freed = 0
    for _, size, path in entries:
        if total <= limit:
            break
        try:
            os.unlink(path)
        except OSError:
            continue
        total -= size
        removed += 1
        freed += size
    return Usage(removed, freed)


def human(size: int) -> str:
    for unit, factor in (("GB", 1000**3), ("MB", 1000**2), ("kB", 1000)):
        if size >= factor:
            return f"{size / factor:.1f} {unit}"
    return f"{size} B"
