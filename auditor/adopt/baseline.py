"""The ratchet: a small, reviewable file of every item's verdict, and the comparison of a report against it.

Order: implemented > partial > missing. An item that did not apply (not_applicable) and
now applies but is not implemented is a regression (new code brought a gap); an item that no
longer applies is neither. Item-level, so moving code between files changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from auditor.errors import ConfigError
from auditor.model import Report, Status
from auditor.safewrite import UnsafeWrite, write_text_atomic
from auditor.validation import validation_error
from auditor.yamlmarks import load_yaml_with_marks

DEFAULT_BASELINE = ".auditor-baseline.yaml"
RANK: dict[str, int] = {"missing": 0, "partial": 1, "implemented": 2}
HEADER = (
    "# checklist-auditor baseline: the verdict of every item when it was last tightened.\n"
    "# `auditor scan --baseline FILE` fails only when an item gets worse than recorded here.\n"
    "# Tighten it after improvements with `auditor baseline --update`; review changes like code.\n"
)


class Baseline(BaseModel):
    """Item id -> status, with the checklist it was taken from."""

    model_config = ConfigDict(extra="forbid")

    checklist: str = ""
    version: int = 1
    item_count: int = 0
    items: dict[str, Status] = Field(default_factory=dict)


@dataclass(frozen=True)
class Change:
    item: str
    before: str
    after: str


@dataclass
class Comparison:
    """How a report differs from a baseline."""

    regressions: list[Change] = field(default_factory=list)
    improvements: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def is_regression(before: str, after: str) -> bool:
    if after == "not_applicable":
        return False
    if before == "not_applicable":
        return after != "implemented"
    return RANK[after] < RANK[before]


def is_improvement(before: str, after: str) -> bool:
    if after == "not_applicable":
        return False
    if before == "not_applicable":
        return after == "implemented"
    return RANK[after] > RANK[before]


def from_report(report: Report, version: int = 1) -> Baseline:
    """The baseline of a report: every item's real verdict (waivers do not change it)."""
    return Baseline(checklist=report.checklist.name, version=version, item_count=len(report.items),
                    items={i.id: i.status for i in report.items})


def tighten(old: Baseline, report: Report, version: int = 1) -> tuple[Baseline, list[Change]]:
    """Record improvements only (never loosen): each item keeps the better of old and current.

    Items new to the checklist are added with their current verdict; items gone are dropped;
    an item that no longer applies is recorded as not_applicable.
    """
    new = from_report(report, version)
    changes: list[Change] = []
    for item_id, after in new.items.items():
        before = old.items.get(item_id)
        if before is None:
            changes.append(Change(item_id, "(new)", after))
            continue
        if is_regression(before, after):
            new.items[item_id] = before  # keep the recorded level: a regression is not accepted here
            continue
        if before != after:
            changes.append(Change(item_id, before, after))
    changes.extend(Change(item_id, before, "(removed)") for item_id, before in old.items.items()
                   if item_id not in new.items)
    return new, changes


def compare(baseline: Baseline, report: Report) -> Comparison:
    """Regressions and improvements of a report against a baseline, in report order."""
    out = Comparison()
    missing_from_baseline = []
    for item in report.items:
        before = baseline.items.get(item.id)
        if before is None:
            missing_from_baseline.append(item.id)
            continue
        if item.waiver is not None:
            continue
        if is_regression(before, item.status):
            out.regressions.append(Change(item.id, before, item.status))
        elif is_improvement(before, item.status):
            out.improvements.append(Change(item.id, before, item.status))
    if missing_from_baseline:
        shown = ", ".join(missing_from_baseline[:5]) + (" ..." if len(missing_from_baseline) > 5 else "")
        out.notes.append(f"baseline: {len(missing_from_baseline)} item(s) not in the baseline, not compared: {shown}")
    if baseline.checklist and report.checklist.name and baseline.checklist != report.checklist.name:
        out.notes.append(f"baseline: taken from checklist {baseline.checklist!r}, "
                         f"this scan uses {report.checklist.name!r}")
    return out


def dump_baseline(baseline: Baseline) -> str:
    """The file text: a header comment, then checklist, version, item_count and items in checklist order."""
    data: dict[str, Any] = {
        "checklist": baseline.checklist,
        "version": baseline.version,
        "item_count": baseline.item_count,
        "items": dict(baseline.items),
    }
    return HEADER + yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True, width=200)


def write_baseline(path: Path, baseline: Baseline, root: Path | None = None) -> None:
    """Write the baseline file atomically, never through a symlink; ``root``: the path came from
    the scanned repository's config (or is its default), so it must stay inside that folder."""
    try:
        write_text_atomic(path, dump_baseline(baseline), root=root)
    except UnsafeWrite as exc:
        raise ConfigError(str(exc)) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write baseline: {exc.strerror or exc}") from None


def load_baseline(path: Path) -> Baseline:
    """Read a baseline file; ConfigError (file:line:col) when it is missing or malformed."""
    if not path.is_file():
        raise ConfigError(f"{path}: baseline file not found (create it with `auditor baseline`)")
    data, marks = load_yaml_with_marks(path, str(path))
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a baseline must be a mapping with 'items'")
    try:
        return Baseline.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, Baseline, str(path), marks) from None
