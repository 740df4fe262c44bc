"""The one place the fleet calls the scan engine: a service's scan exactly as ``auditor scan PATH
--format json`` with the same flags makes it, through the same :class:`auditor.session.Session`
(the service's own config read the same way).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from auditor.fleet.fleetfile import ServiceSettings


@dataclass
class ServiceScan:
    """A finished scan: the JSON report's text, the gate's verdict and the level reached."""

    report_json: str
    gate_passed: bool
    gate_reasons: list[str] = field(default_factory=list)


def scan_service(path: Path, settings: ServiceSettings, cache_dir: Path | None) -> ServiceScan:
    """Scan one checked-out service in this process (one job: the fleet runs services side by side).

    Raises ``AuditorError`` for a bad config or checklist, with the one-line message
    ``auditor scan`` prints.
    """
    from auditor.render.jsonout import render_json
    from auditor.session import ScanRequest, Session

    gate = settings.gate
    req = ScanRequest(
        path=path, config=Path(settings.config) if settings.config else None, checklist=settings.checklist,
        rules=tuple(settings.rules), include=tuple(settings.include), exclude=tuple(settings.exclude),
        select=tuple(settings.select), ignore=tuple(settings.ignore),
        jobs=1, cache_dir=cache_dir, fail_under=tuple(gate.fail_under), require=tuple(gate.require),
        fail_on=tuple(gate.fail_on), require_level=gate.require_level,
    )
    run = Session(req).run()
    return ServiceScan(report_json=render_json(run.report), gate_passed=run.gate.passed,
                       gate_reasons=list(run.gate.failures))
