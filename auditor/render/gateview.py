"""The gate's verdict as the views show it: a headline, the reasons, waivers, baseline changes and who set the policy.

Plain data here (lists of strings and small dicts); each view escapes them its own way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from auditor.model import Gate


@dataclass(frozen=True)
class GateView:
    """The parts of a gate verdict, in reading order."""

    passed: bool
    headline: str
    reasons: list[str] = field(default_factory=list)
    policy: str | None = None
    waivers: list[str] = field(default_factory=list)
    baseline: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def policy_line(gate: Gate | None) -> str | None:
    """One sentence on who set the policy, when the repository's config changed it or was refused."""
    if gate is None:
        return None
    where = gate.config or "the repository config"
    parts = []
    if gate.changed_by_repository_config:
        verb = "tightened" if gate.policy != "repository" else "changed"
        parts.append(f"{where} {verb} the policy: {', '.join(gate.changed_by_repository_config)}")
    if gate.ignored_repository_config:
        parts.append(f"policy {gate.policy}; ignored from {where}: {', '.join(gate.ignored_repository_config)}")
    return "; ".join(parts) or None


def waiver_line(item: str, expires: str, owner: str | None, reason: str | None, expired: bool = False) -> str:
    by = f", owner {owner}" if owner else ""
    state = "expired on" if expired else "until"
    because = f": {reason}" if reason else ""
    return f"{item} {state} {expires}{by}{because}"


def gate_view(gate: Gate, reasons_of_waivers: bool = True) -> GateView:
    """A Gate split into the lines every view shows."""
    if gate.passed:
        headline = "gate passed"
    else:
        count = len(gate.reasons)
        headline = f"gate failed: {count} reason{'s' if count != 1 else ''}"
        if gate.soft_fail:
            headline += " (soft-fail: exit 0)"
    waivers = [waiver_line(w.item, w.expires, w.owner, w.reason if reasons_of_waivers else None, w.expired)
               for w in gate.waivers]
    baseline: list[str] = []
    if gate.baseline is not None:
        b = gate.baseline
        baseline.append(f"baseline {b.path}: {len(b.regressions)} regression(s), {len(b.improvements)} improvement(s)")
        baseline += [f"regression: {c.item} was {c.before}, now {c.after}" for c in b.regressions]
        baseline += [f"improved: {c.item} was {c.before}, now {c.after}" for c in b.improvements]
    notes = [n for n in gate.notes if not n.startswith("improved: ")]
    return GateView(passed=gate.passed, headline=headline, reasons=list(gate.reasons), policy=policy_line(gate),
                    waivers=waivers, baseline=baseline, notes=notes)
