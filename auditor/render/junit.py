"""JUnit XML for CI test views: one testsuite per section, one testcase per item.

missing is a failure, partial a failure with its reason, not_applicable and waived items are
skipped. Built with ElementTree (so text is escaped); characters XML cannot carry are replaced.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from auditor.model import ItemResult, Report
from auditor.render.common import STATUS_LABEL, clean, tallies
from auditor.render.gateview import gate_view


def _gate_suite(root: ET.Element, report: Report) -> tuple[int, int]:
    """A "Gate" suite with one case: failed with every reason, or passed; policy and waivers as output."""
    assert report.gate is not None
    view = gate_view(report.gate)
    suite = ET.SubElement(root, "testsuite", {"name": "Gate", "id": "gate", "tests": "1",
                                              "failures": "0" if view.passed else "1", "errors": "0",
                                              "skipped": "0", "time": "0"})
    case = ET.SubElement(suite, "testcase", {"classname": "Gate", "name": "gate verdict", "time": "0"})
    details = [*view.baseline, *([view.policy] if view.policy else []),
               *([f"waivers ({len(view.waivers)}):"] if view.waivers else []), *(f"  {w}" for w in view.waivers),
               *view.notes]
    if not view.passed:
        failure = ET.SubElement(case, "failure", {"message": clean(view.headline), "type": "gate"})
        failure.text = clean("\n".join([*view.reasons, *details]) + "\n")
        return 1, 0
    if details:
        ET.SubElement(case, "system-out").text = clean("\n".join(details) + "\n")
    return 0, 0


def _case(suite: ET.Element, item: ItemResult) -> tuple[int, int]:
    attrs = {"classname": clean(item.section), "name": clean(f"{item.id}: {item.title}"), "time": "0"}
    case = ET.SubElement(suite, "testcase", attrs)
    where = "\n".join(f"{ev.path}:{ev.line}  {ev.detail.strip()}".rstrip() for ev in item.evidence[:10])
    if item.waiver is not None:
        owner = f" by {item.waiver.owner}" if item.waiver.owner else ""
        ET.SubElement(case, "skipped", {"message": clean(
            f"waived{owner} until {item.waiver.expires}: {item.waiver.reason} (status {STATUS_LABEL[item.status]})")})
        return 0, 1
    if item.status == "not_applicable":
        ET.SubElement(case, "skipped", {"message": clean(f"not applicable: {item.reason}")})
        return 0, 1
    if item.status in ("missing", "partial"):
        body = [item.reason, ""]
        if where:
            body += ["Evidence:", where, ""]
        if item.remediation.strip():
            body += ["How to fix:", item.remediation.strip()]
        failure = ET.SubElement(case, "failure", {"message": clean(f"{STATUS_LABEL[item.status]}: {item.reason}"),
                                                  "type": item.status})
        failure.text = clean("\n".join(body).strip() + "\n")
        return 1, 0
    if where:
        ET.SubElement(case, "system-out").text = clean(where + "\n")
    return 0, 0


def _clean_tree(root: ET.Element) -> None:
    """Every attribute and text of the document through ``clean``: no character XML 1.0 cannot
    carry (a control character in a repository's section title made the document invalid)."""
    for element in root.iter():
        element.attrib.update({key: clean(value) for key, value in element.attrib.items()})
        if element.text is not None:
            element.text = clean(element.text)


def render_junit(report: Report) -> str:
    """The report as a JUnit XML document (``<testsuites>`` root)."""
    root = ET.Element("testsuites", {"name": clean(report.checklist.name or "checklist-auditor")})
    total = failures = skipped = 0
    by_title = dict(report.sections())
    for tally in tallies(report):
        suite = ET.SubElement(root, "testsuite", {"name": tally.title, "id": tally.slug})
        f = s = 0
        for item in by_title[tally.title]:
            df, ds = _case(suite, item)
            f, s = f + df, s + ds
        n = len(by_title[tally.title])
        suite.attrib.update({"tests": str(n), "failures": str(f), "errors": "0", "skipped": str(s), "time": "0"})
        total, failures, skipped = total + n, failures + f, skipped + s
    if report.gate is not None:
        gate_failures, _ = _gate_suite(root, report)
        total, failures = total + 1, failures + gate_failures
    root.attrib.update({"tests": str(total), "failures": str(failures), "errors": "0", "skipped": str(skipped),
                        "time": "0"})
    _clean_tree(root)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
