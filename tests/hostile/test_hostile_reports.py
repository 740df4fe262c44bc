"""Text from the scanned repository (its checklist, its config, its file names) reaches every
report format inert: no markup, link, image or mention in Markdown, no terminal escape or bidi
override anywhere, valid XML in JUnit. And the auditor's own reports, written into the tree,
are never read back as evidence."""

from __future__ import annotations

import json
import os
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hostile_corpus import PYTHON, REPO

pytestmark = pytest.mark.slow  # every case runs the command in a process of its own

ESC = "\x1b"
BIDI = "\u202e"
# characters no output may carry raw: C0 controls but tab/newline/CR, DEL, C1, bidi controls
RAW = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
EVIL = (f"Fix it </details>\n\n## ✅ Gate passed\n\n![pwned](https://evil.example/p.png) "
        f"[click here](https://evil.example/login) ping @org/security-team {ESC}[31mred{ESC}[0m {BIDI}txt.exe")


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _evil_repo(root: Path) -> Path:
    checklist = {
        "name": "Audit @org/all [home](https://evil.example)",  # control characters in names are refused
        "sections": [{
            "id": "s", "title": "Section </details> <b>bold</b> @org/section",
            "items": [
                {"id": "s.db", "title": "DB pool [x](https://evil.example) @octocat \u061c",
                 "description": EVIL, "severity": "high", "remediation": EVIL, "rule": "evil-pooling"},
                {"id": "s.miss", "title": "Missing <script>alert(1)</script>", "description": EVIL,
                 "severity": "critical", "remediation": EVIL + "\n\n    code </details> @x\n", "rule": "missing-one"},
            ]}],
    }
    _write(root, "checklist.yaml", json.dumps(checklist))
    _write(root, "rules.yaml", "rules:\n  evil-pooling:\n    summary: s\n    implemented:\n"
                               f"      reason: {json.dumps(EVIL)}\n"
                               "      when: {python.call: {name: sqlalchemy.create_engine}}\n"
                               "    missing: {reason: r}\n"
                               "  missing-one:\n    summary: s\n    implemented:\n      reason: r\n"
                               "      when: {python.import: {name: nothing.at.all}}\n"
                               f"    missing: {{reason: {json.dumps(EVIL)}}}\n")
    _write(root, ".auditor.yaml", "checklist: checklist.yaml\nrules: [rules.yaml]\nwaivers:\n"
                                  f"  - item: s.db\n    reason: {json.dumps(EVIL)}\n    expires: 2099-01-01\n"
                                  f"    owner: {json.dumps('@org/owners ' + ESC + '[5m')}\n")
    evil_name = f"app/db{ESC}[31m{BIDI}@team.py"
    _write(root, evil_name, "from sqlalchemy import create_engine\n\nengine = create_engine('postgresql://x', "
                            "pool_size=10, pool_pre_ping=True)  # @org/team </details>\n")
    return root


def _scan(root: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PYTHON, "-m", "auditor.cli", "scan", str(root), "--no-cache", "-j", "1", *extra],
                          capture_output=True, text=True, timeout=120, cwd=REPO,
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})


def _assert_inert_markdown(markdown: str) -> None:
    """Nothing from the repository renders as markup: every ``@``, URL and tag is an entity."""
    assert "@" not in markdown  # no mention of a user or a team (inside code it is &#64;)
    assert "](" not in markdown and "://" not in markdown  # no link or image, no autolink
    assert markdown.count("</details>") == markdown.count("<details>")  # none closed or opened by the repository
    assert "<script" not in markdown and "<b>" not in markdown
    assert not re.search(r"^#+ .*Gate passed", markdown, re.M)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    base = tmp_path_factory.mktemp("evil")
    root = _evil_repo(base / "repo")
    out = base / "out"
    files = {fmt: out / f"report.{fmt}" for fmt in ("markdown", "sarif", "html", "junit", "json", "checklist")}
    result = _scan(root, "--format", "text", "-v", *(arg for fmt, path in files.items()
                                                      for arg in (f"--output-{fmt}", str(path))))
    assert result.returncode == 0, result.stderr
    texts = {fmt: path.read_text(encoding="utf-8") for fmt, path in files.items()}
    texts["text"] = result.stdout
    texts["stderr"] = result.stderr
    return texts


@pytest.mark.parametrize("fmt", ["markdown", "sarif", "html", "junit", "json", "checklist", "text", "stderr"])
def test_no_raw_control_or_bidi_characters(outputs: dict[str, str], fmt: str) -> None:
    found = RAW.findall(outputs[fmt])
    assert not found, f"{fmt}: {sorted(set(found))!r}"


def test_markdown_is_inert(outputs: dict[str, str]) -> None:
    _assert_inert_markdown(outputs["markdown"])
    assert "<code>&#64;org/security-team</code>" in outputs["markdown"]  # still there, as text


def test_sarif_markdown_is_inert(outputs: dict[str, str]) -> None:
    sarif = json.loads(outputs["sarif"])
    for rule in sarif["runs"][0]["tool"]["driver"]["rules"]:
        _assert_inert_markdown(rule["help"]["markdown"])


def test_checklist_document_is_inert(outputs: dict[str, str]) -> None:
    _assert_inert_markdown(outputs["checklist"])


def test_junit_is_valid_xml(outputs: dict[str, str]) -> None:
    root = ET.fromstring(outputs["junit"].encode("utf-8"))
    assert [suite.get("name") for suite in root.iter("testsuite")]


def test_html_escapes_markup(outputs: dict[str, str]) -> None:
    assert "<script>alert(1)" not in outputs["html"]
    assert "</details>" not in outputs["html"].replace("</details>\n", "") or "&lt;/details&gt;" in outputs["html"]


# -- 7: our own reports are never evidence -----------------------------------------------------------------


@pytest.mark.parametrize("fmt,name", [("markdown", "docs/auditor-summary.md"), ("text", "notes/report.txt"),
                                      ("json", "api/openapi-audit.json")])
def test_reports_written_into_the_tree_are_not_evidence(tmp_path: Path, fmt: str, name: str) -> None:
    root = tmp_path / "p"
    _write(root, "app/main.py", "from fastapi import FastAPI\n\napp = FastAPI()\n")
    first = _scan(root, "--format", "json")
    assert first.returncode == 0, first.stderr
    written = _scan(root, "--format", fmt, "--output", str(root / name))
    assert written.returncode == 0, written.stderr
    again = _scan(root, "--format", "json")
    assert again.returncode == 0, again.stderr
    before, after = json.loads(first.stdout), json.loads(again.stdout)
    assert after["items"] == before["items"]
    assert after["stats"] == before["stats"]
    cited = {ev["path"] for item in after["items"] for ev in item["evidence"]}
    assert name not in cited
