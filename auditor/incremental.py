"""Incremental evaluation: reuse the previous scan's matcher hits for the files that did not change.

Every matcher is file-local: the hits it finds in a file depend only on that file's facts.
So the raw hits of each leaf condition, kept per file from the previous scan of the same
tree (with the same checklist, rules and limits), stay valid for every file whose content
key is unchanged; only changed and new files are matched again. The result is the same
report a full evaluation gives (tested), at a fraction of the cost when one file changed.

The store is one JSON file per (tree, checklist, limits) in the cache folder; a damaged or
foreign store is ignored and the scan evaluates everything.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from auditor.facts import FileFacts
from auditor.index import FactIndex, Hit
from auditor.matchers import MATCHERS, Params

STORE_FORMAT = 1


class LeafStore:
    """Raw hits per leaf (by its matcher and parameters) and per file, from one scan."""

    def __init__(self, path: Path, file_keys: dict[str, str], files: list[FileFacts]) -> None:
        self.path = path
        self.file_keys = file_keys
        self.files = files
        self.index_all: FactIndex | None = None
        old = self._load()
        old_keys: dict[str, str] = old.get("file_keys", {}) if old else {}
        self.old_leaves: dict[str, dict[str, list[list[Any]]]] = old.get("leaves", {}) if old else {}
        self.unchanged = {p for p, k in file_keys.items() if old_keys.get(p) == k}
        changed = [f for f in files if f.path not in self.unchanged]
        self.changed_index = FactIndex(changed)
        self.new_leaves: dict[str, dict[str, list[list[Any]]]] = {}

    def _load(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.path.read_bytes())
        except (OSError, ValueError):
            return None
        if not (isinstance(data, dict) and data.get("format") == STORE_FORMAT
                and isinstance(data.get("file_keys"), dict) and isinstance(data.get("leaves"), dict)):
            return None
        return data

    def hits(self, op: str, params: Params) -> list[Hit]:
        """The leaf's raw hits over the whole tree: kept ones for unchanged files, fresh ones
        for the rest."""
        fingerprint = f"{op}:{params.model_dump_json()}"
        if fingerprint in self.new_leaves:
            return _expand(self.new_leaves[fingerprint])
        previous = self.old_leaves.get(fingerprint)
        if isinstance(previous, dict):
            kept = {path: rows for path, rows in previous.items() if path in self.unchanged}
            fresh = MATCHERS[op][1](params, self.changed_index)
        else:
            if self.index_all is None:
                self.index_all = FactIndex(self.files)
            kept = {}
            fresh = MATCHERS[op][1](params, self.index_all)
        by_file = dict(kept)
        for h in fresh:
            by_file.setdefault(h.path, []).append([h.line, h.key, h.scope])
        self.new_leaves[fingerprint] = by_file
        return _expand(by_file)

    def save(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".tmp-", suffix=".json")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                store = {"format": STORE_FORMAT, "file_keys": self.file_keys, "leaves": self.new_leaves}
                handle.write(json.dumps(store, separators=(",", ":")))
            os.replace(tmp, self.path)
        except OSError:
            return


def _expand(by_file: dict[str, list[list[Any]]]) -> list[Hit]:
    out = []
    for path, rows in by_file.items():
        for row in rows:
            if isinstance(row, list) and len(row) == 3:
                out.append(Hit(path, int(row[0]), str(row[1]), str(row[2])))
    return out


def store_path(cache_dir: Path, root: Path, fingerprint: str) -> Path:
    """One store per scanned tree and checklist/limits fingerprint."""
    key = hashlib.sha256(f"{root.resolve()}\0{fingerprint}".encode()).hexdigest()
    return cache_dir / "leaves" / f"{key}.json"
