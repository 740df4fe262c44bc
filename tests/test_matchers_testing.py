"""The compare fact and matcher, and the test role of Django-style tests.py modules."""

from __future__ import annotations

from auditor.engine.discover import role_of
from auditor.facts import FileFacts
from auditor.facts.python import extract_python
from auditor.matchers.index import FactIndex
from auditor.matchers.python import CompareParams, match_compare


def _index(source: str, path: str = "tests/test_api.py", role: str = "test") -> FactIndex:
    facts = extract_python(source.encode())
    return FactIndex([FileFacts(path=path, kind="python", role=role, facts=facts)])


def test_compare_fact_resolves_names() -> None:
    facts = extract_python(b"from fastapi import status\nassert r.status_code == status.HTTP_404_NOT_FOUND\n")
    compare = [f for f in facts if f["t"] == "compare"]
    assert compare == [{"t": "compare", "line": 2, "scope": "<module>", "left": {"ref": "r.status_code"},
                        "ops": ["=="], "right": [{"ref": "fastapi.status.HTTP_404_NOT_FOUND"}]}]


def test_compare_matches_either_order_and_op() -> None:
    index = _index("def test_x(client):\n    assert r.status_code == 422\n    assert 404 == r.status_code\n"
                   "    assert r.status_code in (400, 401)\n    assert n < 3\n")
    p = CompareParams(left=r"status_code$", right=r"^4\d\d$", role="test")
    assert [h.line for h in match_compare(p, index)] == [2, 3, 4]
    assert [h.scope for h in match_compare(p, index)] == ["test_x"] * 3
    p = CompareParams(left=r"status_code$", right=r"^4\d\d$", op=["in"], role="test")
    assert [h.line for h in match_compare(p, index)] == [4]
    assert match_compare(CompareParams(left="^n$", right="^4$", role="test"), index) == []


def test_django_test_modules_are_test_code() -> None:
    assert role_of("polls/tests.py") == "test"
    assert role_of("hc/test.py") == "test"
    assert role_of("app/tests_pre_start.py") == "runtime"
    assert role_of("app/testing_utils.py") == "runtime"


def test_call_first_arg_looks_at_the_name_only() -> None:
    from auditor.matchers.python import CallParams, match_call

    index = _index('from prometheus_client import Counter\n'
                   'A = Counter("http_requests_total", "Total", ["method"])\n'
                   'B = Counter("orders_total", "Orders", ["channel"])\n', path="app/m.py", role="runtime")
    p = CallParams(name=["prometheus_client.Counter"], first_arg=r"^orders")
    assert [h.line for h in match_call(p, index)] == [3]
    p = CallParams(name=["prometheus_client.Counter"], arg=r"^method$")
    assert [h.line for h in match_call(p, index)] == [2]
    p = CallParams(name=["prometheus_client.Counter"], first_arg=r"^method$")
    assert match_call(p, index) == []
