"""The fact index: every file's facts, queryable by fact type, role and kind."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from auditor.facts import Fact, FileFacts


@dataclass(frozen=True)
class Hit:
    """One place where a matcher matched: file, 1-based line, the matched value, scope, and
    which leaf condition of the rule matched (set by the evaluator, used to pick evidence)."""

    path: str
    line: int
    key: str = ""
    scope: str = ""
    leaf: int = 0


class FactIndex:
    """What the repository contains, from extracted facts only."""

    def __init__(self, files: Iterable[FileFacts]) -> None:
        self.files: list[FileFacts] = sorted(files, key=lambda f: f.path)
        self.by_path: dict[str, FileFacts] = {f.path: f for f in self.files}
        self._by_type: dict[str, list[tuple[FileFacts, Fact]]] = defaultdict(list)
        for file in self.files:
            for fact in file.facts:
                self._by_type[fact["t"]].append((file, fact))

    def facts(self, t: str, roles: frozenset[str] | None = None,
              kinds: frozenset[str] | None = None) -> Iterator[tuple[FileFacts, Fact]]:
        for file, fact in self._by_type.get(t, ()):
            if roles is not None and file.role not in roles:
                continue
            if kinds is not None and file.kind not in kinds:
                continue
            yield file, fact

    def iter_files(self, roles: frozenset[str] | None = None,
                   kinds: frozenset[str] | None = None) -> Iterator[FileFacts]:
        for file in self.files:
            if roles is not None and file.role not in roles:
                continue
            if kinds is not None and file.kind not in kinds:
                continue
            yield file
