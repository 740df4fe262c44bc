"""Facts: small, plain, serialisable records of what a file contains, extracted once per file.

Extractors know nothing about the checklist. A fact is a dict with a type ``t`` and a
1-based ``line``; the other keys depend on the type, as :mod:`auditor.facts.schema` declares them.
Facts depend only on a file's bytes, its path and kind, so they can be cached by content
hash and extracted in parallel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Fact = dict[str, Any]


@dataclass
class FileFacts:
    """Everything extracted from one file."""

    path: str
    kind: str
    role: str
    facts: list[Fact] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    text: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": self.kind,
            "role": self.role,
            "facts": self.facts,
            "warnings": self.warnings,
            "text": self.text,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FileFacts:
        return cls(
            path=data["path"],
            kind=data["kind"],
            role=data["role"],
            facts=list(data["facts"]),
            warnings=list(data["warnings"]),
            text=data.get("text"),
        )
