"""A call matched for a keyword it passes cites the keyword's line when the call spans lines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auditor.testing import check_leaf

SOURCE = """\
import tenacity
from sqlalchemy import create_engine

engine = create_engine(
    "postgresql://db/app",
    pool_size=5,
    pool_pre_ping=True,
)
one_line = create_engine("sqlite://", pool_recycle=60)


@tenacity.retry(
    stop=tenacity.stop_after_attempt(3),
    wait=tenacity.wait_exponential(multiplier=1),
)
def fetch():
    ...
"""


def _hits(tmp_path: Path, kind: str, params: dict[str, Any]) -> list[tuple[int, str]]:
    check = check_leaf(tmp_path, {kind: params}, {"app.py": SOURCE})
    return sorted((h.line, h.key) for h in check.hits)


def test_keyword_presence_cites_the_keyword_line(tmp_path: Path) -> None:
    engine = {"name": ["sqlalchemy.create_engine"]}
    assert _hits(tmp_path, "python.call", {**engine, "kwargs": ["pool_pre_ping"]}) == [(7, "pool_pre_ping")]
    # a call on one line: its line
    assert _hits(tmp_path, "python.call", {**engine, "kwargs": ["pool_recycle"]}) == [(9, "pool_recycle")]


def test_keyword_value_cites_the_keyword_line(tmp_path: Path) -> None:
    assert [line for line, _ in _hits(tmp_path, "python.call",
                                      {"name": ["sqlalchemy.create_engine"], "kwarg": {"pool_size": "5"}})] == [6]
    retry = {"name": ["tenacity.retry"], "kwarg": {"wait": "wait_exponential"}}
    assert _hits(tmp_path, "python.decorator", retry) == [(14, "tenacity.wait_exponential()")]


def test_conditions_without_a_keyword_cite_the_call_line(tmp_path: Path) -> None:
    engine = {"name": ["sqlalchemy.create_engine"]}
    assert [line for line, _ in _hits(tmp_path, "python.call", {**engine, "arg": "postgresql"})] == [4]
    # the positional argument decided last
    by_arg = {**engine, "kwargs": ["pool_size"], "first_arg": "postgres"}
    assert [line for line, _ in _hits(tmp_path, "python.call", by_arg)] == [4]
    by_absence = {**engine, "not_kwarg": {"poolclass": "NullPool"}}
    assert [line for line, _ in _hits(tmp_path, "python.call", by_absence)] == [4, 9]
