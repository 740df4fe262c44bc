"""The gate: decide pass/fail for a report from thresholds, required items, fail-on rules, waivers and a baseline.

Exit codes (``auditor.errors``): 0 passed, 1 gate failed, 2 usage or config error, 3 internal
error. Waived items keep their real status in the report but the gate leaves them out. The
reasons for a failure are printed last, on stderr, one per line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from auditor.adopt.baseline import Baseline, Comparison, compare
from auditor.config import SEVERITIES, WaiverConfig, parse_fail_on
from auditor.errors import AuditorError, did_you_mean
from auditor.levels import level_rank
from auditor.model import Gate, GateBaseline, GateChange, GateWaiver, ItemResult, Report, Waiver
from auditor.render.gateview import policy_line

if TYPE_CHECKING:
    from auditor.adopt.policy import EffectivePolicy

STATUS_BADNESS = {"implemented": 0, "partial": 1, "missing": 2}


@dataclass(frozen=True)
class GatePolicy:
    """What the gate checks; empty means "report only"."""

    fail_under: float | None = None
    fail_under_sections: dict[str, float] = field(default_factory=dict)
    require: list[str] = field(default_factory=list)
    fail_on: list[str] = field(default_factory=list)
    soft_fail: bool = False
    require_level: str | None = None

    def active(self) -> bool:
        return bool(self.fail_under is not None or self.fail_under_sections or self.require or self.fail_on
                    or self.require_level)


@dataclass
class GateResult:
    """Why the gate failed (empty: it passed), plus notes worth printing (improvements, etc.)."""

    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checked: bool = False
    comparison: Comparison | None = None
    items: set[str] = field(default_factory=set)
    """Ids of the items the gate failed on."""

    @property
    def passed(self) -> bool:
        return not self.failures


def parse_fail_under(values: tuple[str, ...] | list[str]) -> tuple[float | None, dict[str, float]]:
    """``0.8`` -> overall threshold, ``security=0.8`` -> a section threshold (UsageError-free: AuditorError)."""
    overall: float | None = None
    sections: dict[str, float] = {}
    for raw in values:
        for part in (p.strip() for p in raw.split(",") if p.strip()):
            name, sep, number = part.rpartition("=")
            try:
                threshold = float(number)
            except ValueError:
                raise AuditorError(f"--fail-under {part!r}: expected SCORE or SECTION=SCORE, "
                                   "a score between 0 and 1") from None
            if not 0.0 <= threshold <= 1.0:
                raise AuditorError(f"--fail-under {part!r}: the score must be between 0 and 1")
            if sep:
                sections[name.strip()] = threshold
            else:
                overall = threshold
    return overall, sections


def apply_waivers(report: Report, waivers: list[WaiverConfig], today: date, known_items: list[str],
                  where: str = "config") -> list[str]:
    """Mark waived items in the report (``ItemResult.waiver``); return failures for expired or unknown waivers.

    A waiver holds through its ``expires`` day. A waiver for an item that exists in the
    checklist but was not evaluated (select/ignore) is silently unused.
    """
    failures: list[str] = []
    by_id = {item.id: item for item in report.items}
    for waiver in waivers:
        if known_items and waiver.item not in known_items:
            hint = did_you_mean(waiver.item, known_items)
            failures.append(f"{where}: waiver names unknown item {waiver.item!r}{hint}")
            continue
        if waiver.expires < today:
            owner = f", owner {waiver.owner}" if waiver.owner else ""
            failures.append(f"{where}: waiver for {waiver.item} expired on {waiver.expires.isoformat()}{owner} "
                            f"(reason was: {waiver.reason}); fix the item or renew the waiver")
            continue
        item = by_id.get(waiver.item)
        if item is not None:
            item.waiver = Waiver(reason=waiver.reason, expires=waiver.expires.isoformat(), owner=waiver.owner)
    return failures


def gate_score(items: list[ItemResult]) -> float | None:
    """implemented / applicable, leaving out waived items; None when nothing applies."""
    counted = [i for i in items if i.waiver is None and i.status != "not_applicable"]
    if not counted:
        return None
    return sum(1 for i in counted if i.status == "implemented") / len(counted)


def check_gate(report: Report, policy: GatePolicy, section_of: dict[str, str],
               baseline: Baseline | None = None, waiver_failures: list[str] | None = None) -> GateResult:
    """Evaluate the policy over a report whose waivers are already applied (see ``apply_waivers``)."""
    result = GateResult(checked=policy.active() or baseline is not None or bool(waiver_failures))
    result.failures.extend(waiver_failures or [])
    live = [i for i in report.items if i.waiver is None]
    waived = len(report.items) - len(live)
    note = f" ({waived} waived item(s) left out)" if waived else ""
    if policy.fail_under is not None:
        score = gate_score(report.items)
        if score is not None and score < policy.fail_under:
            result.failures.append(f"score {score:.2f} is below the threshold {policy.fail_under:.2f}{note}")
    for section_id, threshold in sorted(policy.fail_under_sections.items()):
        items = [i for i in report.items if section_of.get(i.id) == section_id]
        score = gate_score(items)
        if score is not None and score < threshold:
            result.failures.append(f"section {section_id} score {score:.2f} is below the threshold {threshold:.2f}")
    evaluated = {i.id: i for i in report.items}
    for item_id in policy.require:
        item = evaluated.get(item_id)
        if item is None:
            result.failures.append(f"required item {item_id} was not evaluated (left out by select/ignore)")
        elif item.waiver is None and item.status != "implemented":
            result.items.add(item_id)
            result.failures.append(f"required item {item_id} is {item.status.replace('_', ' ')}, not implemented")
    for entry in policy.fail_on:
        status, min_severity = parse_fail_on(entry)
        floor = SEVERITIES.index(min_severity)
        bad = [i for i in live if i.status in STATUS_BADNESS
               and STATUS_BADNESS[i.status] >= STATUS_BADNESS[status]
               and SEVERITIES.index(i.severity) >= floor]
        if bad:
            result.items.update(i.id for i in bad)
            what = "missing" if status == "missing" else "partial or missing"
            sev = f" with severity {min_severity} or above" if min_severity != "low" else ""
            shown = ", ".join(i.id for i in bad[:10]) + (f" and {len(bad) - 10} more" if len(bad) > 10 else "")
            result.failures.append(f"fail-on {entry}: {len(bad)} item(s) {what}{sev}: {shown}")
    if policy.require_level is not None:
        result.failures.extend(_level_failures(report, policy.require_level))
    if baseline is not None:
        diff = compare(baseline, report)
        result.comparison = diff
        for change in diff.regressions:
            result.items.add(change.item)
            result.failures.append(f"regression: {change.item} was {change.before}, now {change.after}")
        for change in diff.improvements:
            result.notes.append(f"improved: {change.item} was {change.before}, now {change.after} "
                                "(run `auditor baseline --update` to tighten the baseline)")
        result.notes.extend(diff.notes)
    return result


def _level_failures(report: Report, required: str) -> list[str]:
    info = report.level
    if info is None or required not in info.levels:
        return [f"required level {required}: the checklist defines no such level"]
    if level_rank(info, info.name) >= level_rank(info, required):
        return []
    unmet = ", ".join(info.unmet[:10]) + (f" and {len(info.unmet) - 10} more" if len(info.unmet) > 10 else "")
    return [f"level {info.name or 'none'} is below the required level {required}: "
            f"{info.next} still needs {unmet}"]



def gate_summary(result: GateResult, policy: GatePolicy, effective: EffectivePolicy, waivers: list[WaiverConfig],
                 today: date, baseline_path: Path | None, root: Path, order: list[str]) -> Gate | None:
    """The gate as the reports show it; None when no gate was evaluated and no config changed the policy."""
    if not (result.checked or effective.changed or effective.ignored):
        return None
    baseline = None
    if baseline_path is not None and result.comparison is not None:
        from auditor.engine.provenance import checklist_label

        baseline = GateBaseline(
            path=checklist_label(baseline_path, root),
            regressions=[GateChange(item=c.item, before=c.before, after=c.after)
                         for c in result.comparison.regressions],
            improvements=[GateChange(item=c.item, before=c.before, after=c.after)
                          for c in result.comparison.improvements])
    return Gate(
        passed=result.passed, soft_fail=policy.soft_fail and not result.passed, reasons=list(result.failures),
        items=[i for i in order if i in result.items],
        notes=list(result.notes),
        waivers=[GateWaiver(item=w.item, reason=w.reason, expires=w.expires.isoformat(), owner=w.owner,
                            expired=w.expires < today) for w in waivers],
        baseline=baseline,
        changed_by_repository_config=list(effective.changed),
        ignored_repository_config=list(effective.ignored),
        policy=f"pinned by {effective.pinned_by}" if effective.pinned else "repository",
        config=effective.repository.source,
    )


def verdict_lines(result: GateResult, soft_fail: bool, gate: Gate | None = None) -> list[str]:
    """The last lines of output: notes, who changed the policy, then the verdict with every reason."""
    lines = [f"auditor: {n}" for n in result.notes]
    policy = policy_line(gate)
    if policy:
        lines.append(f"auditor: {policy}")
    if not result.checked:
        return lines
    if result.passed:
        lines.append("auditor: gate passed")
    else:
        head = "auditor: gate failed (soft-fail: exit 0)" if soft_fail else "auditor: gate failed"
        lines.append(f"{head}: {len(result.failures)} reason(s)")
        lines.extend(f"auditor: gate failed: {reason}" for reason in result.failures)
    return lines
