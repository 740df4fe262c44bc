"""The rule language's types: checklists, items, rule specs, examples and parsed conditions.

Imports nothing else of the auditor's (matcher options are typed by name only), so every layer
can name these types.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

if TYPE_CHECKING:
    from auditor.matchers import Params

COMBINATORS = ("any", "all", "not", "ref")
MAX_CONDITION_DEPTH = 200
"""Nodes on the longest path through a condition, refs followed: evaluation recurses that deep."""
MAX_CONDITION_NODES = 200_000
"""Condition nodes over all loaded rule files (each named condition counted once)."""


@dataclass
class Condition:
    """A parsed condition node."""

    op: str
    children: list[Condition] = field(default_factory=list)
    params: Params | None = None
    ref: str | None = None
    within: str = "repo"


class Outcome(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str
    when: Any = None


class Example(BaseModel):
    """A mini project that shows the rule at work; run as a test."""

    model_config = ConfigDict(extra="forbid")
    name: str
    expect: Literal["implemented", "partial", "missing", "not_applicable"]
    evidence: str | None = Field(default=None, description="path:line expected among the evidence")
    first_evidence: str | None = Field(default=None, description="path:line expected as the first evidence shown")
    files: dict[str, str]


class RuleSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    summary: str
    motivation: str = ""
    text_search: str | None = Field(default=None, description="why a text matcher is used, when one is")
    implemented: Outcome
    partial: Outcome | None = None
    missing: Outcome
    applies_when: Outcome | None = None
    evidence_centre: list[str] = Field(
        default_factory=list,
        description="named conditions: where a condition's evidence sits in several files alike, the file "
                    "with the most lines holding the first of these is cited first, then the second decides "
                    "(the API module with the most routes: the service's main resource)")
    evidence_uses: list[str] = Field(
        default_factory=list,
        description="named conditions that use what the rule's evidence defines: a hit whose name (the last "
                    "part of its key) these conditions name in more files is cited first, in its file and "
                    "across files (the exception class the code raises and catches most, not one barely used)")
    examples: list[Example] = Field(default_factory=list)


class RuleFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    conditions: dict[str, Any] = Field(default_factory=dict)
    rules: dict[str, RuleSpec] = Field(default_factory=dict)


@dataclass
class Rule:
    """A loaded rule: its spec, its parsed conditions and where it came from."""

    id: str
    spec: RuleSpec
    source: str
    implemented: Condition
    partial: Condition | None
    applies_when: Condition | None


ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _one_line_name(value: str) -> str:
    """Names (titles, the checklist's name) end up in files, terminals and shell-read YAML:
    no control or bidi-override characters."""
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


class ItemSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=ID_PATTERN)
    title: str
    description: str
    severity: Literal["low", "medium", "high", "critical"] = "medium"
    remediation: str
    rule: str

    _title = field_validator("title")(_one_line_name)


class SectionSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=ID_PATTERN)
    title: str
    items: list[ItemSpec]

    _title = field_validator("title")(_one_line_name)


class LevelRequirement(BaseModel):
    """Items a level needs: the listed ``items``, plus those of ``sections`` (every section when only
    ``severity`` is given) at ``severity`` or above; each at least ``status`` (or not applicable)."""

    model_config = ConfigDict(extra="forbid")
    items: list[str] = Field(default_factory=list)
    sections: list[str] = Field(default_factory=list)
    severity: Literal["low", "medium", "high", "critical"] | None = None
    status: Literal["implemented", "partial"] = "implemented"


class LevelSpec(BaseModel):
    """A named level (bronze, silver, ...); a level is reached when it and every level before it are met."""

    model_config = ConfigDict(extra="forbid")
    id: str
    title: str = ""
    require: list[LevelRequirement] = Field(min_length=1)


class ChecklistSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = 1
    name: str = "Best Practices Implementation Status"
    sections: list[SectionSpec]
    levels: list[LevelSpec] = Field(default_factory=list)

    _name = field_validator("name")(_one_line_name)

    def items(self) -> list[tuple[SectionSpec, ItemSpec]]:
        return [(s, i) for s in self.sections for i in s.items]


@dataclass
class Checklist:
    """A checklist with its rules, ready to evaluate."""

    spec: ChecklistSpec
    path: str
    rules: dict[str, Rule]
    conditions: dict[str, Condition]

    def items(self) -> list[tuple[SectionSpec, ItemSpec]]:
        return self.spec.items()

    def item_ids(self) -> list[str]:
        return [i.id for _, i in self.items()]
