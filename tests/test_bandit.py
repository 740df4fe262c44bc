"""Bandit as an evidence source: facts per runtime file (cached), the ``bandit`` matcher, unparsable files."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from auditor.engine.caches import FactCache
from auditor.engine.discover import SourceFile
from auditor.engine.scan import ScanOptions, scan
from auditor.errors import ConfigError
from auditor.facts.bandit import bandit_facts
from auditor.facts.extract import extract_bytes
from auditor.matchers import MATCHERS
from auditor.matchers.index import FactIndex
from auditor.rules.load import load_rule_files
from auditor.rules.schema import Checklist
from auditor.testing import evaluate_one, facts_of

RISKY = '''\
import hashlib
import requests
from flask import Flask

app = Flask(__name__)
SECRET_KEY = "s3cr3t-value"


def login(user, password="hunter2"):
    return connect(user=user, password="letmein")


def find(cursor, name):
    cursor.execute("SELECT * FROM users WHERE name = '%s'" % name)


def fetch():
    requests.get("https://example.org")
    requests.get("https://example.org", verify=False, timeout=3)
    return hashlib.md5(b"x").hexdigest()


if __name__ == "__main__":
    app.run(host="0.0.0.0", debug=True)
'''


def _facts(code: str, path: str = "app/main.py", role: str = "runtime") -> list[dict]:
    ff = extract_bytes(SourceFile(path=path, kind="python", role=role, size=len(code)), code.encode())
    return [f for f in ff.facts if f["t"] == "bandit"]


def test_findings_become_facts_with_line_severity_and_scope() -> None:
    found = {(f["test_id"], f["line"]) for f in _facts(RISKY)}
    assert found == {
        ("B105", 6), ("B107", 9), ("B106", 10), ("B608", 14), ("B113", 18), ("B501", 19), ("B324", 20),
        ("B104", 24), ("B201", 24),
    }
    sql = next(f for f in _facts(RISKY) if f["test_id"] == "B608")
    assert sql["scope"] == "find"
    assert sql["severity"] in ("LOW", "MEDIUM", "HIGH") and sql["confidence"] in ("LOW", "MEDIUM", "HIGH")


def test_nosec_is_honoured() -> None:
    code = 'TOKEN = "abc123"  # nosec B105\nPASSWORD = "abc123"\n'
    tree = ast.parse(code)
    assert [(f["test_id"], f["line"]) for f in bandit_facts(tree, code.encode(), "x.py")] == [("B105", 2)]


def test_only_runtime_files_are_checked() -> None:
    assert _facts(RISKY, "tests/test_main.py", "test") == []
    assert _facts(RISKY, "docs/example.py", "docs") == []


def test_a_file_bandit_cannot_parse_is_not_checked_not_clean() -> None:
    code = 'type Alias = int\nPASSWORD = "hunter2"\n'  # Python 3.12 syntax: LibCST reads it, ast 3.11 may not
    ff = extract_bytes(SourceFile(path="app/new.py", kind="python", role="runtime", size=len(code)), code.encode())
    try:
        ast.parse(code)
    except SyntaxError:
        assert [f for f in ff.facts if f["t"] == "bandit"] == []
        assert any(w.startswith("not checked by bandit") for w in ff.warnings)
    else:  # running on a Python that parses it: bandit checks it
        assert any(f["t"] == "bandit" for f in ff.facts)


RULES = """\
rules:
  demo-secrets:
    summary: no hard-coded secrets
    implemented:
      reason: settings come from the environment
      when: {all: [{python.uses: {name: os.environ}}, {not: {bandit: {test: [B105, B106, B107]}}}]}
    partial:
      reason: environment used but a secret is hard-coded
      when: {all: [{python.uses: {name: os.environ}}, {bandit: {test: [B105, B106, B107]}}]}
    missing: {reason: nothing}
"""


@pytest.mark.parametrize(("code", "expected", "evidence"), [
    ('import os\nKEY = os.environ["KEY"]\n', "implemented", ["app/settings.py:2"]),
    ('import os\nKEY = os.environ["KEY"]\nPASSWORD = "hunter2"\n', "partial",
     ["app/settings.py:2", "app/settings.py:3"]),
])
def test_bandit_matcher_as_counter_evidence(tmp_path: Path, code: str, expected: str, evidence: list[str]) -> None:
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(RULES, encoding="utf-8")
    rules, conditions = load_rule_files([rules_file])
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "settings.py").write_text(code, encoding="utf-8")
    status, hits, _ = evaluate_one(tmp_path, rules["demo-secrets"], conditions)
    assert status == expected
    assert sorted({f"{h.path}:{h.line}" for h in hits}) == evidence


def test_matcher_filters_by_test_and_levels(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text(RISKY, encoding="utf-8")
    files = facts_of(tmp_path)
    index = FactIndex(files)
    params, run = MATCHERS["bandit"].params, MATCHERS["bandit"].run
    assert [h.key for h in run(params.model_validate({"test": "B324"}), index)] == ["B324"]
    high = run(params.model_validate({"severity": "high", "confidence": "high"}), index)
    assert {h.key for h in high} <= {"B324", "B201", "B501"} and high
    assert len(run(params.model_validate({}), index)) == 9
    assert run(params.model_validate({"role": "test"}), index) == []


def test_bad_level_is_a_rule_error(tmp_path: Path) -> None:
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(RULES.replace("test: [B105, B106, B107]}}}", "severity: severe}}}"), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"unknown level 'severe' \(LOW, MEDIUM, HIGH\)"):
        load_rule_files([rules_file])


def test_bandit_facts_are_cached_with_the_others(tmp_path: Path, checklist: Checklist) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "main.py").write_text(RISKY, encoding="utf-8")
    cache_dir = tmp_path / "cache"
    scan(root, checklist, ScanOptions(jobs=1, cache_dir=cache_dir))
    entries = list(cache_dir.glob("??/*.json"))
    assert len(entries) == 1
    cached = FactCache(cache_dir).get(entries[0].stem)
    assert cached is not None and any(f["t"] == "bandit" for f in cached["facts"])
    assert cached["facts"] == facts_of(root)[0].facts


def test_not_text_skips_findings_by_message(tmp_path: Path) -> None:
    (tmp_path / "auth.py").write_text(
        'def token(t):\n    return dict(access_token=t, token_type="bearer")\n\n\n'
        'def connect(db):\n    return db.connect(user="app", password="s3cr3t")\n', encoding="utf-8")
    files = facts_of(tmp_path)
    params, run = MATCHERS["bandit"].params, MATCHERS["bandit"].run
    assert [h.line for h in run(params.model_validate({"test": ["B106"]}), FactIndex(files))] == [2, 6]
    kept = run(params.model_validate({"test": ["B106"], "not_text": "(?i)'(bearer|basic)?'$"}), FactIndex(files))
    assert [h.line for h in kept] == [6]
