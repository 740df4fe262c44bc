"""The command line: JSON contract, determinism, one-line errors with exit code 2."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # processes, whole-tree scans or generated cases

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = {
    "app/db.py": (
        "from sqlalchemy.ext.asyncio import create_async_engine as mk\n"
        "engine = mk('postgresql+asyncpg://db/app', pool_size=10)\n"
    ),
    "app/main.py": "import os\nSECRET = os.environ['SECRET_KEY']\n",
    "Dockerfile": "FROM python:3.12 AS build\nRUN pip wheel .\nFROM python:3.12-slim\nCOPY --from=build /w /w\n",
}


def auditor(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "auditor.cli", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=300)


@pytest.fixture()
def sample(tmp_path: Path) -> Path:
    for rel, text in SAMPLE.items():
        path = tmp_path / "repo" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path / "repo"


def test_json_report_follows_the_contract(sample: Path, checklist) -> None:
    proc = auditor("scan", str(sample), "--format", "json", "--no-cache")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["schema_version"] == 1
    assert report["tool"]["name"] == "checklist-auditor"
    assert report["project"] == {"root": ".", "files_scanned": 3}
    assert report["checklist"]["items"] == 91
    ids = [item["id"] for item in report["items"]]
    assert ids == checklist.item_ids()
    summary = report["summary"]
    assert sum(summary[s] for s in ("implemented", "partial", "missing", "not_applicable")) == 91
    applicable = 91 - summary["not_applicable"]
    assert summary["score"] == pytest.approx(summary["implemented"] / applicable, abs=1e-4)
    for item in report["items"]:
        assert item["status"] in ("implemented", "partial", "missing", "not_applicable")
        if item["status"] in ("implemented", "partial"):
            assert item["evidence"], item["id"]
        for ev in item["evidence"]:
            assert not ev["path"].startswith("/") and "\\" not in ev["path"]
            assert ev["line"] >= 1
    pooling = next(i for i in report["items"] if i["id"] == "db.pooling")
    assert pooling["status"] == "implemented"
    assert pooling["evidence"][0]["path"] == "app/db.py" and pooling["evidence"][0]["line"] == 2
    assert str(sample) not in proc.stdout


def test_json_is_byte_identical_across_runs_and_cache_states(sample: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cold = auditor("scan", str(sample), "--format", "json", "--cache-dir", str(cache)).stdout
    warm = auditor("scan", str(sample), "--format", "json", "--cache-dir", str(cache)).stdout
    none = auditor("scan", str(sample), "--format", "json", "--no-cache").stdout
    assert cold == warm == none
    copy = tmp_path / "copy"
    shutil.copytree(sample, copy)
    assert auditor("scan", str(copy), "--format", "json", "--no-cache").stdout == cold


def test_missing_path_is_a_one_line_error(tmp_path: Path) -> None:
    proc = auditor("scan", str(tmp_path / "nope"))
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "nope" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_malformed_checklist_names_file_line_and_column(tmp_path: Path, sample: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("sections:\n  - id: s\n    title: S\n    items:\n      - id: a\n        title: [unclosed\n")
    proc = auditor("scan", str(sample), "--checklist", str(bad))
    assert proc.returncode == 2
    assert "bad.yaml:" in proc.stderr and "invalid YAML" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1


def scan_with_one_rule(tmp_path: Path, sample: Path, leaf: str) -> subprocess.CompletedProcess[str]:
    """Scan with a one-item checklist whose rule's implemented condition is ``leaf``."""
    checklist = tmp_path / "c.yaml"
    checklist.write_text(
        "sections:\n  - id: s\n    title: S\n    items:\n      - id: a\n        title: A\n"
        "        description: d\n        remediation: r\n        rule: r1\n"
    )
    rules = tmp_path / "r.yaml"
    rules.write_text(
        "rules:\n  r1:\n    summary: s\n    implemented:\n      reason: x\n      when:\n"
        f"        {leaf}\n    missing: {{reason: y}}\n"
    )
    return auditor("scan", str(sample), "--checklist", str(checklist), "--rules", str(rules))


def test_unknown_key_in_rule_file_is_located(tmp_path: Path, sample: Path) -> None:
    proc = scan_with_one_rule(tmp_path, sample, "python.call: {name: x, kwargz: [a]}")
    assert proc.returncode == 2
    assert "r.yaml:7:" in proc.stderr and "kwargz" in proc.stderr


def test_unknown_matcher_suggests_the_closest(tmp_path: Path, sample: Path) -> None:
    proc = scan_with_one_rule(tmp_path, sample, "python.cal: {name: x}")
    assert proc.returncode == 2
    assert "did you mean 'python.call'" in proc.stderr


def test_unknown_evidence_uses_condition_is_a_config_error(tmp_path: Path, sample: Path) -> None:
    proc = scan_with_one_rule(tmp_path, sample, "python.call: {name: x}\n    evidence_uses: [no-such-uses]")
    assert proc.returncode == 2
    assert "unknown evidence_uses condition 'no-such-uses'" in proc.stderr and "Traceback" not in proc.stderr


def test_explain_unknown_item_suggests_the_closest() -> None:
    proc = auditor("explain", "db.polling")
    assert proc.returncode == 2
    assert "did you mean 'db.pooling'" in proc.stderr


def test_explain_and_list(checklist) -> None:
    proc = auditor("explain", "db.pooling")
    assert proc.returncode == 0
    assert "Connection pooling with proper settings" in proc.stdout
    assert "Example (implemented)" in proc.stdout
    listing = auditor("list").stdout
    for item_id in checklist.item_ids():
        assert item_id in listing


def test_checklist_format_regenerates_the_seed_document(sample: Path) -> None:
    seed = ROOT / "tests" / "data" / "seed-checklist.md"
    out = auditor("scan", str(sample), "--format", "checklist", "--no-cache").stdout
    strip = [line.replace("[x]", "[ ]") for line in out.splitlines() if line.strip()]
    expected = [line.replace("[x]", "[ ]").rstrip() for line in seed.read_text().splitlines() if line.strip()]
    assert strip == expected
    assert "- [x] Connection pooling with proper settings" in out


def test_list_and_explain_read_the_projects_config(tmp_path: Path) -> None:
    (tmp_path / ".auditor.yaml").write_text("severity:\n  db.pooling: critical\nselect: [database]\n")
    listing = auditor("list", "--path", str(tmp_path))
    assert listing.returncode == 0, listing.stderr
    assert "critical" in next(line for line in listing.stdout.splitlines() if "db.pooling" in line)
    assert "security.jwt" not in listing.stdout
    explained = auditor("explain", "db.pooling", "--path", str(tmp_path))
    assert "severity:  critical" in explained.stdout
