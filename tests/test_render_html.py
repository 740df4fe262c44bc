"""The HTML view: self-contained, escaped, filterable markup, links from --link-base, deterministic."""

from __future__ import annotations

import re

from render_sample import HOSTILE_PATH, sample_report

from auditor.model import Evidence
from auditor.render.common import evidence_url
from auditor.render.html import render_html


def test_page_is_self_contained_and_deterministic() -> None:
    report = sample_report()
    page = render_html(report)
    assert page == render_html(sample_report())
    assert page.startswith("<!DOCTYPE html>")
    # Nothing is loaded from elsewhere: no external scripts, styles, fonts or images.
    assert not re.search(r"""<(script|link|img|iframe)[^>]*\b(src|href)=""", page)
    assert "@import" not in page and "url(" not in page
    assert "default-src 'none'" in page
    assert page.count("<script>") == 1


def test_score_chart_and_items_are_there() -> None:
    report = sample_report()
    page = render_html(report)
    assert f"{report.summary.score:.0%}" in page
    assert page.count('<g class="row"') == len(report.sections())
    assert page.count("<article") == len(report.items)
    for status in ("implemented", "partial", "missing", "not_applicable"):
        assert f'data-status="{status}"' in page
        assert f'value="{status}"' in page
    assert 'value="waived"' in page and "Waived</strong> by team-a until 2030-01-01" in page


def test_remediation_only_for_missing_and_partial() -> None:
    page = render_html(sample_report())
    for article in re.findall(r"<article.*?</article>", page, re.S):
        status = re.search(r'data-status="(\w+)"', article)
        assert status is not None
        assert ("How to fix" in article) == (status.group(1) in ("missing", "partial"))


def test_repository_text_is_escaped() -> None:
    page = render_html(sample_report(), link_base="https://github.com/o/r/blob/abc")
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<b>risk</b>" not in page
    assert HOSTILE_PATH not in page


def test_link_base_makes_evidence_links() -> None:
    base = "https://github.com/o/r/blob/0123abc"
    page = render_html(sample_report(), link_base=base)
    links = re.findall(r'<a href="([^"]+)" class="ev"', page)
    assert links and all(link.startswith(base + "/") for link in links)
    assert re.search(r"#L\d+$", links[1])
    assert 'class="ev"' in render_html(sample_report()) and '<a href="' not in render_html(sample_report())


def test_evidence_url() -> None:
    ev = Evidence(path="app/a b<c>.py", line=7)
    assert evidence_url("https://x.test/blob/c", ev) == "https://x.test/blob/c/app/a%20b%3Cc%3E.py#L7"
    assert evidence_url("https://x.test/blob/c/", ev) == "https://x.test/blob/c/app/a%20b%3Cc%3E.py#L7"
    assert evidence_url("javascript:alert(1)//", ev) is None
    assert evidence_url(None, ev) is None
