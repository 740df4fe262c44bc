"""The shipped fixtures: the reference service implements every item, the minimal one almost none."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.engine.scan import ScanOptions, scan

pytestmark = pytest.mark.slow  # processes, whole-tree scans or generated cases

ROOT = Path(__file__).resolve().parent.parent


def test_reference_service_implements_all_91_items(checklist) -> None:
    report = scan(ROOT / "fixtures" / "reference-service", checklist, ScanOptions(jobs=1))
    not_implemented = {i.id: (i.status, i.reason) for i in report.items if i.status != "implemented"}
    assert not_implemented == {}
    assert report.summary.implemented == 91
    for item in report.items:
        assert item.evidence, item.id
        first = item.evidence[0]
        assert (ROOT / "fixtures" / "reference-service" / first.path).is_file(), (item.id, first.path)
        assert first.detail, (item.id, first.path, first.line)


def test_minimal_service_implements_at_most_five(checklist) -> None:
    report = scan(ROOT / "fixtures" / "minimal-service", checklist, ScanOptions(jobs=1))
    assert report.summary.implemented <= 5, [i.id for i in report.items if i.status == "implemented"]
