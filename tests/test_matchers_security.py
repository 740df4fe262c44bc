"""``within: line``: every child of an ``all`` holds on one source line."""

from __future__ import annotations

from pathlib import Path

from auditor.engine.scan import ScanOptions, extract_tree
from auditor.matchers.index import FactIndex
from auditor.rules.conditions import parse_condition
from auditor.rules.evaluate import Evaluator

SOURCE = """\
import os

SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-secret"
API_TOKEN = os.environ.get("API_TOKEN")
NAME = "hello"
"""


def _run(tmp_path: Path, within: str) -> tuple[bool, list[int]]:
    (tmp_path / "settings.py").write_text(SOURCE, encoding="utf-8")
    files, _ = extract_tree(tmp_path, ScanOptions(jobs=1))
    cond = parse_condition({
        "all": [
            {"python.assign": {"target": ".*(SECRET_KEY|TOKEN)"}},
            {"python.string": {"pattern": "^(?![A-Z][A-Z0-9_]*$)."}},
        ],
        "within": within,
    }, "t.yaml", {}, ())
    ok, hits = Evaluator(FactIndex(files), {}).run(cond)
    return ok, sorted({h.line for h in hits})


def test_within_line_pairs_facts_on_the_same_line(tmp_path: Path) -> None:
    ok, lines = _run(tmp_path, "line")
    assert ok
    assert lines == [3]


def test_within_file_pairs_facts_anywhere_in_the_file(tmp_path: Path) -> None:
    ok, lines = _run(tmp_path, "file")
    assert ok
    assert lines == [3, 4, 5]
