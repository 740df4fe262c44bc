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
    """What was scanned: never the scan's own time or a path of the machine that ran it."""

    root: str
    files_scanned: int
    name: str | None = None
    commit: str | None = Field(default=None, description="HEAD of the git checkout holding the root")
    commit_date: str | None = Field(default=None, description="that commit's own date (ISO 8601)")


class ChecklistInfo(BaseModel):
    path: str = Field(description="the bundled checklist's name or a path relative to the scanned root")
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


class GateWaiver(BaseModel):
    """A waiver the gate read: in force, or expired (an expired one fails the gate)."""

    item: str
    reason: str
    expires: str
    owner: str | None = None
    expired: bool = False


class GateChange(BaseModel):
    """One item's verdict against the baseline."""

    item: str
    before: str
    after: str


class GateBaseline(BaseModel):
    """The baseline the gate compared against, and what changed since it."""

    path: str
    regressions: list[GateChange] = Field(default_factory=list)
    improvements: list[GateChange] = Field(default_factory=list)


class Gate(BaseModel):
    """The gate's verdict as every report shows it (present whenever a gate was evaluated)."""

    passed: bool
    soft_fail: bool = False
    reasons: list[str] = Field(default_factory=list, description="why it failed, one per line")
    items: list[str] = Field(default_factory=list,
                             description="items the gate failed on (fail-on, require, regressions), checklist order")
    notes: list[str] = Field(default_factory=list)
    waivers: list[GateWaiver] = Field(default_factory=list)
    baseline: GateBaseline | None = None
    changed_by_repository_config: list[str] = Field(
        default_factory=list, description="what the scanned repository's own config changed in the policy")
    ignored_repository_config: list[str] = Field(
        default_factory=list, description="what a pinned policy refused from the repository's config")
    policy: str = Field(default="repository", description="'repository' (its config counts) or 'pinned by "
                                                          "--policy FILE' / 'pinned by --ignore-repo-policy'")
    config: str | None = Field(default=None, description="the repository's config file, relative to the root")


class Report(BaseModel):
    """The JSON report contract (schema_version 1) plus warnings, stats, code health and the gate."""

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
    gate: Gate | None = None

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
