"""Add JSON reports made elsewhere (a service's own CI runs ``auditor scan --format json``) to the store."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from auditor import __version__
from auditor.errors import AuditorError
from auditor.fleet.store import ServiceMeta, Store
from auditor.fleet.task import OK, Result, now_iso


@dataclass
class IngestOptions:
    """What the command line says about the reports: their service, team and commit when not in the report."""

    service: str | None = None
    team: str | None = None
    commit: str | None = None


def read_report(path: Path) -> tuple[str, dict[str, object]]:
    """The report's text and parsed JSON; AuditorError (one line) when it is not a report."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AuditorError(f"{path}: cannot read: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AuditorError(f"{path}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}") from None
    if not isinstance(data, dict) or not isinstance(data.get("items"), list) or "summary" not in data:
        raise AuditorError(f"{path}: not an auditor JSON report (no 'summary' and 'items')")
    if data.get("schema_version") != 1:
        raise AuditorError(f"{path}: report schema_version {data.get('schema_version')!r} is not 1")
    return text, data


def ingest(store: Store, paths: list[Path], options: IngestOptions) -> tuple[int, list[str]]:
    """Read every report first (so one bad file adds nothing), then store them as one ingest run."""
    loaded = []
    for path in paths:
        text, data = read_report(path)
        project = data.get("project") if isinstance(data.get("project"), dict) else {}
        assert isinstance(project, dict)
        name = options.service or project.get("name") or path.stem
        if options.service and len(paths) > 1:
            raise AuditorError("--service names one service: give one report with it")
        loaded.append((str(name), text, options.commit or project.get("commit"), project.get("commit_date")))
    run_id = store.begin_run("ingest", ", ".join(str(p) for p in paths)[:500], len(loaded), __version__)
    names = []
    for name, text, commit, commit_date in loaded:
        result = Result(service=name, status=OK, commit=commit, commit_date=commit_date, report_json=text,
                        started_at=now_iso())
        store.record(run_id, ServiceMeta(name=name, team=options.team), result, None, origin="ingest")
        names.append(name)
    store.finish_run(run_id)
    return run_id, names
