"""docs/rules.md's worked example is real: its rule file's examples pass through the scan, and
its checklist loads with the bundled rules added (a custom item reuses ``db-pooling``)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import main
from auditor.rules.load import load_selected_checklist

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "rules.md"


def doc_files() -> dict[str, str]:
    """The fenced YAML blocks that open with ``# NAME``: NAME -> text."""
    blocks = re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    return {m.group(1): block for block in blocks if (m := re.match(r"# (\S+)\n", block))}


@pytest.fixture
def written(tmp_path: Path) -> Path:
    files = doc_files()
    assert set(files) == {"team-rules.yaml", "team-checklist.yaml"}
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_the_worked_rules_examples_pass(written: Path) -> None:
    result = CliRunner().invoke(main, ["test-rules", str(written / "team-rules.yaml")])
    assert result.exit_code == 0, result.output
    assert "4 example(s), 0 failed" in result.output


def test_the_worked_checklist_loads_with_the_bundled_rules(written: Path) -> None:
    checklist = load_selected_checklist(str(written / "team-checklist.yaml"), (str(written / "team-rules.yaml"),))
    assert checklist.item_ids() == ["team.owners", "team.db-pool"]
    assert checklist.rules["db-pooling"].source.endswith("database.yaml")


def test_a_scan_with_the_worked_checklist(written: Path) -> None:
    project = written / "svc"
    (project / ".github").mkdir(parents=True)
    (project / "app.py").write_text("import sqlalchemy\nengine = sqlalchemy.create_engine(URL, pool_size=10)\n")
    (project / ".github" / "CODEOWNERS").write_text("*  @acme/payments\n")
    result = CliRunner().invoke(main, ["scan", str(project), "--no-cache", "--format", "json", "--checklist",
                                       str(written / "team-checklist.yaml"), "--rules",
                                       str(written / "team-rules.yaml")])
    assert result.exit_code == 0, result.output
    status = {i["id"]: i["status"] for i in json.loads(result.stdout)["items"]}
    assert status == {"team.owners": "implemented", "team.db-pool": "implemented"}


def test_readme_and_docs_link_the_rules_doc() -> None:
    assert "docs/rules.md" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert "rules.md" in (ROOT / "docs" / "ci.md").read_text(encoding="utf-8") \
        or "rules.md" in (ROOT / "docs" / "vocabulary.md").read_text(encoding="utf-8")
