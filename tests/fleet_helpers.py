"""Helpers for the fleet tests: git repositories of services, the PostgreSQL and Dask addresses CI gives."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GIT_ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_AUTHOR_DATE": "2026-01-05T10:00:00+00:00",
           "GIT_COMMITTER_DATE": "2026-01-05T10:00:00+00:00"}
POSTGRES_ENV = "AUDITOR_TEST_POSTGRES_URL"
DASK_ENV = "AUDITOR_TEST_DASK_SCHEDULER"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, env=GIT_ENV, check=True, capture_output=True,
                          text=True).stdout.strip()


def commit_all(repo: Path, message: str) -> str:
    if not (repo / ".git").exists():
        git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def copy_fixture(name: str, dest: Path) -> Path:
    shutil.copytree(ROOT / "fixtures" / name, dest,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", "*.db", ".venv*"))
    return dest


def generated(dest: Path, files: int, seed: int) -> Path:
    """A service from benchmarks/gen_tree.py (generation replaces the tree's files)."""
    for child in dest.iterdir() if dest.exists() else []:
        if child.name != ".git":
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gen_tree.py"), str(dest), "--files", str(files),
                    "--seed", str(seed)], check=True, capture_output=True)
    return dest


def auditor_json(path: Path, *flags: str) -> str:
    """What `auditor scan PATH --format json` prints (the command itself, in a fresh process)."""
    script = Path(sys.executable).parent / "auditor"
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "auditor.cli"]
    done = subprocess.run([*cmd, "scan", str(path), "--format", "json", *flags],
                          capture_output=True, text=True, check=False)
    assert done.returncode in (0, 1), done.stderr
    return done.stdout


def checkout_at(repo: Path, commit: str, dest: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(repo), str(dest)], check=True, capture_output=True)
    git(dest, "checkout", "-q", commit)
    return dest


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh database on the server CI gives (AUDITOR_TEST_POSTGRES_URL), dropped afterwards."""
    import psycopg

    url = os.environ[POSTGRES_ENV]
    rest = url.split("://", 1)[1]
    server, _, _db = rest.rpartition("/")
    name = f"fleet_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"postgresql://{server}/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield f"postgresql://{server}/{name}"
    finally:
        with psycopg.connect(f"postgresql://{server}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
