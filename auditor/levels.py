"""Levels (bronze, silver, gold, ...): which named set of requirements a report meets, as a pure function.

A level is reached when each of its requirements and those of every level before it hold. An
item counts as met when its status is at least the requirement's (implemented, or partial or
better), when it is not applicable, or when it is waived; an item the scan did not evaluate
(select/ignore) is unmet.
"""

from __future__ import annotations

from auditor.model import LevelInfo, Report
from auditor.rules.schema import ChecklistSpec, LevelSpec

SEVERITY_ORDER = ("low", "medium", "high", "critical")
MEETS = {"implemented": {"implemented"}, "partial": {"implemented", "partial"}}


def level_items(level: LevelSpec, spec: ChecklistSpec) -> list[tuple[str, str]]:
    """(item id, least status) for every item the level itself requires, in checklist order."""
    wanted: dict[str, str] = {}
    for req in level.require:
        floor = SEVERITY_ORDER.index(req.severity) if req.severity else 0
        for section, item in spec.items():
            named = item.id in req.items
            by_section = (req.sections or req.severity) and (not req.sections or section.id in req.sections) \
                and SEVERITY_ORDER.index(item.severity) >= floor
            if named or by_section:
                if wanted.get(item.id) != "implemented":
                    wanted[item.id] = req.status
    order = {item.id: n for n, (_, item) in enumerate(spec.items())}
    return sorted(wanted.items(), key=lambda kv: order.get(kv[0], len(order)))


def compute_level(report: Report, spec: ChecklistSpec) -> LevelInfo | None:
    """The report's level under the checklist's levels (None when the checklist defines none)."""
    if not spec.levels:
        return None
    by_id = {item.id: item for item in report.items}
    reached: str | None = None
    for level in spec.levels:
        unmet = []
        for item_id, least in level_items(level, spec):
            item = by_id.get(item_id)
            ok = item is not None and (item.status == "not_applicable" or item.waiver is not None
                                       or item.status in MEETS[least])
            if not ok:
                unmet.append(item_id)
        if unmet:
            return LevelInfo(name=reached, next=level.id, unmet=unmet, levels=[lv.id for lv in spec.levels])
        reached = level.id
    return LevelInfo(name=reached, levels=[lv.id for lv in spec.levels])


def level_rank(info: LevelInfo | None, name: str | None) -> int:
    """Position of a level among the checklist's (0: no level reached)."""
    if info is None or name is None or name not in info.levels:
        return 0
    return info.levels.index(name) + 1
