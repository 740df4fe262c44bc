"""The gate: each exit code, each failure reason (printed last, on stderr), soft-fail and waivers with a fixed today."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from adoption_helpers import make_project, run_cli, scan_args, write_checklist

from auditor.adopt.gate import GatePolicy, apply_waivers, check_gate, gate_score, parse_fail_under, verdict_lines
from auditor.config import WaiverConfig
from auditor.model import ChecklistInfo, ItemResult, ProjectInfo, Report, Summary, ToolInfo

SECTION_OF = {"sec.timeouts": "sec", "sec.hashing": "sec", "ops.docker": "ops", "ops.uploads": "ops"}


@pytest.fixture()
def tiny(tmp_path: Path) -> tuple[Path, Path]:
    return write_checklist(tmp_path / "checklist")


def _report(**statuses: str) -> Report:
    items = [ItemResult(id=i, section=SECTION_OF[i], title=i, status=statuses.get(i.replace(".", "_"), "implemented"),  # type: ignore[arg-type]
                        severity="high" if i in ("sec.timeouts", "ops.docker") else "medium")
             for i in SECTION_OF]
    return Report(tool=ToolInfo(name="t", version="0"), project=ProjectInfo(root=".", files_scanned=0),
                  checklist=ChecklistInfo(path="c", items=len(items), name="Tiny checklist"),
                  summary=Summary(), items=items)


def _last(stderr: str) -> str:
    return stderr.strip().splitlines()[-1]


# -- exit codes through the CLI ------------------------------------------------------------

def test_exit_0_when_the_gate_passes(tmp_path: Path, tiny: tuple[Path, Path]) -> None:
    root = make_project(tmp_path / "p")
    result = run_cli(scan_args(root, *tiny, "--fail-under", "0.75", "--require", "sec.hashing,ops.docker",
                               "--fail-on", "partial"))
    assert result.exit_code == 0
    assert _last(result.stderr) == "auditor: gate passed"


def test_no_gate_configured_prints_no_verdict(tmp_path: Path, tiny: tuple[Path, Path]) -> None:
    result = run_cli(scan_args(make_project(tmp_path / "p", hashing=False), *tiny))
    assert result.exit_code == 0
    assert result.stderr == ""


@pytest.mark.parametrize(("project", "flags", "reason"), [
    ({"timeouts": "partial"}, ["--fail-under", "0.8"], "score 0.67 is below the threshold 0.80"),
    ({"timeouts": "partial", "hashing": False}, ["--fail-under", "sec=0.5"], "section sec score 0.00 is below the "
        "threshold 0.50"),
    ({"hashing": False}, ["--require", "sec.hashing"], "required item sec.hashing is missing, not implemented"),
    ({"timeouts": "partial"}, ["--require", "sec.timeouts"], "required item sec.timeouts is partial, not implemented"),
    ({"docker": False}, ["--fail-on", "missing:high"], "fail-on missing:high: 1 item(s) missing with severity high "
        "or above: ops.docker"),
    ({"timeouts": "partial"}, ["--fail-on", "partial"], "fail-on partial: 1 item(s) partial or missing: sec.timeouts"),
    ({"timeouts": "partial", "docker": False}, ["--fail-on", "partial:high"],
     "fail-on partial:high: 2 item(s) partial or missing with severity high or above: sec.timeouts, ops.docker"),
    ({"hashing": False}, ["--select", "ops", "--require", "sec.hashing"],
     "required item sec.hashing was not evaluated (left out by select/ignore)"),
])
def test_exit_1_names_each_failure_reason_last(tmp_path: Path, tiny: tuple[Path, Path], project: dict,
                                               flags: list[str], reason: str) -> None:
    root = make_project(tmp_path / "p", **project)
    result = run_cli(scan_args(root, *tiny, *flags))
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines[-2] == "auditor: gate failed: 1 reason(s)"
    assert lines[-1] == f"auditor: gate failed: {reason}"


def test_fail_on_missing_does_not_count_partial_or_low_severity(tmp_path: Path, tiny: tuple[Path, Path]) -> None:
    root = make_project(tmp_path / "p", timeouts="partial", hashing=False, uploads="missing")
    assert run_cli(scan_args(root, *tiny, "--fail-on", "missing:high")).exit_code == 0
    assert run_cli(scan_args(root, *tiny, "--fail-on", "missing:medium")).exit_code == 1


def test_several_reasons_are_all_listed(tmp_path: Path, tiny: tuple[Path, Path]) -> None:
    root = make_project(tmp_path / "p", hashing=False, docker=False)
    result = run_cli(scan_args(root, *tiny, "--fail-under", "0.9", "--require", "sec.hashing", "--format", "json"))
    assert result.exit_code == 1
    json.loads(result.stdout)  # the report on stdout stays clean
    assert result.stderr.strip().splitlines()[-3:] == [
        "auditor: gate failed: 2 reason(s)",
        "auditor: gate failed: score 0.33 is below the threshold 0.90",
        "auditor: gate failed: required item sec.hashing is missing, not implemented",
    ]


def test_soft_fail_reports_but_exits_0(tmp_path: Path, tiny: tuple[Path, Path]) -> None:
    root = make_project(tmp_path / "p", hashing=False)
    result = run_cli(scan_args(root, *tiny, "--require", "sec.hashing", "--soft-fail"))
    assert result.exit_code == 0
    assert result.stderr.strip().splitlines()[-2:] == [
        "auditor: gate failed (soft-fail: exit 0): 1 reason(s)",
        "auditor: gate failed: required item sec.hashing is missing, not implemented",
    ]
    (root / ".auditor.yaml").write_text("soft_fail: true\nrequire: [sec.hashing]\n", encoding="utf-8")
    assert run_cli(scan_args(root, *tiny)).exit_code == 0


@pytest.mark.parametrize(("flags", "message"), [
    (["--fail-under", "high"], "--fail-under 'high': expected SCORE or SECTION=SCORE, a score between 0 and 1"),
    (["--fail-under", "1.5"], "--fail-under '1.5': the score must be between 0 and 1"),
    (["--fail-under", "secu=0.5"], "--fail-under: unknown id 'secu' (did you mean 'sec'?)"),
    (["--require", "ops.dockerr"], "--require: unknown id 'ops.dockerr' (did you mean 'ops.docker'?)"),
    (["--select", "sec.hashng"], "--select: unknown id 'sec.hashng' (did you mean 'sec.hashing'?)"),
    (["--fail-on", "missng"], "fail-on 'missng': status must be missing or partial (did you mean 'missing'?)"),
])
def test_exit_2_for_usage_errors(tmp_path: Path, tiny: tuple[Path, Path], flags: list[str], message: str) -> None:
    result = run_cli(scan_args(make_project(tmp_path / "p"), *tiny, *flags))
    assert result.exit_code == 2
    assert result.stderr.strip() == f"auditor: error: {message}"


def test_exit_2_for_a_missing_path(tmp_path: Path, tiny: tuple[Path, Path]) -> None:
    result = run_cli(scan_args(tmp_path / "nowhere", *tiny))
    assert result.exit_code == 2
    assert "no such directory" in result.stderr


def test_exit_3_for_an_internal_error(tmp_path: Path, tiny: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("auditor.session.scan", broken)
    result = run_cli(scan_args(make_project(tmp_path / "p"), *tiny))
    assert result.exit_code == 3
    assert result.stderr.startswith("auditor: internal error: RuntimeError: boom")
    assert "Traceback" not in result.output


# -- waivers (fixed "today") -----------------------------------------------------------------

WAIVED = ("waivers:\n  - item: sec.hashing\n    reason: legacy auth, replaced in Q3\n    expires: {date}\n"
          "    owner: team-auth\n")


def test_waived_item_shows_waiver_keeps_status_and_the_gate_ignores_it(tmp_path: Path, tiny: tuple[Path, Path]) -> None:
    root = make_project(tmp_path / "p", hashing=False)
    (root / ".auditor.yaml").write_text("fail_on: [missing]\nfail_under: 1.0\n" + WAIVED.format(date="2025-06-01"),
                                        encoding="utf-8")
    result = run_cli(scan_args(root, *tiny, "--format", "json"))  # today is 2025-06-01: the last valid day
    assert result.exit_code == 0, result.stderr
    item = {i["id"]: i for i in json.loads(result.stdout)["items"]}["sec.hashing"]
    assert item["status"] == "missing"
    assert item["waiver"] == {"reason": "legacy auth, replaced in Q3", "expires": "2025-06-01", "owner": "team-auth"}


def test_expired_waiver_fails_the_gate(tmp_path: Path, tiny: tuple[Path, Path]) -> None:
    root = make_project(tmp_path / "p", hashing=False)
    (root / ".auditor.yaml").write_text(WAIVED.format(date="2025-05-31"), encoding="utf-8")
    result = run_cli(scan_args(root, *tiny, "--format", "json"))
    assert result.exit_code == 1
    assert json.loads(result.stdout)["items"][1].get("waiver") is None
    assert _last(result.stderr) == (
        "auditor: gate failed: .auditor.yaml: waiver for sec.hashing expired on 2025-05-31, owner team-auth "
        "(reason was: legacy auth, replaced in Q3); fix the item or renew the waiver")


def test_waiver_for_an_unknown_item_is_a_config_error_naming_the_closest(tmp_path: Path,
                                                                         tiny: tuple[Path, Path]) -> None:
    root = make_project(tmp_path / "p")
    (root / ".auditor.yaml").write_text(WAIVED.replace("sec.hashing", "sec.hashng").format(date="2030-01-01"),
                                        encoding="utf-8")
    result = run_cli(scan_args(root, *tiny))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("auditor: error: .auditor.yaml:")
    assert "waivers: unknown item id 'sec.hashng' (did you mean 'sec.hashing'?)" in result.stderr


@pytest.mark.parametrize("bad", ["2025-13-45", "2030-02-30"])
def test_an_impossible_waiver_date_is_a_config_error_with_its_line(tmp_path: Path, tiny: tuple[Path, Path],
                                                                   bad: str) -> None:
    root = make_project(tmp_path / "p")
    (root / ".auditor.yaml").write_text(WAIVED.format(date=bad), encoding="utf-8")
    result = run_cli(scan_args(root, *tiny))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    line = next(n for n, text in enumerate(WAIVED.splitlines(), 1) if "expires" in text)
    assert result.stderr.startswith(f"auditor: error: .auditor.yaml:{line}:"), result.stderr
    assert f"{bad!r} is not a valid date" in result.stderr


def test_apply_waivers_uses_the_injected_today() -> None:
    waiver = WaiverConfig(item="sec.hashing", reason="r", expires=date(2025, 1, 31))
    report = _report(sec_hashing="missing")
    assert apply_waivers(report, [waiver], date(2025, 1, 31), list(SECTION_OF)) == []
    assert report.items[1].waiver is not None
    report = _report(sec_hashing="missing")
    failures = apply_waivers(report, [waiver], date(2025, 2, 1), list(SECTION_OF))
    assert failures and "expired on 2025-01-31" in failures[0]
    assert report.items[1].waiver is None


def test_waived_items_leave_the_score() -> None:
    report = _report(sec_hashing="missing", ops_uploads="not_applicable")
    assert gate_score(report.items) == pytest.approx(2 / 3)
    apply_waivers(report, [WaiverConfig(item="sec.hashing", reason="r", expires=date(2030, 1, 1))],
                  date(2025, 1, 1), list(SECTION_OF))
    assert gate_score(report.items) == 1.0
    assert check_gate(report, GatePolicy(fail_under=1.0, require=["sec.hashing"]), SECTION_OF).passed


def test_parse_fail_under() -> None:
    assert parse_fail_under(("0.7", "sec=0.5,ops=1")) == (0.7, {"sec": 0.5, "ops": 1.0})


def test_verdict_lines_without_gate_are_empty() -> None:
    result = check_gate(_report(), GatePolicy(), SECTION_OF)
    assert verdict_lines(result, soft_fail=False) == []
