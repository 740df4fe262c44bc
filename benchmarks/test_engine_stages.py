"""Engine stages, one benchmark each: discover, extract Python, extract config, match leaves,
evaluate (over all facts, and over per-file results as a scan does), render."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from auditor.engine.discover import discover
from auditor.engine.executors import BATCH_FILES
from auditor.engine.plan import LeafPlan
from auditor.engine.scan import ScanOptions, match
from auditor.facts import FileFacts
from auditor.facts.extract import extract_bytes
from auditor.render.jsonout import render_json
from auditor.render.text import render_text
from auditor.rules.evaluate import evaluate
from auditor.rules.schema import Checklist
from auditor.testing import facts_of


def _sources(root: Path, python: bool) -> list[tuple[Any, bytes]]:
    found = discover(root)
    return [(s, (root / s.path).read_bytes()) for s in found.files if (s.kind == "python") == python]


def test_discover(benchmark: Any, tree: Path) -> None:
    found = benchmark(discover, tree)
    assert found.files


def test_extract_python(benchmark: Any, tree: Path) -> None:
    sources = _sources(tree, python=True)
    facts = benchmark(lambda: [extract_bytes(s, d) for s, d in sources])
    assert any(f.facts for f in facts)


def test_extract_config(benchmark: Any, tree: Path) -> None:
    sources = _sources(tree, python=False)
    benchmark(lambda: [extract_bytes(s, d) for s, d in sources])


@pytest.fixture(scope="module")
def tree_facts(tree: Path) -> list[FileFacts]:
    return facts_of(tree)


def test_match_leaves_in_batches(benchmark: Any, tree_facts: list[FileFacts], checklist: Checklist) -> None:
    """What a worker does after extracting a batch: every leaf condition over its files."""
    plan = LeafPlan(checklist)
    results = benchmark(lambda: [r for i in range(0, len(tree_facts), BATCH_FILES)
                                 for r in plan.match(tree_facts[i:i + BATCH_FILES])])
    assert any(r.hits for r in results)


def test_evaluate_from_results(benchmark: Any, tree: Path, tree_facts: list[FileFacts], checklist: Checklist) -> None:
    """What the main process does once the workers are done: rules over per-file hits."""
    plan = LeafPlan(checklist)
    results = plan.match(tree_facts)
    light = [r.light() for r in results]
    report = benchmark(lambda: evaluate(checklist, light, tree, plan.source(results)))
    assert report.items


def test_render(benchmark: Any, tree: Path, tree_facts: list[FileFacts], checklist: Checklist) -> None:
    plan = LeafPlan(checklist)
    results = plan.match(tree_facts)
    report = evaluate(checklist, [r.light() for r in results], tree, plan.source(results))
    benchmark(lambda: (render_json(report), render_text(report)))


def test_warm_match_from_cache(benchmark: Any, tree: Path, checklist: Checklist,
                               tmp_path_factory: pytest.TempPathFactory) -> None:
    cache = tmp_path_factory.mktemp("cache")
    options = ScanOptions(jobs=1, cache_dir=cache)
    match(tree, checklist, options)
    matched = benchmark(match, tree, checklist, options)
    assert matched.results
