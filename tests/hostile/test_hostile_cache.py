"""A cache entry is data someone else may have written (a shared CI cache, a damaged disk): an
entry of the right format and key with wrong contents is a miss, computed afresh and rewritten,
never an internal error and never a different report."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hostile_corpus import PYTHON, REPO

pytestmark = pytest.mark.slow  # every case runs the command in a process of its own

DEEP = 100_000


def _scan(root: Path, cache: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PYTHON, "-m", "auditor.cli", "scan", str(root), "--format", "json", "--cache-dir",
                           str(cache), *extra], capture_output=True, text=True, timeout=300, cwd=REPO,
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})


def _project(root: Path) -> Path:
    files = {
        "app/main.py": "import sqlalchemy\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
                       "@app.get('/health')\ndef health() -> dict:\n    if app:\n        return {'ok': True}\n"
                       "    return {}\n",
        "app/db.py": "from sqlalchemy import create_engine\n\nengine = create_engine('postgresql://x', "
                     "pool_size=5, pool_pre_ping=True)\n",
        "Dockerfile": "FROM python:3.12\nHEALTHCHECK CMD curl -f http://localhost/health\n",
        "docker-compose.yml": "services:\n  web:\n    image: x\n",
        "README.md": "# Service\n",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def _entries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.json") if not p.name.startswith(".tmp-"))


def _fact_entries(cache: Path) -> list[Path]:
    return sorted(p for p in cache.glob("??/*.json"))


def _poison_facts(entry: dict[str, Any]) -> dict[str, Any]:
    entry["facts"] = [{"t": t, "line": 1} for t in ("import", "call", "string", "assign", "radon_cc", "radon_mi",
                                                    "instruction", "key", "dependency")]
    return entry


def _poison_result(entry: dict[str, Any]) -> dict[str, Any]:
    entry["result"]["health"] = [{"t": "radon_cc", "line": 1}, {"t": "radon_mi", "line": 1, "mi": "x"}]
    return entry


def _poison_report(entry: dict[str, Any]) -> dict[str, Any]:
    report = entry["report"]
    report["items"] = report["items"][:1]  # valid as a Report, not what this checklist computes
    report["items"][0]["evidence"] = [{"path": "../../etc/passwd", "line": 1, "detail": "forged"}]
    return entry


def _poison_rules(entry: dict[str, Any]) -> str:
    """Every rule's condition 5,000 ``not`` deep (written as text: ``json`` cannot nest that deep)."""
    leaf = '{"op": "python.import", "children": [], "params": null, "ref": null, "within": "repo"}'
    deep = '{"op": "not", "children": [' * 5_000 + leaf + '], "params": null, "ref": null, "within": "repo"}' * 5_000
    marker = "__DEEP__"
    for rule in entry["rules"]:
        rule["implemented"] = marker
    return json.dumps(entry).replace(json.dumps(marker), deep)


def _deep(entry: dict[str, Any]) -> str:
    return json.dumps({"format": entry["format"], "key": entry["key"]})[:-1] + ', "x": ' + "[" * DEEP + "]" * DEEP + "}"


Poison = Callable[[dict[str, Any]], "dict[str, Any] | str"]
POISONS: dict[str, tuple[Callable[[Path], list[Path]], Poison, tuple[str, ...]]] = {
    "facts": (_fact_entries, _poison_facts, ("results", "reports")),
    "results": (lambda cache: _entries(cache / "results"), _poison_result, ("reports",)),
    "reports": (lambda cache: _entries(cache / "reports"), _poison_report, ()),
    "rules": (lambda cache: _entries(cache / "rules"), _poison_rules, ("reports",)),
}


@pytest.mark.parametrize("how", ["fields", "deep"])
@pytest.mark.parametrize("kind", sorted(POISONS))
def test_poisoned_entries_are_misses_and_are_rewritten(tmp_path: Path, kind: str, how: str) -> None:
    root = _project(tmp_path / "p")
    cache = tmp_path / "cache"
    clean = _scan(root, cache, "-j", "1")
    assert clean.returncode == 0, clean.stderr
    select, poison, drop = POISONS[kind]
    for folder in drop:  # so the poisoned kind is the one read
        shutil.rmtree(cache / folder)
    poisoned = select(cache)
    assert poisoned, f"no {kind} entries"
    for path in poisoned:
        entry = json.loads(path.read_text(encoding="utf-8"))
        damaged = _deep(entry) if how == "deep" else poison(entry)
        path.write_text(damaged if isinstance(damaged, str) else json.dumps(damaged), encoding="utf-8")
    before = {path: path.read_bytes() for path in poisoned}
    for jobs in ("1", "1"):  # the second scan reads the rewritten entries
        again = _scan(root, cache, "-j", jobs)
        assert again.returncode == 0, again.stderr[-2000:]
        assert "internal error" not in again.stderr
        assert again.stdout == clean.stdout
    rewritten = [path for path in poisoned if path.exists() and path.read_bytes() != before[path]]
    if kind != "rules":  # a rule file's entry is rewritten under its own key, the same one
        assert rewritten, "no poisoned entry was rewritten"
    else:
        assert all(json.loads(p.read_text())["rules"] is not None for p in _entries(cache / "rules"))


def test_a_fifo_in_the_cache_is_not_waited_on(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    cache = tmp_path / "cache"
    clean = _scan(root, cache, "-j", "1")
    for folder in ("results", "reports"):
        shutil.rmtree(cache / folder)
    for path in _fact_entries(cache):
        path.unlink()
        os.mkfifo(path)
    again = _scan(root, cache, "-j", "1")
    assert again.returncode == 0, again.stderr
    assert again.stdout == clean.stdout
