"""``within: line``: every child of an ``all`` holds on one source line."""

from __future__ import annotations

from pathlib import Path

from auditor.testing import check_leaf

SOURCE = """\
import os

SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-secret"
API_TOKEN = os.environ.get("API_TOKEN")
NAME = "hello"
"""


def _run(tmp_path: Path, within: str) -> tuple[bool, list[int]]:
    check = check_leaf(tmp_path, {
        "all": [
            {"python.assign": {"target": ".*(SECRET_KEY|TOKEN)"}},
            {"python.string": {"pattern": "^(?![A-Z][A-Z0-9_]*$)."}},
        ],
        "within": within,
    }, {"settings.py": SOURCE})
    return check.holds, check.lines


def test_within_line_pairs_facts_on_the_same_line(tmp_path: Path) -> None:
    ok, lines = _run(tmp_path, "line")
    assert ok
    assert lines == [3]


def test_within_file_pairs_facts_anywhere_in_the_file(tmp_path: Path) -> None:
    ok, lines = _run(tmp_path, "file")
    assert ok
    assert lines == [3, 4, 5]
