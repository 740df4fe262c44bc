"""Who and what was scanned in every report: project, commit and its date, tool version, and no machine path."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORMATS = ("json", "html", "markdown", "sarif", "junit", "text")

pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("git") is None, reason="git is needed")]


def _git(cwd: Path, *args: str, date: str = "2024-03-01T12:00:00+00:00") -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


def _service(root: Path) -> Path:
    (root / "app").mkdir(parents=True)
    (root / "app" / "main.py").write_text("import requests\nrequests.get('https://x', timeout=3)\n", encoding="utf-8")
    (root / "pyproject.toml").write_text('[project]\nname = "orders-api"\nversion = "1"\n', encoding="utf-8")
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "first")
    return root


def _scan(install: Path, tree: Path, fmt: str, *extra: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(install)}
    proc = subprocess.run([sys.executable, "-m", "auditor.cli", "scan", str(tree), "--format", fmt, *extra],
                          cwd=install, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _install(target: Path) -> Path:
    """A copy of the auditor's source (package, checklist, rules, templates) at another location."""
    target.mkdir(parents=True)
    shutil.copytree(ROOT / "auditor", target / "auditor", ignore=shutil.ignore_patterns("__pycache__", "_data"))
    for name in ("rules", "reports"):
        shutil.copytree(ROOT / name, target / name)
    shutil.copy(ROOT / "checklist.yaml", target / "checklist.yaml")
    return target


def test_project_commit_and_its_date_come_from_git(tmp_path: Path) -> None:
    tree = _service(tmp_path / "svc")
    commit = _git(tree, "rev-parse", "HEAD")
    report = json.loads(_scan(ROOT, tree, "json", "--no-cache"))
    assert report["project"] == {"root": ".", "files_scanned": 2, "name": "orders-api", "commit": commit,
                                 "commit_date": "2024-03-01T12:00:00+00:00"}
    assert report["checklist"]["path"] == "bundled:checklist.yaml"
    for fmt, needle in (("markdown", commit[:12]), ("html", commit[:12]), ("text", commit[:12])):
        out = _scan(ROOT, tree, fmt, "--no-cache")
        assert needle in out and "2024-03-01T12:00:00+00:00" in out and "orders-api" in out, fmt


def test_reports_are_identical_from_two_install_locations_and_name_no_machine_path(tmp_path: Path) -> None:
    tree = _service(tmp_path / "svc")
    first, second = _install(tmp_path / "one" / "site"), _install(tmp_path / "elsewhere" / "deeper" / "site")
    for fmt in FORMATS:
        a = _scan(first, tree, fmt, "--no-cache")
        b = _scan(second, tree, fmt, "--no-cache")
        assert a == b, fmt
        assert str(tmp_path) not in a and str(ROOT) not in a, fmt


def test_a_cached_report_names_the_current_commit(tmp_path: Path) -> None:
    tree = _service(tmp_path / "svc")
    cache = tmp_path / "cache"
    before = json.loads(_scan(ROOT, tree, "json", "--cache-dir", str(cache)))
    _git(tree, "commit", "-q", "--allow-empty", "-m", "same tree, new commit", date="2024-04-02T08:30:00+00:00")
    after = json.loads(_scan(ROOT, tree, "json", "--cache-dir", str(cache)))
    assert after["project"]["commit"] == _git(tree, "rev-parse", "HEAD") != before["project"]["commit"]
    assert after["project"]["commit_date"] == "2024-04-02T08:30:00+00:00"
    assert after["items"] == before["items"]


def test_a_tree_outside_git_has_no_commit_and_a_relative_checklist(tmp_path: Path) -> None:
    tree = tmp_path / "plain"
    (tree / "audit").mkdir(parents=True)
    shutil.copy(ROOT / "checklist.yaml", tree / "audit" / "list.yaml")
    (tree / "app.py").write_text("print(1)\n", encoding="utf-8")
    report = json.loads(_scan(ROOT, tree, "json", "--no-cache", "--checklist", str(tree / "audit" / "list.yaml")))
    assert "commit" not in report["project"] and "name" not in report["project"]
    assert report["checklist"]["path"] == "audit/list.yaml"
