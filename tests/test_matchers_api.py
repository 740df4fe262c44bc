"""``distinct_by``: ``distinct`` counts the texts a regex finds in the matched values."""

from __future__ import annotations

from pathlib import Path

from auditor.testing import check_leaf

ONE_VERSION = """\
from fastapi import FastAPI

app = FastAPI()


@app.get("/api/v1")
def root(): ...


@app.get("/api/v1/tasks")
def tasks(): ...
"""

TWO_VERSIONS = ONE_VERSION + """

@app.get("/api/v2/tasks")
def tasks_v2(): ...
"""


def _holds(tmp_path: Path, source: str, by: str | None) -> bool:
    params: dict[str, object] = {"name": ["*.get"], "arg": r"(^|/)v\d+(?=/|$)", "distinct": 2}
    if by is not None:
        params["distinct_by"] = r"(?<![A-Za-z0-9])v\d+"
    return check_leaf(tmp_path, {"python.decorator": params}, {"main.py": source}).holds


def test_distinct_counts_whole_values_by_default(tmp_path: Path) -> None:
    assert _holds(tmp_path, ONE_VERSION, None)


def test_distinct_by_counts_the_found_text(tmp_path: Path) -> None:
    assert not _holds(tmp_path, ONE_VERSION, "v")


def test_distinct_by_holds_with_two_found_texts(tmp_path: Path) -> None:
    assert _holds(tmp_path, TWO_VERSIONS, "v")


RECEIVERS = """\
import threading

from sqlalchemy import create_engine

engine = create_engine("sqlite://")
lock = threading.Lock()


def work(conn):
    lock.acquire()
    engine.connect()
    conn.acquire()
"""


def _call_lines(tmp_path: Path, **params: object) -> list[int]:
    return check_leaf(tmp_path, {"python.call": {"name": ["*.acquire", "*.connect"], **params}},
                      {"main.py": RECEIVERS}).lines


def test_receiver_resolves_what_a_method_is_called_on(tmp_path: Path) -> None:
    assert _call_lines(tmp_path) == [10, 11, 12]
    assert _call_lines(tmp_path, not_receiver=["threading.*"]) == [11, 12]  # the lock, by its builder
    assert _call_lines(tmp_path, receiver=["sqlalchemy.*"]) == [11]
    assert _call_lines(tmp_path, not_receiver=["con*"]) == [10, 11]  # unknown: judged by its text


BOUND = """\
from app.models import Site, Status

DEFAULT_HOST = "localhost"


def lookups(request, host, ids):
    Site.objects.filter(hostname="localhost")
    Site.objects.filter(hostname=DEFAULT_HOST, status=Status.ACTIVE)
    Site.objects.filter(kind=Site)
    Site.objects.filter(hostname=host)
    Site.objects.filter(hostname=request.get_host())
    Site.objects.filter(pk__in=[1, ids])
    Site.objects.filter(hostname=request.GET["q"])
"""


def _bound_lines(tmp_path: Path, bound: bool) -> list[int]:
    return check_leaf(tmp_path, {"python.call": {"name": ["*.objects.filter"], "bound": bound}},
                      {"main.py": BOUND}).lines


def test_bound_tells_runtime_values_from_literals_constants_and_classes(tmp_path: Path) -> None:
    assert _bound_lines(tmp_path, True) == [10, 11, 12, 13]
    assert _bound_lines(tmp_path, False) == [7, 8, 9]
