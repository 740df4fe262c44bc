"""Markdown for pull requests: remediation snippets as code (checked with a Markdown parser), evidence links,
a compact mode, and code health in Markdown, HTML and text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from render_sample import sample_report

from auditor.model import CodeHealth, FileHealth, FunctionHealth, Gate, GateBaseline, GateChange
from auditor.render.common import fence_code
from auditor.render.html import render_html
from auditor.render.markdown import render_markdown
from auditor.render.text import render_text

markdown_it = pytest.importorskip("markdown_it")
ROOT = Path(__file__).resolve().parents[1]


def _remediations() -> list[tuple[str, str]]:
    data = yaml.safe_load((ROOT / "checklist.yaml").read_text(encoding="utf-8"))
    return [(i["id"], i["remediation"]) for s in data["sections"] for i in s["items"]]


def _code_texts(markdown: str) -> list[str]:
    tokens = markdown_it.MarkdownIt("commonmark").parse(markdown)
    out = [t.content for t in tokens if t.type in ("fence", "code_block")]
    for t in tokens:
        out += [c.content for c in (t.children or []) if c.type == "code_inline"]
    return out


@pytest.mark.parametrize(("item_id", "remediation"), _remediations(), ids=[i for i, _ in _remediations()])
def test_every_remediation_snippet_renders_as_code(item_id: str, remediation: str) -> None:
    code = _code_texts(fence_code(remediation))
    assert code, f"{item_id}: no code in its remediation"
    indented = [line.strip() for line in remediation.splitlines() if line.startswith("  ") and line.strip()]
    joined = "\n".join(code)
    for line in indented:  # every indented line is inside a code block, none is prose
        assert line in joined, f"{item_id}: {line!r} is not rendered as code"


def test_remediation_code_blocks_survive_inside_the_report_details() -> None:
    report = sample_report({i: "missing" for i, _ in _remediations()})
    for item, (_, remediation) in zip(report.items, _remediations(), strict=True):
        item.remediation = remediation
    markdown = render_markdown(report, max_chars=10_000_000)
    tokens = markdown_it.MarkdownIt("commonmark").parse(markdown)
    # code leaves Markdown as an escaped <pre><code> HTML block: shown as code, nothing inside is markup
    blocks = [t for t in tokens if t.type == "html_block" and t.content.startswith("<pre><code>")]
    expected = sum(1 for _, r in _remediations() if re.search(r"\n {2,}\S", r))
    assert len(blocks) >= expected


def test_evidence_links_with_link_base() -> None:
    report = sample_report({"db.retry": "partial"})
    markdown = render_markdown(report, link_base="https://forge.example/o/r/blob/abc123")
    assert ('<a href="https://forge.example/o/r/blob/abc123/app/db_retry.py#L2">'
            '<code>app/db&#95;retry.py:2</code></a>') in markdown
    assert "<a href" not in render_markdown(report)


def test_compact_lists_only_what_changed_or_fails_the_gate() -> None:
    report = sample_report()
    report.gate = Gate(passed=False, reasons=["fail-on missing:high: 1 item(s) missing: db.retry"],
                       items=["db.retry"],
                       baseline=GateBaseline(path=".auditor-baseline.yaml", improvements=[
                           GateChange(item="db.pooling", before="partial", after="implemented")]))
    full = render_markdown(report)
    compact = render_markdown(report, compact=True)
    headings = [line for line in compact.splitlines() if line.startswith("#### ")]
    assert len(headings) == 2
    assert "`db.pooling`" in headings[0] and "`db.retry`" in headings[1]
    assert len(compact) < len(full) / 4
    report.gate = Gate(passed=True)
    assert "Nothing changed since the baseline" in render_markdown(report, compact=True)


def test_code_health_in_markdown_html_and_verbose_text() -> None:
    report = sample_report()
    report.code_health = CodeHealth(
        functions=[FunctionHealth(path="app/big.py", line=10, name="handle_everything", cc=31, rank="E")],
        files=[FileHealth(path="app/big.py", mi=8.5, rank="C")], functions_total=12, average_cc=3.25)
    assert "handle&#95;everything" in render_markdown(report) and "app/big.py:10" in render_markdown(report)
    html = render_html(report)
    assert 'id="code-health"' in html and "handle_everything" in html and "8.5 (C)" in html
    text = render_text(report, verbose=True)
    assert "code health (radon, not scored): 12 functions, average complexity 3.2" in text
    assert "CC  31 (E)  handle_everything  app/big.py:10" in text
    assert "handle_everything" not in render_text(report)
