"""Leaves matched file by file, in batches, give what matchers over the whole tree give: every matcher is file-local."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from auditor.engine.plan import LeafPlan
from auditor.engine.results import FileResult
from auditor.matchers import MATCHERS
from auditor.matchers.index import FactIndex
from auditor.rules.schema import Checklist
from auditor.testing import facts_of

pytestmark = pytest.mark.slow  # processes, whole-tree scans or generated cases

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture(scope="module")
def files() -> list:
    return facts_of(FIXTURES / "reference-service")


def test_plan_holds_each_distinct_leaf_once(checklist: Checklist) -> None:
    plan = LeafPlan(checklist)
    assert len(plan.leaves) == len(set(plan.keys)) > 500
    assert plan.keys == sorted(plan.keys)
    assert LeafPlan(checklist).digest == plan.digest
    assert LeafPlan(checklist, "other engine").digest != plan.digest


@pytest.mark.parametrize("batch", [1, 7, 1000])
def test_batched_hits_combine_to_the_whole_tree_hits(checklist: Checklist, files: list, batch: int) -> None:
    plan = LeafPlan(checklist)
    results: list[FileResult] = []
    for start in range(0, len(files), batch):
        results.extend(plan.match(files[start:start + batch]))
    combined = plan.source(results)
    index = FactIndex(files)
    matched_somewhere = 0
    for op, params in plan.leaves:
        whole = MATCHERS[op].run(params, index)
        assert Counter(combined(op, params)) == Counter(whole), f"{op} {params}"
        matched_somewhere += bool(whole)
    assert matched_somewhere > 300  # the comparison covers leaves that hit, not only empty ones


def test_results_round_trip_through_json_and_reject_bad_shapes(checklist: Checklist, files: list) -> None:
    plan = LeafPlan(checklist)
    for result in plan.match(files):
        back = FileResult.from_json(result.path, result.role, result.to_json(), len(plan.leaves))
        assert back == result
    good = plan.match(files[:1])[0].to_json()
    assert FileResult.from_json("x", "runtime", {**good, "hits": {"0": [[1, 2, 3]]}}, 10) is None
    assert FileResult.from_json("x", "runtime", {**good, "hits": {"10": []}}, 10) is None
    assert FileResult.from_json("x", "runtime", {**good, "health": [{"t": "call", "line": 1}]}, 10) is None
    assert FileResult.from_json("x", "runtime", [], 10) is None


def test_unknown_leaf_is_refused(checklist: Checklist) -> None:
    plan = LeafPlan(checklist)
    op, params = plan.leaves[0]
    source = plan.source([])
    assert source(op, params) == []
    with pytest.raises(KeyError):
        source(op, params.model_copy(update={"min_count": 97}))
