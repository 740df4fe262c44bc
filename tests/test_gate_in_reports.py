"""The gate's verdict in every report, what the repository's own config changed, and a policy CI can pin."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from adoption_helpers import ALL_ITEMS, make_project, run_cli, scan_args, write_checklist


@pytest.fixture()
def tiny(tmp_path: Path) -> tuple[Path, Path]:
    return write_checklist(tmp_path / "checklist")


WEAKENING = {
    "soft_fail": True,
    "select": ["sec.hashing"],
    "waivers": [{"item": i, "reason": "later", "expires": "2099-12-31"} for i in ALL_ITEMS],
}


def _outputs(tmp: Path) -> list[str]:
    return ["--output-json", str(tmp / "r.json"), "--output-markdown", str(tmp / "r.md"),
            "--output-html", str(tmp / "r.html"), "--output-junit", str(tmp / "r.xml"),
            "--output-sarif", str(tmp / "r.sarif")]


def test_a_failed_gate_is_in_every_report(tmp_path: Path, tiny: tuple[Path, Path]) -> None:
    root = make_project(tmp_path / "p", timeouts="partial", docker=False)
    (root / ".auditor.yaml").write_text(yaml.safe_dump({"waivers": [
        {"item": "sec.hashing", "reason": "legacy <b>auth</b>", "expires": "2030-01-01", "owner": "team-a"}]}),
        encoding="utf-8")
    out = tmp_path / "out"
    result = run_cli(scan_args(root, *tiny, "--fail-under", "0.9", "--fail-on", "missing:high", *_outputs(out)))
    assert result.exit_code == 1

    gate = json.loads((out / "r.json").read_text())["gate"]
    assert gate["passed"] is False
    assert gate["reasons"][0].startswith("score 0.00 is below the threshold 0.90")
    assert gate["reasons"][1] == "fail-on missing:high: 1 item(s) missing with severity high or above: ops.docker"
    assert gate["waivers"] == [{"item": "sec.hashing", "reason": "legacy <b>auth</b>", "expires": "2030-01-01",
                                "owner": "team-a", "expired": False}]
    assert gate["changed_by_repository_config"] == ["1 item waived"]

    markdown = (out / "r.md").read_text()
    head = markdown.split("| Section |")[0]  # the verdict comes before the tables
    assert "**❌ Gate failed: 2 reasons**" in head and "- fail-on missing:high" in head
    assert "Waivers: 1 in force, 0 expired" in head and "&lt;b&gt;auth&lt;/b&gt;" in head

    html = (out / "r.html").read_text()
    assert html.index('id="gate"') < html.index('id="score"')
    assert "Gate failed: 2 reasons" in html and "legacy &lt;b&gt;auth&lt;/b&gt;" in html

    suites = {s.get("name"): s for s in ET.parse(out / "r.xml").getroot()}
    case = suites["Gate"].find("testcase")
    assert case is not None and case.find("failure") is not None
    assert "score 0.00 is below the threshold 0.90" in (case.find("failure").text or "")  # type: ignore[union-attr]

    run = json.loads((out / "r.sarif").read_text())["runs"][0]
    assert run["invocations"][0]["exitCode"] == 1
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert [n["message"]["text"] for n in notes if n["level"] == "error"] == gate["reasons"]
    assert run["properties"]["gate"] == gate

    text = run_cli(scan_args(root, *tiny, "--fail-under", "0.9")).stdout
    assert "\n\ngate failed: 1 reason\n  - score 0.00 is below" in text
    assert "[waived]" in text and "waivers: 1 in force, 0 expired" in text


def test_a_baseline_regression_and_improvement_are_in_the_reports(tmp_path: Path, tiny: tuple[Path, Path]) -> None:
    root = make_project(tmp_path / "p", timeouts="partial")
    (root / ".auditor-baseline.yaml").write_text(yaml.safe_dump({
        "checklist": "Tiny checklist", "version": 1, "item_count": 4,
        "items": {"sec.timeouts": "missing", "sec.hashing": "implemented", "ops.docker": "implemented",
                  "ops.uploads": "not_applicable"}}), encoding="utf-8")
    make_project(root, timeouts="partial", hashing=False)
    result = run_cli(scan_args(root, *tiny, "--baseline", str(root / ".auditor-baseline.yaml"), "--format", "json"))
    assert result.exit_code == 1
    baseline = json.loads(result.stdout)["gate"]["baseline"]
    assert baseline["path"] == ".auditor-baseline.yaml"
    assert baseline["regressions"] == [{"item": "sec.hashing", "before": "implemented", "after": "missing"}]
    assert baseline["improvements"] == [{"item": "sec.timeouts", "before": "missing", "after": "partial"}]
    md = run_cli(scan_args(root, *tiny, "--baseline", str(root / ".auditor-baseline.yaml"),
                           "--format", "markdown")).stdout
    assert "regression: sec.hashing was implemented, now missing" in md.split("| Section |")[0]


def test_the_repository_config_cannot_weaken_the_gate_silently(tmp_path: Path, tiny: tuple[Path, Path]) -> None:
    root = make_project(tmp_path / "p", timeouts="partial", hashing=False, docker=False)
    (root / ".auditor.yaml").write_text(yaml.safe_dump(WEAKENING), encoding="utf-8")
    result = run_cli(scan_args(root, *tiny, "--fail-under", "0.9", "--format", "json"))
    assert result.exit_code == 0  # the repository's config may do this by default...
    lines = result.stderr.strip().splitlines()
    assert lines[-1] == "auditor: gate passed"
    assert lines[-2] == ("auditor: .auditor.yaml changed the policy: 4 items waived, soft-fail (a failed gate "
                         "exits 0), items narrowed (select)")  # ...but never silently
    gate = json.loads(result.stdout)["gate"]
    assert gate["changed_by_repository_config"] == ["4 items waived", "soft-fail (a failed gate exits 0)",
                                                    "items narrowed (select)"]
    assert gate["policy"] == "repository" and gate["config"] == ".auditor.yaml"


def test_a_custom_checklist_from_the_repository_is_named(tmp_path: Path, tiny: tuple[Path, Path]) -> None:
    root = make_project(tmp_path / "p")
    (root / "audit").mkdir()
    (root / "audit" / "mine.yaml").write_text(tiny[0].read_text(), encoding="utf-8")
    (root / ".auditor.yaml").write_text("checklist: audit/mine.yaml\n", encoding="utf-8")
    result = run_cli(["scan", str(root), "--rules", str(tiny[1]), "--no-cache", "-j", "1", "--fail-under", "0.5",
                      "--format", "markdown"])
    assert result.exit_code == 0, result.stderr
    assert "custom checklist audit/mine.yaml" in result.stderr.splitlines()[-2]
    assert "custom checklist audit/mine.yaml" in result.stdout


def test_ignore_repo_policy_pins_the_gate(tmp_path: Path, tiny: tuple[Path, Path]) -> None:
    root = make_project(tmp_path / "p", timeouts="partial", hashing=False, docker=False)
    (root / ".auditor.yaml").write_text(yaml.safe_dump({**WEAKENING, "fail_under": 0.1, "require": ["ops.docker"]}),
                                        encoding="utf-8")
    result = run_cli(scan_args(root, *tiny, "--fail-under", "0.9", "--ignore-repo-policy", "--format", "json"))
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert [i["id"] for i in report["items"]] == ALL_ITEMS  # select ignored
    assert not any("waiver" in i for i in report["items"])
    gate = report["gate"]
    assert gate["policy"] == "pinned by --ignore-repo-policy"
    assert gate["ignored_repository_config"] == ["waivers (4)", "soft_fail", "select", "fail_under 0.10"]
    assert gate["changed_by_repository_config"] == ["requires ops.docker"]  # tightening still counts
    assert "required item ops.docker is missing, not implemented" in gate["reasons"]
    assert "policy pinned by --ignore-repo-policy; ignored from .auditor.yaml: waivers (4)" in result.stderr


def test_a_policy_file_sets_the_gate_and_the_repository_may_only_tighten(tmp_path: Path,
                                                                       tiny: tuple[Path, Path]) -> None:
    root = make_project(tmp_path / "p", timeouts="partial")
    policy = tmp_path / "ci" / "policy.yaml"
    policy.parent.mkdir()
    policy.write_text(yaml.safe_dump({"fail_under": 0.5, "waivers": [
        {"item": "sec.timeouts", "reason": "CI accepts it", "expires": "2099-01-01"}]}), encoding="utf-8")
    (root / ".auditor.yaml").write_text("fail_under: 0.2\nsoft_fail: true\n", encoding="utf-8")
    passed = run_cli(scan_args(root, *tiny, "--policy", str(policy), "--format", "json"))
    assert passed.exit_code == 0, passed.stderr
    gate = json.loads(passed.stdout)["gate"]
    assert gate["passed"] and gate["policy"] == "pinned by --policy policy.yaml"
    assert [w["item"] for w in gate["waivers"]] == ["sec.timeouts"]  # the policy's own waivers count
    assert gate["ignored_repository_config"] == ["soft_fail", "fail_under 0.20"]

    (root / ".auditor.yaml").write_text("fail_under: 1.0\n", encoding="utf-8")
    make_project(root, timeouts="partial", hashing=False)  # score 0.5: passes the policy's 0.5, not the repo's 1.0
    failed = run_cli(scan_args(root, *tiny, "--policy", str(policy)))
    assert failed.exit_code == 1
    assert "fail_under raised to 1.00" in failed.stderr
    assert failed.stderr.strip().splitlines()[-1].startswith("auditor: gate failed: score")


def test_a_missing_policy_file_is_a_usage_error(tmp_path: Path, tiny: tuple[Path, Path]) -> None:
    result = run_cli(scan_args(make_project(tmp_path / "p"), *tiny, "--policy", str(tmp_path / "nope.yaml")))
    assert result.exit_code == 2
    assert result.stderr.startswith("auditor: error: ") and "policy file not found" in result.stderr
