"""Engine stages, one benchmark each: discover, extract Python, extract config, match leaves,
evaluate (over all facts, and over per-file results as a scan does), render."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from auditor.engine.discover import discover
from auditor.engine.plan import LeafPlan
from auditor.engine.scan import BATCH_FILES, ScanOptions, extract_tree
from auditor.facts import FileFacts
from auditor.facts.extract import extract_bytes
from auditor.render.jsonout import render_json
from auditor.render.text import render_text
from auditor.rules.evaluate import evaluate
from auditor.rules.schema import Checklist


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
def facts_of(tree: Path) -> list[FileFacts]:
    files, _ = extract_tree(tree, ScanOptions(jobs=1))
    return files


def test_evaluate(benchmark: Any, tree: Path, facts_of: list[FileFacts], checklist: Checklist) -> None:
    report = benchmark(evaluate, checklist, facts_of, tree)
    assert report.items


def test_match_leaves_in_batches(benchmark: Any, facts_of: list[FileFacts], checklist: Checklist) -> None:
    """What a worker does after extracting a batch: every leaf condition over its files."""
    plan = LeafPlan(checklist)
    results = benchmark(lambda: [r for i in range(0, len(facts_of), BATCH_FILES)
                                 for r in plan.match(facts_of[i:i + BATCH_FILES])])
    assert any(r.hits for r in results)


def test_evaluate_from_results(benchmark: Any, tree: Path, facts_of: list[FileFacts], checklist: Checklist) -> None:
    """What the main process does once the workers are done: rules over per-file hits."""
    plan = LeafPlan(checklist)
    results = plan.match(facts_of)
    light = [r.light() for r in results]
    report = benchmark(lambda: evaluate(checklist, light, tree, leaf_source=plan.source(results)))
    assert report.items


def test_render(benchmark: Any, tree: Path, facts_of: list[FileFacts], checklist: Checklist) -> None:
    report = evaluate(checklist, facts_of, tree)
    benchmark(lambda: (render_json(report), render_text(report)))


def test_warm_extract_from_cache(benchmark: Any, tree: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    cache = tmp_path_factory.mktemp("cache")
    options = ScanOptions(jobs=1, cache_dir=cache)
    extract_tree(tree, options)
    files, _ = benchmark(extract_tree, tree, options)
    assert files
