"""The JSON report (see the report contract): deterministic, no timestamps or absolute paths.

Strings keep their exact value; the few invisible characters ``json`` would write raw (bidi
controls, C1 controls) are written as ``\\uXXXX`` escapes."""

from __future__ import annotations

import json

from auditor.model import Report
from auditor.render.common import JSON_INVISIBLE


def render_json(report: Report) -> str:
    text = json.dumps(report.model_dump(mode="json", exclude_none=True), indent=2, ensure_ascii=False)
    return text.translate(JSON_INVISIBLE) + "\n"
