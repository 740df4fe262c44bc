"""``python.middleware_metrics``: metrics recorded per request in code registered as HTTP middleware."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.testing import check_leaf

LEAF = {"python.middleware_metrics": {}}

FASTAPI = """\
import time
from fastapi import FastAPI
from prometheus_client import Counter, Histogram

REQS = Counter("reqs", "n")
LAT = Histogram("lat", "s")
app = FastAPI()


@app.middleware("http")
async def measure(request, call_next):
    start = time.perf_counter()
    response = await call_next(request)
    REQS.labels(request.method).inc()
    LAT.observe(time.perf_counter() - start)
    return response
"""

STARLETTE_CLASSES = """\
from starlette.middleware.base import BaseHTTPMiddleware
from app.metrics import LAT, REQS


class Timing(BaseHTTPMiddleware):
    async def dispatch(self, request, call_next):
        with LAT.time():
            return await call_next(request)


class Counting:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        REQS.inc()
        await self.app(scope, receive, send)


class Registered:
    async def handle(self, request):
        REQS.labels("x").inc()


app.add_middleware(Registered)
"""

FLASK = """\
import time
from flask import Flask, g
from app.metrics import LAT, statsd

app = Flask(__name__)


@app.before_request
def start():
    g.t = time.time()


def finish(response):
    LAT.observe(time.time() - g.t)
    statsd.timing("view", time.time() - g.t)
    return response


app.after_request(finish)
"""

DJANGO = """\
from django.utils.deprecation import MiddlewareMixin
from app.metrics import REQS


def counting(get_response):
    def middleware(request):
        REQS.inc()
        return get_response(request)
    return middleware


class Old(MiddlewareMixin):
    def process_response(self, request, response):
        REQS.labels(response.status_code).inc()
        return response
"""

NOT_MIDDLEWARE = """\
import time
from fastapi import FastAPI
from app.metrics import ORDERS

app = FastAPI()


@app.middleware("http")
async def log_only(request, call_next):
    start = time.time()
    response = await call_next(request)
    print(time.time() - start)
    return response


@app.post("/orders")
async def create():
    ORDERS.inc()


def helper(get_response_not):
    ORDERS.inc()
"""


@pytest.mark.parametrize(("source", "lines"), [
    (FASTAPI, [14, 15]),
    (STARLETTE_CLASSES, [7, 16, 22]),
    (FLASK, [14, 15]),
    (DJANGO, [7, 14]),
])
def test_recordings_inside_registered_middleware_are_hits(tmp_path: Path, source: str, lines: list[int]) -> None:
    check = check_leaf(tmp_path, LEAF, {"app/main.py": source})
    assert check.holds
    assert check.lines == lines


def test_clock_readings_and_recordings_elsewhere_are_not(tmp_path: Path) -> None:
    check = check_leaf(tmp_path, LEAF, {"app/main.py": NOT_MIDDLEWARE})
    assert not check.holds and check.hits == []


def test_records_option_narrows_what_counts(tmp_path: Path) -> None:
    check = check_leaf(tmp_path, {"python.middleware_metrics": {"records": ["*.observe"]}}, {"app/main.py": FASTAPI})
    assert check.lines == [15]
    assert [h.key for h in check.hits] == ["LAT.observe"]


def test_test_files_do_not_count_by_default(tmp_path: Path) -> None:
    assert not check_leaf(tmp_path, LEAF, {"tests/test_app.py": FASTAPI}).holds
    assert check_leaf(tmp_path, {"python.middleware_metrics": {"role": "test"}}).holds
