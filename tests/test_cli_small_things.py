"""Small things that each cost a user an hour: closed pipes, empty folders, -j, section ids, verify's list,
--rules with --checklist."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from adoption_helpers import CHECKLIST, RULES, make_project, run_cli

pytestmark = pytest.mark.slow  # processes, whole-tree scans or generated cases

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = ROOT / "fixtures" / "minimal-service"


def _shell(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AUDITOR": f"{sys.executable} -m auditor.cli"}
    return subprocess.run(["bash", "-c", f"set -o pipefail; {command}"], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.skipif(shutil.which("bash") is None or shutil.which("head") is None, reason="bash and head needed")
@pytest.mark.parametrize("command", [
    "$AUDITOR list | head -1",
    "$AUDITOR explain db.pooling | head -1",
    *(f"$AUDITOR scan {MINIMAL} --no-cache -j 1 --format {fmt} | head -1"
      for fmt in ("text", "json", "html", "markdown", "sarif", "junit", "checklist")),
])
def test_a_closed_pipe_ends_quietly(command: str) -> None:
    result = _shell(command, ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert len(result.stdout.splitlines()) == 1


def test_a_closed_pipe_keeps_the_gate_verdict_and_exit_code() -> None:
    result = _shell(f"$AUDITOR scan {MINIMAL} --no-cache -j 1 --fail-under 0.9 | head -1", ROOT)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("auditor: gate failed: score")
    assert "BrokenPipe" not in result.stderr and "internal error" not in result.stderr


def test_an_empty_folder_and_a_folder_without_python_warn(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_cli(["scan", str(empty), "--no-cache", "-j", "1"])
    assert result.exit_code == 0
    assert f"auditor: warning: {empty}: no file to scan" in result.stderr
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "README.md").write_text("# notes\n", encoding="utf-8")
    result = run_cli(["scan", str(docs), "--no-cache", "-j", "1"])
    assert f"auditor: warning: {docs}: no Python file found" in result.stderr
    service = make_project(tmp_path / "svc")
    assert "warning" not in run_cli(["scan", str(service), "--no-cache", "-j", "1"]).stderr


@pytest.mark.parametrize("jobs", ["0", "-3"])
@pytest.mark.parametrize("command", ["scan", "baseline"])
def test_jobs_below_one_are_refused(tmp_path: Path, command: str, jobs: str) -> None:
    result = run_cli([command, str(make_project(tmp_path / "p")), "-j", jobs, "--no-cache"])
    assert result.exit_code == 2
    assert "not in the range x>=1" in result.stderr
    assert not (tmp_path / "p" / ".auditor-baseline.yaml").exists()


def test_section_ids_in_list_and_explain_and_did_you_mean(tmp_path: Path) -> None:
    listing = run_cli(["list"]).stdout.splitlines()
    assert listing[0] == "Database Connection Handling [database]"
    explained = run_cli(["explain", "db.pooling"]).stdout
    assert "section:   Database Connection Handling [database]" in explained
    section = run_cli(["explain", "database"])
    assert section.exit_code == 0 and "db.pooling" in section.stdout and "--fail-under database=SCORE" in section.stdout
    wrong = run_cli(["explain", "databse"])
    assert wrong.exit_code == 2 and "did you mean 'database'?" in wrong.stderr
    project = make_project(tmp_path / "p")
    for flags in (["--select", "databse"], ["--ignore", "databse"], ["--fail-under", "databse=0.5"]):
        result = run_cli(["scan", str(project), "--no-cache", "-j", "1", *flags])
        assert result.exit_code == 2, flags
        assert "did you mean 'database'?" in result.stderr, flags
    selected = run_cli(["scan", str(project), "--no-cache", "-j", "1", "--select", "database", "--format", "json"])
    assert selected.exit_code == 0 and '"db.pooling"' in selected.stdout and '"config.env-vars"' not in selected.stdout


def test_verify_lists_items_not_in_the_document_one_per_line(tmp_path: Path) -> None:
    doc = tmp_path / "STATUS.md"
    doc.write_text("# Status\n\n- [ ] Connection pooling with proper settings\n", encoding="utf-8")
    result = run_cli(["verify", str(doc), "--path", str(make_project(tmp_path / "p")), "--no-cache"])
    lines = result.stdout.splitlines()
    head = next(n for n, line in enumerate(lines) if line.startswith("items not in the document"))
    assert lines[head] == "items not in the document (90):"
    assert lines[head + 1].split()[0] == "db.retry"
    assert all(len(line.split(",")) == 1 for line in lines[head + 1: head + 91])


def test_rules_add_to_the_bundled_rules_with_a_custom_checklist(tmp_path: Path) -> None:
    """A team's checklist can reuse a bundled rule (db-pooling) beside its own rule file."""
    checklist = tmp_path / "team.yaml"
    checklist.write_text(CHECKLIST.replace("rule: tiny-docker", "rule: db-pooling"), encoding="utf-8")
    rules = tmp_path / "team-rules.yaml"
    rules.write_text(RULES, encoding="utf-8")
    result = run_cli(["scan", str(make_project(tmp_path / "p")), "--checklist", str(checklist), "--rules", str(rules),
                      "--no-cache", "-j", "1", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert '"rule": "db-pooling"' in result.stdout and '"rule": "tiny-hashing"' in result.stdout
