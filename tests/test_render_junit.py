"""The JUnit view parses (junitparser, ElementTree): a suite per section, a case per item."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from junitparser import Failure, JUnitXml, Skipped
from render_sample import sample_report

from auditor.model import Evidence
from auditor.render.junit import render_junit


def test_structure() -> None:
    report = sample_report()
    text = render_junit(report)
    assert text == render_junit(sample_report())
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [title for title, _ in report.sections()]
    for suite, (_, items) in zip(suites, report.sections(), strict=True):
        cases = suite.findall("testcase")
        assert len(cases) == len(items) == int(suite.get("tests", "-1"))
        assert int(suite.get("failures", "-1")) == len(suite.findall("testcase/failure"))
        assert int(suite.get("skipped", "-1")) == len(suite.findall("testcase/skipped"))
    assert int(root.get("tests", "0")) == len(report.items)


def test_outcomes_with_junitparser() -> None:
    report = sample_report()
    xml = JUnitXml.fromstring(render_junit(report))
    by_name = {}
    for suite in xml:
        for case in suite:
            by_name[case.name.split(":")[0]] = case
    assert len(by_name) == len(report.items)
    for item in report.items:
        case = by_name[item.id]
        kinds = {type(r) for r in case.result}
        if item.waiver is not None or item.status == "not_applicable":
            assert kinds == {Skipped}, item.id
        elif item.status in ("missing", "partial"):
            assert kinds == {Failure}, item.id
            failure = case.result[0]
            assert failure.type == item.status
            assert item.reason in (failure.message or "")
        else:
            assert case.is_passed, item.id
    assert xml.failures == sum(1 for i in report.items if i.status in ("missing", "partial") and not i.waiver)


def test_control_characters_and_markup_survive() -> None:
    report = sample_report()
    report.items[2].status = "partial"
    report.items[2].evidence = [Evidence(path="a\x00b<&>.py", line=1, detail="\x1b[31m</failure>]]>")]
    text = render_junit(report)
    root = ET.fromstring(text.encode("utf-8"))
    failure = root.find(".//testcase/failure")
    assert failure is not None and "</failure>]]>" in (failure.text or "")
