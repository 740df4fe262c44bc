"""``within: line`` (every child of an ``all`` holds on one source line) and ``within: key``
(they share a key, in any files)."""

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


METRICS = """\
from prometheus_client import Counter, Gauge

orders = Counter("orders_total", "Orders", ["kind"])
stale = Gauge("stale_jobs", "Never set")
"""
FEED = """\
from app import metrics


def process(order):
    metrics.orders.labels(kind=order.kind).inc()
"""


def _keyed(tmp_path: Path, within: str) -> tuple[bool, list[str]]:
    check = check_leaf(tmp_path, {
        "all": [
            {"python.call": {"name": ["prometheus_client.Counter", "prometheus_client.Gauge"], "key_by": "target"}},
            {"python.call": {"name": ["*.inc", "*.set"], "key_by": "receiver"}},
        ],
        "within": within,
    }, {"app/metrics.py": METRICS, "app/orders.py": FEED})
    return check.holds, sorted(f"{h.path}:{h.line}:{h.key}" for h in check.hits)


def test_within_key_joins_a_metric_to_its_update_in_another_file(tmp_path: Path) -> None:
    ok, hits = _keyed(tmp_path, "key")
    assert ok
    assert hits == ["app/metrics.py:3:orders", "app/orders.py:5:orders"]  # the gauge never set is left out


def test_keyed_hits_in_different_files_share_no_file(tmp_path: Path) -> None:
    assert _keyed(tmp_path, "file") == (False, [])
