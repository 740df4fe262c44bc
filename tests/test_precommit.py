"""The pre-commit hook for real: `pre-commit run --all-files` in a temporary git repository using this checkout's hook.

pre-commit clones this checkout at its HEAD commit (so what is tested is what is committed)
and pip-installs it into the hook's environment (PyPI must be reachable); PRE_COMMIT_HOME is a
temporary folder shared by the tests of this module so the environment is built once.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytest.importorskip("pre_commit")

CHECKOUT = Path(__file__).resolve().parents[1]
REFERENCE = CHECKOUT / "fixtures" / "reference-service"
MINIMAL = CHECKOUT / "fixtures" / "minimal-service"
GATE = {"fail_under": 0.75, "fail_on": ["missing:high"]}

pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("git") is None, reason="git is needed")]


def _git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="module")
def hook_rev() -> str:
    if not (CHECKOUT / ".git").exists():
        pytest.skip("the checkout under test is not a git repository")
    if not (CHECKOUT / ".pre-commit-hooks.yaml").is_file():
        pytest.fail(".pre-commit-hooks.yaml is missing at the repository root")
    return _git(CHECKOUT, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def _minimal_tree(target: Path) -> None:
    """A bare service with almost nothing from the checklist (used when the fixture is empty)."""
    (target / "app").mkdir(parents=True)
    (target / "app" / "__init__.py").write_text("", encoding="utf-8")
    (target / "app" / "main.py").write_text(
        "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get('/items')\ndef items():\n    return []\n",
        encoding="utf-8")
    (target / "requirements.txt").write_text("fastapi\nuvicorn\n", encoding="utf-8")


def _make_repo(tmp: Path, source: Path, rev: str) -> Path:
    repo = tmp / "repo"
    if any(source.glob("*")):
        shutil.copytree(source, repo, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache", ".venv"))
    else:
        _minimal_tree(repo)
    (repo / ".auditor.yaml").write_text(yaml.safe_dump(GATE, sort_keys=False), encoding="utf-8")
    config = {"repos": [{"repo": str(CHECKOUT), "rev": rev, "hooks": [{"id": "checklist-auditor"}]}]}
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "service")
    return repo


def _run_pre_commit(repo: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRE_COMMIT", "VIRTUAL_ENV"))}
    env["PRE_COMMIT_HOME"] = str(home)
    env["XDG_CACHE_HOME"] = str(home / "xdg-cache")
    return subprocess.run([sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never"],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=1200)


def _setup_failed(result: subprocess.CompletedProcess[str]) -> bool:
    return "An unexpected error has occurred" in result.stdout + result.stderr


def test_hook_definition_matches_the_contract() -> None:
    hooks = yaml.safe_load((CHECKOUT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    hook = next(h for h in hooks if h["id"] == "checklist-auditor")
    assert hook["language"] == "python"
    assert hook["entry"] == "auditor scan"
    assert hook["pass_filenames"] is False
    assert hook["always_run"] is True


def test_hook_fails_on_the_minimal_service(tmp_path: Path, hook_rev: str, pre_commit_home: Path) -> None:
    result = _run_pre_commit(_make_repo(tmp_path, MINIMAL, hook_rev), pre_commit_home)
    output = result.stdout + result.stderr
    assert not _setup_failed(result), output
    assert result.returncode == 1, output
    assert "checklist-auditor" in output and "Failed" in output
    assert "auditor: gate failed: score" in output  # the reason, read from the repo's .auditor.yaml


def test_hook_passes_on_the_reference_service(tmp_path: Path, hook_rev: str, pre_commit_home: Path) -> None:
    result = _run_pre_commit(_make_repo(tmp_path, REFERENCE, hook_rev), pre_commit_home)
    output = result.stdout + result.stderr
    assert not _setup_failed(result), output
    assert result.returncode == 0, output
    assert "checklist-auditor" in output and "Passed" in output
