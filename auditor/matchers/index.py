"""The fact index: every file's facts, queryable by fact type, role and kind."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple, TypeVar

from auditor.facts import Fact, FileFacts

T = TypeVar("T")


class Hit(NamedTuple):
    """One place where a matcher matched: file, 1-based line, the matched value, scope, and
    which leaf condition of the rule matched (set by the evaluator, used to pick evidence).
    A named tuple: scans build hundreds of thousands, and it builds in a third of the time
    of a frozen dataclass."""

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
                if fact.get("dev"):
                    continue  # code that runs in debug mode only is not the service as deployed
                self._by_type[fact["t"]].append((file, fact))
        self._filtered: dict[tuple[str, frozenset[str] | None, frozenset[str] | None],
                             list[tuple[FileFacts, Fact]]] = {}
        self._groups: dict[tuple[str, frozenset[str] | None, frozenset[str] | None, str],
                           dict[Any, list[int]]] = {}
        self._derived: dict[tuple[Any, ...], Any] = {}

    def facts(self, t: str, roles: frozenset[str] | None = None,
              kinds: frozenset[str] | None = None) -> list[tuple[FileFacts, Fact]]:
        """Facts of one type in files of these roles and kinds, in path then source order.

        Lists are built once per (type, roles, kinds) and shared: callers must not change them.
        """
        key = (t, roles, kinds)
        found = self._filtered.get(key)
        if found is None:
            every = self._by_type.get(t, [])
            found = [entry for entry in every  # the same tuples: a filtered list costs 8 bytes a fact
                     if (roles is None or entry[0].role in roles) and (kinds is None or entry[0].kind in kinds)]
            if len(found) == len(every):
                found = every
            self._filtered[key] = found
        return found

    def facts_where(self, t: str, field: str, accept: Callable[[Any], bool],
                    roles: frozenset[str] | None = None,
                    kinds: frozenset[str] | None = None) -> list[tuple[FileFacts, Fact]]:
        """Like :meth:`facts`, keeping facts whose (hashable) ``field`` value ``accept`` takes.

        ``accept`` runs once per distinct value, not once per fact: the same names and
        strings recur across a repository, and matchers test many globs or regexes on each.
        An ``accept`` with a ``select(values)`` attribute (the set of values it accepts) is
        asked once for all of them; it must agree with ``accept`` on every value.
        """
        entries = self.facts(t, roles, kinds)
        gkey = (t, roles, kinds, field)
        groups = self._groups.get(gkey)
        if groups is None:
            groups = defaultdict(list)
            for i, (_, fact) in enumerate(entries):
                value = fact.get(field)
                if isinstance(value, (list, dict, set)):
                    continue  # malformed fact (fields used here hold scalars): never accepted
                groups[value].append(i)
            self._groups[gkey] = groups
        chosen: list[int] = []
        select = getattr(accept, "select", None)  # accepts values in bulk (see matchers._GlobSet)
        if select is not None:
            for value in select(groups.keys()):
                chosen.extend(groups[value])
        else:
            for value, positions in groups.items():
                if accept(value):
                    chosen.extend(positions)
        if len(chosen) == len(entries):
            return entries
        chosen.sort()
        return [entries[i] for i in chosen]

    def derived(self, key: tuple[Any, ...], build: Callable[[], T]) -> T:
        """A value computed once per index from its facts (matchers share lookups this way)."""
        if key not in self._derived:
            self._derived[key] = build()
        return self._derived[key]

    def iter_files(self, roles: frozenset[str] | None = None,
                   kinds: frozenset[str] | None = None) -> Iterator[FileFacts]:
        for file in self.files:
            if roles is not None and file.role not in roles:
                continue
            if kinds is not None and file.kind not in kinds:
                continue
            yield file
