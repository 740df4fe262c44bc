"""The baseline ratchet: write, compare (regression vs improvement), tighten, and not_applicable handling."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from adoption_helpers import make_project, run_cli, scan_args, write_checklist

from auditor.adopt.baseline import Baseline, compare, is_improvement, is_regression, load_baseline, tighten
from auditor.errors import ConfigError
from auditor.model import ChecklistInfo, ItemResult, ProjectInfo, Report, Summary, ToolInfo


@pytest.fixture()
def tiny(tmp_path: Path) -> tuple[Path, Path]:
    return write_checklist(tmp_path / "checklist")


def _baseline_args(root: Path, tiny: tuple[Path, Path], *extra: str) -> list[str]:
    return ["baseline", str(root), "--checklist", str(tiny[0]), "--rules", str(tiny[1]),
            "--no-cache", "-j", "1", *extra]


def _report(statuses: dict[str, str]) -> Report:
    items = [ItemResult(id=k, section="s", title=k, status=v) for k, v in statuses.items()]  # type: ignore[arg-type]
    return Report(tool=ToolInfo(name="t", version="0"), project=ProjectInfo(root=".", files_scanned=0),
                  checklist=ChecklistInfo(path="c", items=len(items), name="Tiny checklist"), summary=Summary(),
                  items=items)


def test_baseline_file_is_small_and_reviewable(tmp_path: Path, tiny: tuple[Path, Path]) -> None:
    root = make_project(tmp_path / "p", timeouts="partial")
    result = run_cli(_baseline_args(root, tiny))
    assert result.exit_code == 0, result.stderr
    text = (root / ".auditor-baseline.yaml").read_text(encoding="utf-8")
    assert text.startswith("# checklist-auditor baseline")
    assert yaml.safe_load(text) == {
        "checklist": "Tiny checklist", "version": 1, "item_count": 4,
        "items": {"sec.timeouts": "partial", "sec.hashing": "implemented", "ops.docker": "implemented",
                  "ops.uploads": "not_applicable"},
    }
    again = run_cli(_baseline_args(root, tiny))
    assert again.exit_code == 2 and "baseline exists; use --update" in again.stderr


def test_regression_fails_and_improvement_passes(tmp_path: Path, tiny: tuple[Path, Path]) -> None:
    root = make_project(tmp_path / "p", timeouts="partial")
    assert run_cli(_baseline_args(root, tiny)).exit_code == 0
    baseline = str(root / ".auditor-baseline.yaml")

    make_project(root, timeouts="implemented", hashing=False)  # one better, one worse
    result = run_cli(scan_args(root, *tiny, "--baseline", baseline))
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert "auditor: improved: sec.timeouts was partial, now implemented" in lines[0]
    assert lines[-1] == "auditor: gate failed: regression: sec.hashing was implemented, now missing"

    make_project(root, timeouts="implemented", hashing=True)  # only the improvement
    result = run_cli(scan_args(root, *tiny, "--baseline", baseline))
    assert result.exit_code == 0
    assert result.stderr.strip().splitlines() == [
        "auditor: improved: sec.timeouts was partial, now implemented "
        "(run `auditor baseline --update` to tighten the baseline)",
        "auditor: gate passed",
    ]


def test_update_tightens_and_never_loosens(tmp_path: Path, tiny: tuple[Path, Path]) -> None:
    root = make_project(tmp_path / "p", timeouts="partial")
    assert run_cli(_baseline_args(root, tiny)).exit_code == 0
    make_project(root, timeouts="implemented", hashing=False)
    result = run_cli(_baseline_args(root, tiny, "--update"))
    assert result.exit_code == 0
    assert "auditor: baseline: sec.timeouts: partial -> implemented" in result.stderr
    items = yaml.safe_load((root / ".auditor-baseline.yaml").read_text(encoding="utf-8"))["items"]
    assert items["sec.timeouts"] == "implemented"
    assert items["sec.hashing"] == "implemented"  # the regression was not written in


def test_moving_code_between_files_is_not_a_change(tmp_path: Path, tiny: tuple[Path, Path]) -> None:
    root = make_project(tmp_path / "p")
    assert run_cli(_baseline_args(root, tiny)).exit_code == 0
    (root / "app" / "main.py").rename(root / "app" / "service.py")
    result = run_cli(scan_args(root, *tiny, "--baseline", str(root / ".auditor-baseline.yaml")))
    assert result.exit_code == 0
    assert result.stderr.strip() == "auditor: gate passed"


def test_baseline_from_config_and_a_missing_file(tmp_path: Path, tiny: tuple[Path, Path]) -> None:
    root = make_project(tmp_path / "p")
    (root / ".auditor.yaml").write_text("baseline: audit-baseline.yaml\n", encoding="utf-8")
    missing = run_cli(scan_args(root, *tiny))
    assert missing.exit_code == 2
    assert "audit-baseline.yaml: baseline file not found (create it with `auditor baseline`)" in missing.stderr
    assert run_cli(_baseline_args(root, tiny)).exit_code == 0
    assert (root / "audit-baseline.yaml").is_file()
    make_project(root, docker=False)
    result = run_cli(scan_args(root, *tiny))
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == ("auditor: gate failed: regression: ops.docker was implemented, "
                                                      "now missing")


def test_malformed_baseline_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "b.yaml"
    path.write_text("items:\n  a: done\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"b\.yaml:2:\d+: items\.a: Input should be"):
        load_baseline(path)


@pytest.mark.parametrize(("before", "after", "regression", "improvement"), [
    ("implemented", "partial", True, False),
    ("partial", "missing", True, False),
    ("missing", "partial", False, True),
    ("partial", "implemented", False, True),
    ("implemented", "implemented", False, False),
    ("not_applicable", "missing", True, False),  # it now applies and is not done: new code brought a gap
    ("not_applicable", "partial", True, False),
    ("not_applicable", "implemented", False, True),
    ("missing", "not_applicable", False, False),  # no longer applies: neither
    ("implemented", "not_applicable", False, False),
])
def test_status_order(before: str, after: str, regression: bool, improvement: bool) -> None:
    assert is_regression(before, after) is regression
    assert is_improvement(before, after) is improvement


def test_compare_skips_waived_and_notes_new_items() -> None:
    report = _report({"a": "missing", "b": "implemented", "c": "missing"})
    from auditor.model import Waiver

    report.items[0].waiver = Waiver(reason="r", expires="2030-01-01")
    diff = compare(Baseline(checklist="Tiny checklist", items={"a": "implemented", "b": "partial"}), report)
    assert diff.regressions == []
    assert [c.item for c in diff.improvements] == ["b"]
    assert diff.notes == ["baseline: 1 item(s) not in the baseline, not compared: c"]


def test_tighten_adds_new_items_and_drops_removed_ones() -> None:
    old = Baseline(checklist="Tiny checklist", items={"a": "partial", "gone": "missing"})
    new, changes = tighten(old, _report({"a": "implemented", "n": "missing"}))
    assert new.items == {"a": "implemented", "n": "missing"}
    assert [(c.item, c.before, c.after) for c in changes] == [
        ("a", "partial", "implemented"), ("n", "(new)", "missing"), ("gone", "missing", "(removed)")]
