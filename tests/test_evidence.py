"""Evidence selection: spans the matching conditions and files, strongest file first."""

from __future__ import annotations

from auditor.evaluate import select_evidence
from auditor.index import Hit


def test_each_condition_names_its_strongest_file_first() -> None:
    hits = [
        Hit("app/a.py", 3, leaf=0),
        Hit("app/models.py", 10, leaf=0),
        Hit("app/models.py", 20, leaf=0),
        Hit("app/models.py", 30, leaf=0),
        Hit("alembic.ini", 1, leaf=1),
    ]
    assert select_evidence(hits, limit=3) == [("app/models.py", 10), ("alembic.ini", 1), ("app/a.py", 3)]


def test_fills_with_more_lines_when_files_run_out() -> None:
    hits = [Hit("x.py", n, leaf=0) for n in (9, 3, 5)]
    assert select_evidence(hits, limit=5) == [("x.py", 3), ("x.py", 5), ("x.py", 9)]


def test_deterministic_whatever_the_hit_order() -> None:
    hits = [Hit(f"f{i % 4}.py", i, leaf=i % 2) for i in range(20)]
    assert select_evidence(hits) == select_evidence(list(reversed(hits)))


def test_presence_conditions_are_cited_after_use() -> None:
    hits = [Hit("app/errors.py", 1, leaf=0), Hit("app/api/items.py", 12, leaf=1)]
    assert select_evidence(hits, presence={0})[0] == ("app/api/items.py", 12)
