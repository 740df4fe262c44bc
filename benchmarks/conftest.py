"""Benchmarks of the engine's stages (pytest-benchmark). Not part of the default test run
(pytest's testpaths is tests/); run them with:

    /work/venv/bin/python -m pytest benchmarks --benchmark-only

Whole-process comparisons with bandit and the linearity check are scripts: see README.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from auditor.rules.load import default_paths, load_checklist
from auditor.rules.schema import Checklist

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gen_tree import generate

REFERENCE = Path(__file__).resolve().parent.parent / "fixtures" / "reference-service"


@pytest.fixture(scope="session")
def checklist() -> Checklist:
    checklist_path, rule_paths = default_paths()
    return load_checklist(checklist_path, rule_paths)


@pytest.fixture(scope="session")
def generated_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated service of 400 Python files plus configs."""
    root = tmp_path_factory.mktemp("bench") / "tree"
    generate(root, 400)
    return root


@pytest.fixture(scope="session", params=["reference-service", "generated-400"])
def tree(request: pytest.FixtureRequest, generated_tree: Path) -> Path:
    return REFERENCE if request.param == "reference-service" else generated_tree
