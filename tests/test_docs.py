"""The reference docs are generated from the checks; the committed copies must be current."""

from __future__ import annotations

from pathlib import Path

from auditor.rules.docs import generate

ROOT = Path(__file__).resolve().parent.parent


def test_generated_docs_are_up_to_date(tmp_path: Path, checklist) -> None:
    for path in generate(tmp_path):
        committed = ROOT / "docs" / path.name
        assert committed.read_text(encoding="utf-8") == path.read_text(encoding="utf-8"), (
            f"docs/{path.name} is stale: run `python -m auditor.rules.docs`"
        )
    items = (tmp_path / "items.md").read_text(encoding="utf-8")
    for item_id in checklist.item_ids():
        assert f'<a id="{item_id}"></a>' in items
    assert "TODO" not in items


def test_every_item_has_words_of_its_own(checklist) -> None:
    for _section, item in checklist.items():
        assert len(item.description) > 60, item.id
        assert len(item.remediation) > 40 and "TODO" not in item.remediation, item.id
