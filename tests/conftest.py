"""Shared fixtures: the bundled checklist, loaded once."""

from __future__ import annotations

import pytest

from auditor.rules.load import default_paths, load_checklist
from auditor.rules.schema import Checklist


@pytest.fixture(scope="session")
def checklist() -> Checklist:
    checklist_path, rule_paths = default_paths()
    return load_checklist(checklist_path, rule_paths)
