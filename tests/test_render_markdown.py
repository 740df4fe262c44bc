"""The Markdown summary: score, section table, missing items with remediation, escaped, size-capped."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st
from render_sample import sample_report

from auditor.model import Evidence
from auditor.render.common import _MD_ESCAPES, clean_line, md_code, md_inline
from auditor.render.markdown import MAX_CHARS, escape_inline, render_markdown


def test_summary_has_score_table_and_problems() -> None:
    report = sample_report()
    md = render_markdown(report)
    assert md == render_markdown(sample_report())
    assert md.startswith(f"## Best Practices Implementation Status: {report.summary.score:.0%}")
    assert "| Section | Implemented | Partial | Missing | N/A | Score |" in md
    for title, _ in report.sections():
        assert f"| {escape_inline(title)} |" in md
    for item in report.items:
        listed = f"(`{item.id}`," in md
        assert listed == (item.status in ("missing", "partial")), item.id
    assert "<details><summary>How to fix</summary>" in md
    assert "Waived by team-a until 2030-01-01" in md
    assert len(md) < MAX_CHARS


def test_missing_before_partial_and_by_severity() -> None:
    md = render_markdown(sample_report())
    heads = [line for line in md.splitlines() if line.startswith("#### ")]
    first_partial = next(n for n, h in enumerate(heads) if "partial," in h)
    assert all("missing," in h for h in heads[:first_partial])
    assert "high)" in heads[0] or "critical)" in heads[0]


def test_repository_text_is_escaped() -> None:
    report = sample_report()
    report.items[2].evidence = [Evidence(path="app/<script>x.py", line=1, detail="<script>alert(1)</script> | `x`")]
    report.items[2].status = "partial"
    md = render_markdown(report)
    assert "<script>" not in md
    assert "&lt;script&gt;x.py:1" in md
    assert "&lt;script&gt;alert&#40;1&#41;&lt;/script&gt; &#124; &#96;x&#96;" in md


def test_truncates_gracefully() -> None:
    report = sample_report()
    for item in report.items:
        item.remediation = "x" * 3000
    md = render_markdown(report, max_chars=20_000)
    assert len(md) <= 20_000
    assert "more missing or partial item(s) not shown" in md
    assert "| Section |" in md
    full = render_markdown(report)
    assert len(full) <= MAX_CHARS


def test_all_implemented() -> None:
    report = sample_report({i.id: "implemented" for i in sample_report().items})
    assert "Every applicable item is implemented." in render_markdown(report)


@given(st.text(alphabet="aW w.@:/\t<`", max_size=40))
def test_words_become_code_as_the_pattern_says(text: str) -> None:
    """Word by word is what the pattern ``\\S*(?:@|://|www\\.)\\S*`` (case-insensitive) finds,
    without its backtracking, which is quadratic in a long word."""
    pattern = re.compile(r"\S*(?:@|://|www\.)\S*", re.IGNORECASE)
    line = clean_line(text)
    out, last = [], 0
    for found in pattern.finditer(line):
        out += [line[last:found.start()].translate(_MD_ESCAPES), md_code(found.group(0))]
        last = found.end()
    assert md_inline(text) == "".join([*out, line[last:].translate(_MD_ESCAPES)])
