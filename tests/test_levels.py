"""Levels: the checklist's `levels:` key, the level in every report, and `--require-level` in the gate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.errors import ConfigError
from auditor.levels import compute_level, level_items
from auditor.model import ChecklistInfo, ItemResult, ProjectInfo, Report, Summary, ToolInfo, Waiver
from auditor.rules.load import load_checklist
from auditor.rules.schema import ChecklistSpec
from tests.adoption_helpers import CHECKLIST, make_project, run_cli, scan_args, write_checklist

LEVELS = """\
levels:
- id: bronze
  require:
  - {sections: [sec], severity: high}
- id: silver
  require:
  - {severity: high}
  - {items: [sec.hashing], status: partial}
- id: gold
  require:
  - {severity: low}
"""


def _spec() -> ChecklistSpec:
    import yaml

    return ChecklistSpec.model_validate(yaml.safe_load(CHECKLIST + LEVELS))


def _report(**statuses: str) -> Report:
    spec = _spec()
    items = [ItemResult(id=i.id, section=s.title, title=i.title, status=statuses.get(i.id.replace(".", "_"),
                                                                                          "implemented"),
                        severity=i.severity) for s, i in spec.items()]
    return Report(tool=ToolInfo(name="t", version="0"), project=ProjectInfo(root=".", files_scanned=1),
                  checklist=ChecklistInfo(path="c", items=len(items)), summary=Summary(), items=items)


def test_level_items_select_by_section_severity_and_id() -> None:
    spec = _spec()
    bronze, silver, gold = spec.levels
    assert level_items(bronze, spec) == [("sec.timeouts", "implemented")]
    assert level_items(silver, spec) == [("sec.timeouts", "implemented"), ("sec.hashing", "partial"),
                                         ("ops.docker", "implemented")]
    assert [i for i, _ in level_items(gold, spec)] == ["sec.timeouts", "sec.hashing", "ops.docker", "ops.uploads"]


@pytest.mark.parametrize(("statuses", "name", "nxt", "unmet"), [
    ({}, "gold", None, []),
    ({"sec_timeouts": "partial"}, None, "bronze", ["sec.timeouts"]),
    ({"ops_docker": "missing"}, "bronze", "silver", ["ops.docker"]),
    ({"sec_hashing": "partial"}, "silver", "gold", ["sec.hashing"]),  # partial is enough for silver only
    ({"sec_hashing": "missing", "ops_uploads": "not_applicable"}, "bronze", "silver", ["sec.hashing"]),
    ({"ops_uploads": "missing"}, "silver", "gold", ["ops.uploads"]),
])
def test_compute_level(statuses: dict[str, str], name: str | None, nxt: str | None, unmet: list[str]) -> None:
    info = compute_level(_report(**statuses), _spec())
    assert info is not None
    assert (info.name, info.next, info.unmet) == (name, nxt, unmet)
    assert info.levels == ["bronze", "silver", "gold"]


def test_waived_item_counts_as_met_and_no_levels_means_none() -> None:
    report = _report(sec_timeouts="missing")
    report.items[0].waiver = Waiver(reason="r", expires="2099-01-01")
    assert compute_level(report, _spec()).name == "gold"  # type: ignore[union-attr]
    assert compute_level(report, ChecklistSpec.model_validate({"sections": []})) is None


@pytest.mark.parametrize(("levels", "message"), [
    ("levels:\n- id: b\n  require:\n  - {sections: [secc]}\n",
     r"level 'b' names unknown section 'secc' \(did you mean 'sec'\?\)"),
    ("levels:\n- id: b\n  require:\n  - {items: [ops.dockr]}\n", r"level 'b' names unknown item 'ops.dockr'"),
    ("levels:\n- id: b\n  require:\n  - {status: partial}\n",
     r"level 'b': a requirement needs items, sections or severity"),
    ("levels:\n- id: b\n  require: [{severity: high}]\n- id: b\n  require: [{severity: low}]\n",
     r"level 'b' appears twice"),
    ("levels:\n- id: b\n  require:\n  - {severity: hihg}\n", r"levels.0.require.0.severity: Input should be"),
])
def test_bad_levels_name_file_and_line(tmp_path: Path, levels: str, message: str) -> None:
    checklist, rules = write_checklist(tmp_path)
    checklist.write_text(CHECKLIST + levels, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"tiny-checklist.yaml:\d+:\d+: (levels[.\d\w]*: )?" + message):
        load_checklist(checklist, [rules])


def test_every_report_has_its_level_and_the_gate_requires_one(tmp_path: Path) -> None:
    checklist, rules = write_checklist(tmp_path / "audit")
    checklist.write_text(CHECKLIST + LEVELS, encoding="utf-8")
    project = make_project(tmp_path / "p", docker=False)
    result = run_cli(scan_args(project, checklist, rules, "--format", "json"))
    level = json.loads(result.stdout)["level"]
    assert level == {"name": "bronze", "next": "silver", "unmet": ["ops.docker"],
                     "levels": ["bronze", "silver", "gold"]}
    assert run_cli(scan_args(project, checklist, rules, "--require-level", "bronze")).exit_code == 0
    failed = run_cli(scan_args(project, checklist, rules, "--require-level", "silver"))
    assert failed.exit_code == 1
    assert "level bronze is below the required level silver: silver still needs ops.docker" in failed.stderr
    text = run_cli(scan_args(project, checklist, rules)).stdout
    assert "level bronze; silver needs 1 more item(s): ops.docker" in text
    typo = run_cli(scan_args(project, checklist, rules, "--require-level", "silvr"))
    assert typo.exit_code == 2 and "unknown level 'silvr' (did you mean 'silver'?)" in typo.stderr
    (project / ".auditor.yaml").write_text("require_level: gold\n", encoding="utf-8")
    assert "required level gold" in run_cli(scan_args(project, checklist, rules)).stderr
    (project / ".auditor.yaml").write_text("fail_under: 0.1\nrequire_level: platinum\n", encoding="utf-8")
    bad = run_cli(scan_args(project, checklist, rules))
    assert bad.exit_code == 2 and ".auditor.yaml:2: require_level: unknown level 'platinum'" in bad.stderr


def test_bundled_checklist_levels() -> None:
    from auditor.rules.load import default_paths

    path, rules = default_paths()
    cl = load_checklist(path, rules)
    assert [lv.id for lv in cl.spec.levels] == ["bronze", "silver", "gold"]
