"""``auditor verify``: parsing status documents, matching lines to items, claims, --fix, the CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from render_sample import sample_report

from auditor.adopt.verify import fix_document, match_lines, parse_document, render_verification, verify_document
from auditor.cli import main
from auditor.errors import AuditorError

ROOT = Path(__file__).resolve().parent.parent
SEED = Path(__file__).resolve().parent / "data" / "seed-checklist.md"
SEED_TEXT = SEED.read_text(encoding="utf-8") if SEED.is_file() else ""
MINI = ROOT / "tests" / "data" / "mini"
MINI_ARGS = ["--checklist", str(MINI / "checklist.yaml"), "--rules", str(MINI / "rules.yaml")]

DOC = """# Status

Some intro with a [x] bracket that is not a checklist line.

## Database Connection Handling
- [x] Connection pooling with proper settings
* [X] Pooling of DB connections w/ sane settings
- [ ] Database migration versioning

```
- [x] Inside a code fence
```

### Docker Configuration ###
  1. [x] Health checks
- [ ] Secrets in Docker
- [x] Frobnicate the widgets
"""


def test_parse_document() -> None:
    lines = parse_document(DOC)
    assert [(ln.number, ln.section, ln.title, ln.ticked) for ln in lines] == [
        (6, "Database Connection Handling", "Connection pooling with proper settings", True),
        (7, "Database Connection Handling", "Pooling of DB connections w/ sane settings", True),
        (8, "Database Connection Handling", "Database migration versioning", False),
        (15, "Docker Configuration", "Health checks", True),
        (16, "Docker Configuration", "Secrets in Docker", False),
        (17, "Docker Configuration", "Frobnicate the widgets", True),
    ]


def test_seed_document_matches_every_item_exactly() -> None:
    if not SEED_TEXT:
        pytest.skip("seed document not available")
    report = sample_report()
    result = match_lines(parse_document(SEED_TEXT), report.items)
    assert not result.unmatched and not result.duplicates and not result.not_in_document
    assert all(m.how == "exact" for m in result.matches)
    # Same title in two sections: each line goes to its own section's item.
    by_line = {m.line.title + "@" + m.line.section: m.item.id for m in result.matches}
    assert by_line["Connection pool monitoring@Database Connection Handling"] == "db.pool-monitoring"
    assert by_line["Connection pool monitoring@Performance"] == "perf.pool-monitoring"
    assert by_line["Health checks@Docker Configuration"] == "docker.healthcheck"


def test_reworded_lines_are_matched_and_nonsense_listed() -> None:
    report = sample_report()
    text = "## Logging\n- [ ] Rotating log files\n- [x] Frobnicate the widgets\n## Docker Configuration\n" \
           "- [ ] Secrets in Docker\n- [x] Connection pooling with proper settings\n"
    result = match_lines(parse_document(text), report.items)
    got = {m.line.title: (m.item.id, m.how) for m in result.matches}
    assert got["Rotating log files"] == ("logging.rotation", "fuzzy")
    assert got["Secrets in Docker"] == ("docker.secrets", "fuzzy")
    # An exact title under the wrong heading still finds its (unique) item.
    assert got["Connection pooling with proper settings"][0] == "db.pooling"
    assert [ln.title for ln in result.unmatched] == ["Frobnicate the widgets"]


def test_claims_and_fix_keep_everything_else() -> None:
    statuses = {i.id: "implemented" for i in sample_report().items}
    statuses.update({"db.pooling": "missing", "db.retry": "partial", "db.context": "not_applicable"})
    report = sample_report(statuses)
    text = ("# S\r\n\r\n## Database Connection Handling\r\n- [x] Connection pooling with proper settings  \r\n"
            "- [x] Retry logic with exponential backoff\r\n- [x] Context usage for database operations\r\n"
            "- [ ] Health checks <!-- keep me -->\r\n- [ ] Frobnicate")
    result = verify_document(text, report)
    assert {c.match.item.id: c.kind for c in result.claims} == {
        "db.pooling": "false-claim", "db.retry": "false-claim", "db.health": "unclaimed"}
    fixed = fix_document(text, result)
    assert fixed == text.replace("- [x] Connection", "- [ ] Connection").replace("- [x] Retry", "- [ ] Retry") \
        .replace("- [ ] Health", "- [x] Health")
    again = verify_document(fixed, report)
    assert not again.claims
    out = render_verification(result, "S.md")
    assert "S.md:4: ticked but missing: db.pooling" in out
    assert "S.md:7: unticked but implemented: db.health" in out
    assert 'S.md:8: unmatched line: "Frobnicate"' in out


def test_document_without_checklist_lines_is_an_error() -> None:
    with pytest.raises(AuditorError):
        verify_document("# nothing here\n\njust text\n", sample_report())


@settings(max_examples=300, deadline=None)
@pytest.mark.slow
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=400)
       | st.lists(st.sampled_from(["# T", "## Security", "- [x] Rate limiting", "* [ ] CORS", "```", "~~~",
                                   "1. [X] ", "- [x]", "   - [ ] Log  rotation ", "#", "- [y] x", "\r", ""]),
                  max_size=30).map("\n".join))
def test_parser_never_raises(text: str) -> None:
    report = sample_report()
    lines = parse_document(text)
    assert all(ln.title for ln in lines)
    try:
        result = verify_document(text, report)
    except AuditorError:
        assert not lines
        return
    fixed = fix_document(text, result)
    assert len(fixed) == len(text)
    assert not verify_document(fixed, report).claims


def _write_tree(root: Path, files: dict[str, str]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    return root


MINI_DOC = """# Mini
## Database Connection Handling
- [x] Connection pooling with proper settings
- [ ] Database migration versioning
## Docker Configuration
- [x] Health checks
- [ ] Docker secrets
"""


@pytest.mark.slow
def test_cli_verify_and_fix(tmp_path: Path) -> None:
    project = _write_tree(tmp_path / "p", {
        "app/db.py": "from sqlalchemy import create_engine\nengine = create_engine('x', pool_size=5)\n",
        "alembic.ini": "[alembic]\n",
        "Dockerfile": "FROM python:3.12\n",
    })
    doc = tmp_path / "STATUS.md"
    doc.write_bytes(MINI_DOC.encode())
    runner = CliRunner()
    args = ["verify", str(doc), "--path", str(project), "--no-cache", *MINI_ARGS]
    result = runner.invoke(main, args)
    assert result.exit_code == 1, result.output
    assert "ticked but missing: docker.healthcheck" in result.output
    assert "unticked but implemented: db.migrations" in result.output
    assert doc.read_bytes() == MINI_DOC.encode()
    result = runner.invoke(main, [*args, "--fix"])
    assert result.exit_code == 1
    assert doc.read_text() == MINI_DOC.replace("- [x] Health", "- [ ] Health").replace(
        "- [ ] Database migration", "- [x] Database migration")
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output


@pytest.mark.slow
def test_cli_verify_missing_document(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["verify", str(tmp_path / "nope.md"), *MINI_ARGS])
    assert result.exit_code == 2


def _bundled_verify(fixture: str) -> subprocess.CompletedProcess[str]:
    if not SEED_TEXT:
        pytest.skip("seed document not available")
    return subprocess.run([sys.executable, "-m", "auditor.cli", "verify", str(SEED), "--path",
                           str(ROOT / "fixtures" / fixture)], capture_output=True, text=True, timeout=600, check=False)


@pytest.mark.slow
def test_seed_against_minimal_service_is_false() -> None:
    proc = _bundled_verify("minimal-service")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "ticked but missing: db.pooling" in proc.stdout or "ticked but" in proc.stdout


@pytest.mark.slow
def test_seed_against_reference_service_holds() -> None:
    proc = _bundled_verify("reference-service")
    assert proc.returncode == 0, proc.stdout + proc.stderr
