"""The one result model: a Report of item verdicts with evidence; every output format is a view of it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Status = Literal["implemented", "partial", "missing", "not_applicable"]
STATUSES: tuple[Status, ...] = ("implemented", "partial", "missing", "not_applicable")
SCHEMA_VERSION = 1


class Evidence(BaseModel):
    """A location a reviewer can open: path relative to the scanned root, 1-based line."""

    path: str
    line: int
    detail: str = ""


class Waiver(BaseModel):
    """An accepted exception for one item, with a reason and an expiry date."""

    reason: str
    expires: str
    owner: str | None = None


class ItemResult(BaseModel):
    """The verdict for one checklist item."""

    id: str
    section: str
    title: str
    status: Status
    evidence: list[Evidence] = Field(default_factory=list)
    reason: str = ""
    severity: str = "medium"
    rule: str = ""
    remediation: str = ""
    waiver: Waiver | None = None


class Summary(BaseModel):
    """Counts per status and the score: implemented / (items - not_applicable)."""

    implemented: int = 0
    partial: int = 0
    missing: int = 0
    not_applicable: int = 0
    score: float = 0.0


class ScanWarning(BaseModel):
    """A file the scan could not read fully, and why."""

    path: str
    message: str


class ToolInfo(BaseModel):
    name: str
    version: str


class ProjectInfo(BaseModel):
    root: str
    files_scanned: int


class ChecklistInfo(BaseModel):
    path: str
    items: int
    name: str = ""


class FunctionHealth(BaseModel):
    """One function's cyclomatic complexity (radon) and its rank, A (simple) to F."""

    path: str
    line: int
    name: str
    cc: int
    rank: str


class FileHealth(BaseModel):
    """One file's maintainability index (radon, 0-100) and its rank, A (good) to C."""

    path: str
    mi: float
    rank: str


class CodeHealth(BaseModel):
    """Radon's view of the runtime code: not part of the checklist score."""

    functions: list[FunctionHealth] = Field(default_factory=list, description="the most complex functions, worst first")
    files: list[FileHealth] = Field(default_factory=list, description="per-file maintainability, worst first")
    functions_total: int = 0
    average_cc: float = 0.0


class LevelInfo(BaseModel):
    """The highest level of the checklist the service reaches, and what stands before the next one."""

    name: str | None = Field(default=None, description="the highest level reached (absent: none)")
    next: str | None = Field(default=None, description="the next level (absent: the top one is reached)")
    unmet: list[str] = Field(default_factory=list, description="item ids the next level still needs")
    levels: list[str] = Field(default_factory=list, description="every level of the checklist, lowest first")


class Report(BaseModel):
    """The JSON report contract (schema_version 1) plus warnings and stats."""

    schema_version: int = SCHEMA_VERSION
    tool: ToolInfo
    project: ProjectInfo
    checklist: ChecklistInfo
    summary: Summary
    items: list[ItemResult]
    warnings: list[ScanWarning] = Field(default_factory=list)
    stats: dict[str, int] = Field(default_factory=dict)
    code_health: CodeHealth | None = None
    level: LevelInfo | None = None

    def sections(self) -> list[tuple[str, list[ItemResult]]]:
        """Items grouped by section, in checklist order."""
        order: dict[str, list[ItemResult]] = {}
        for item in self.items:
            order.setdefault(item.section, []).append(item)
        return list(order.items())


def summarise(items: list[ItemResult]) -> Summary:
    """Count statuses and compute the score."""
    counts = {status: 0 for status in STATUSES}
    for item in items:
        counts[item.status] += 1
    applicable = len(items) - counts["not_applicable"]
    score = round(counts["implemented"] / applicable, 4) if applicable else 0.0
    return Summary(score=score, **counts)
