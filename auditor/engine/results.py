"""What a scan keeps of a file instead of its facts: its kind, role, warnings, the radon facts
the code-health section shows, and each leaf condition's hits (see :mod:`auditor.engine.plan`).

Loaded by worker processes and caches, so it imports neither the matchers nor pydantic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from auditor.facts import Fact, FileFacts

HEALTH_FACTS = frozenset({"radon_cc", "radon_mi"})
Row = tuple[int, str, str]
"""One hit in a file: line, matched value, scope."""


@dataclass
class FileResult:
    """One file as a scan keeps it: everything evaluation and the report need, no facts."""

    path: str
    kind: str
    role: str
    warnings: list[str] = field(default_factory=list)
    health: list[Fact] = field(default_factory=list)
    hits: dict[int, list[Row]] = field(default_factory=dict)
    """Leaf number (in the plan) -> the leaf's hits in this file, in source order."""

    def light(self) -> FileFacts:
        """The file for evaluation and code health: its radon facts only."""
        return FileFacts(path=self.path, kind=self.kind, role=self.role, facts=self.health,
                         warnings=self.warnings)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "warnings": self.warnings, "health": self.health,
                "hits": {str(leaf): [list(row) for row in rows] for leaf, rows in sorted(self.hits.items())}}

    @classmethod
    def from_json(cls, path: str, role: str, data: Any, leaves: int) -> FileResult | None:
        """A result read back from the cache; None unless every part has the expected shape."""
        if not isinstance(data, dict):
            return None
        kind, warnings, health, hits = (data.get(k) for k in ("kind", "warnings", "health", "hits"))
        if not (isinstance(kind, str) and isinstance(warnings, list) and all(isinstance(w, str) for w in warnings)
                and isinstance(health, list) and isinstance(hits, dict)):
            return None
        if not all(health_fact(f) for f in health):
            return None
        parsed: dict[int, list[Row]] = {}
        for leaf, rows in hits.items():
            if not (isinstance(leaf, str) and leaf.isdigit() and int(leaf) < leaves and type(rows) is list):
                return None
            out = [tuple(row) for row in rows if type(row) is list and len(row) == 3 and type(row[0]) is int
                   and type(row[1]) is str and type(row[2]) is str]
            if len(out) != len(rows):
                return None
            parsed[int(leaf)] = out
        return cls(path=path, kind=kind, role=role, warnings=warnings, health=health, hits=parsed)


def health_fact(fact: Any) -> bool:
    """A radon fact as :mod:`auditor.facts.radon` writes it (what the code health section reads)."""
    if not isinstance(fact, dict) or type(fact.get("line")) is not int or not isinstance(fact.get("rank"), str):
        return False
    if fact.get("t") == "radon_cc":
        return isinstance(fact.get("name"), str) and type(fact.get("cc")) is int
    return fact.get("t") == "radon_mi" and type(fact.get("mi")) in (int, float)
