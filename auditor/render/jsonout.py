"""The JSON report (see the report contract): deterministic, no timestamps or absolute paths."""

from __future__ import annotations

import json

from auditor.model import Report


def render_json(report: Report) -> str:
    return json.dumps(report.model_dump(mode="json", exclude_none=True), indent=2, ensure_ascii=False) + "\n"
