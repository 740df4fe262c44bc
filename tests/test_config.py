"""Project config: found at the scanned root in .auditor.yaml or [tool.auditor], validated, overridden by flags."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from adoption_helpers import make_project, run_cli, scan_args, write_checklist

from auditor.config import AuditorConfig, ChecklistIds, find_config, load_config, selected_items
from auditor.errors import ConfigError
from auditor.rules.load import read_checklist


@pytest.fixture()
def tiny(tmp_path: Path) -> tuple[Path, Path]:
    return write_checklist(tmp_path / "checklist")


def _json(result_stdout: str) -> dict:
    return json.loads(result_stdout)


def test_no_config_is_fine(tmp_path: Path) -> None:
    loaded = load_config(tmp_path)
    assert loaded.source is None
    assert loaded.config == AuditorConfig()


def test_yaml_and_pyproject_are_read_the_same_way(tmp_path: Path, tiny: tuple[Path, Path]) -> None:
    yaml_root = make_project(tmp_path / "a", timeouts="partial")
    (yaml_root / ".auditor.yaml").write_text("fail_under: 0.9\nignore: [ops]\n", encoding="utf-8")
    toml_root = make_project(tmp_path / "b", timeouts="partial")
    (toml_root / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.auditor]\nfail-under = 0.9\nignore = ["ops"]\n', encoding="utf-8")
    results = [run_cli(scan_args(root, *tiny, "--format", "json")) for root in (yaml_root, toml_root)]
    assert [r.exit_code for r in results] == [1, 1]
    reports = [_json(r.stdout) for r in results]
    assert reports[0]["items"] == reports[1]["items"]
    assert [i["id"] for i in reports[0]["items"]] == ["sec.timeouts", "sec.hashing"]
    assert results[0].stderr.splitlines()[-1] == results[1].stderr.splitlines()[-1]


def test_pyproject_without_tool_auditor_is_not_a_config(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    assert find_config(tmp_path) is None


def test_unknown_key_names_file_line_and_closest_key(tmp_path: Path, tiny: tuple[Path, Path]) -> None:
    root = make_project(tmp_path / "p")
    (root / ".auditor.yaml").write_text("select: [sec]\nfail_undr: 0.5\n", encoding="utf-8")
    result = run_cli(scan_args(root, *tiny))
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "auditor: error: .auditor.yaml:2: unknown key 'fail_undr' (did you mean 'fail_under'?); valid keys: "
        "checklist, rules, include, exclude, select, ignore, severity, fail_under, fail_under_sections, require, "
        "require_level, fail_on, soft_fail, baseline, waivers")
    assert "Traceback" not in result.output


def test_unknown_key_in_pyproject_names_its_line(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.auditor]\nrequire = ["sec.hashing"]\nsoft_fial = true\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^pyproject.toml:6: unknown key 'soft_fial' \(did you mean 'soft_fail'\?\)"):
        load_config(tmp_path)


def test_unknown_waiver_key_names_waiver_keys(tmp_path: Path) -> None:
    (tmp_path / ".auditor.yaml").write_text(
        "waivers:\n  - item: sec.hashing\n    reason: later\n    expire: 2030-01-01\n", encoding="utf-8")
    expected = r"\.auditor\.yaml:4: unknown key 'waivers\.0\.expire' \(did you mean 'expires'\?\)"
    with pytest.raises(ConfigError, match=expected):
        load_config(tmp_path)


def test_waiver_without_reason_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / ".auditor.yaml").write_text(
        "waivers:\n  - item: sec.hashing\n    reason: ' '\n    expires: 2030-01-01\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"a waiver needs a reason"):
        load_config(tmp_path)


@pytest.mark.parametrize(("text", "message"), [
    ("require: [sec.hashin]\n", ".auditor.yaml:1: require: unknown item id 'sec.hashin' (did you mean 'sec.hashing'?)"),
    ("select: [sec, opz]\n", ".auditor.yaml:1: select: unknown item or section id 'opz' (did you mean 'ops'?)"),
    ("ignore: [ops.dockr]\n", ".auditor.yaml:1: ignore: unknown item or section id 'ops.dockr' (did you mean "
        "'ops.docker'?)"),
    ("severity:\n  sec.timeout: low\n", ".auditor.yaml:2: severity: unknown item id 'sec.timeout' (did you mean "
        "'sec.timeouts'?)"),
    ("fail_under_sections:\n  secc: 0.5\n", ".auditor.yaml:2: fail_under_sections: unknown section id 'secc' (did "
        "you mean 'sec'?)"),
])
def test_unknown_ids_name_file_key_and_closest_id(tmp_path: Path, tiny: tuple[Path, Path], text: str,
                                                  message: str) -> None:
    root = make_project(tmp_path / "p")
    (root / ".auditor.yaml").write_text(text, encoding="utf-8")
    result = run_cli(scan_args(root, *tiny))
    assert result.exit_code == 2
    assert result.stderr.strip() == f"auditor: error: {message}"


@pytest.mark.parametrize(("text", "fragment"), [
    ("fail_under: 80\n", "fail_under: Input should be less than or equal to 1"),
    ("fail_on: [mising]\n", "fail-on 'mising': status must be missing or partial (did you mean 'missing'?)"),
    ("fail_on: ['missing:hihg']\n", "severity must be one of low, medium, high, critical (did you mean 'high'?)"),
    ("severity:\n  sec.hashing: severe\n", "severity.sec.hashing: Input should be 'low', 'medium', 'high' or "
        "'critical'"),
    ("waivers:\n  - item: sec.hashing\n    reason: x\n    expires: next year\n", "waivers.0.expires"),
    ("- just a list\n", "the config must be a mapping of settings"),
    ("select: [a\n", "invalid YAML"),
])
def test_bad_values_are_one_line_config_errors(tmp_path: Path, tiny: tuple[Path, Path], text: str,
                                               fragment: str) -> None:
    root = make_project(tmp_path / "p")
    (root / ".auditor.yaml").write_text(text, encoding="utf-8")
    result = run_cli(scan_args(root, *tiny))
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert fragment in result.stderr
    assert result.stderr.startswith("auditor: error: .auditor.yaml")


def test_two_configs_is_an_error(tmp_path: Path) -> None:
    (tmp_path / ".auditor.yaml").write_text("soft_fail: true\n", encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text("[tool.auditor]\nsoft_fail = true\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"both \.auditor\.yaml and pyproject\.toml configure the auditor"):
        load_config(tmp_path)


def test_cli_flags_override_config(tmp_path: Path, tiny: tuple[Path, Path]) -> None:
    root = make_project(tmp_path / "p", timeouts="partial")
    (root / ".auditor.yaml").write_text("fail_under: 0.9\nrequire: [sec.timeouts]\n", encoding="utf-8")
    assert run_cli(scan_args(root, *tiny)).exit_code == 1
    assert run_cli(scan_args(root, *tiny, "--fail-under", "0.5", "--require", "sec.hashing")).exit_code == 0


def test_select_ignore_and_severity_from_config(tmp_path: Path, tiny: tuple[Path, Path]) -> None:
    root = make_project(tmp_path / "p")
    (root / ".auditor.yaml").write_text("select: [sec, ops.docker]\nignore: [sec.hashing]\n"
                                        "severity:\n  ops.docker: critical\n", encoding="utf-8")
    report = _json(run_cli(scan_args(root, *tiny, "--format", "json")).stdout)
    assert [(i["id"], i["severity"]) for i in report["items"]] == [("sec.timeouts", "high"), ("ops.docker", "critical")]
    # --select on the command line replaces the config's select (its ignore still applies)
    report = _json(run_cli(scan_args(root, *tiny, "--format", "json", "--select", "ops")).stdout)
    assert [i["id"] for i in report["items"]] == ["ops.docker", "ops.uploads"]


def test_select_and_ignore_leaving_nothing_is_an_error(tmp_path: Path, tiny: tuple[Path, Path]) -> None:
    root = make_project(tmp_path / "p")
    (root / ".auditor.yaml").write_text("select: [ops]\nignore: [ops]\n", encoding="utf-8")
    result = run_cli(scan_args(root, *tiny))
    assert result.exit_code == 2
    assert "select and ignore leave no item to evaluate" in result.stderr


def test_exclude_and_include_from_config(tmp_path: Path, tiny: tuple[Path, Path]) -> None:
    root = make_project(tmp_path / "p")
    (root / ".auditor.yaml").write_text("exclude: ['app/**']\n", encoding="utf-8")
    report = _json(run_cli(scan_args(root, *tiny, "--format", "json")).stdout)
    assert {i["id"]: i["status"] for i in report["items"]}["sec.hashing"] == "missing"
    (root / ".auditor.yaml").write_text("include: ['app/**']\n", encoding="utf-8")
    report = _json(run_cli(scan_args(root, *tiny, "--format", "json")).stdout)
    assert {i["id"]: i["status"] for i in report["items"]}["ops.docker"] == "missing"


def test_checklist_and_rules_paths_are_relative_to_the_root(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p")
    write_checklist(root / "audit")
    (root / ".auditor.yaml").write_text(
        "checklist: audit/tiny-checklist.yaml\nrules: [audit/tiny-rules.yaml]\nrequire: [ops.docker]\n",
        encoding="utf-8")
    result = run_cli(["scan", str(root), "--no-cache", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert len(_json(result.stdout)["items"]) == 4


def test_explicit_config_file(tmp_path: Path, tiny: tuple[Path, Path]) -> None:
    root = make_project(tmp_path / "p", hashing=False)
    config = tmp_path / "ci-auditor.yaml"
    config.write_text("require: [sec.hashing]\n", encoding="utf-8")
    result = run_cli(scan_args(root, *tiny, "--config", str(config)))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == ("auditor: gate failed: required item sec.hashing is missing, "
                                              "not implemented")
    missing = run_cli(scan_args(root, *tiny, "--config", str(tmp_path / "nope.yaml")))
    assert missing.exit_code == 2 and "config file not found" in missing.stderr


def test_selected_items_expands_sections(tiny: tuple[Path, Path]) -> None:
    ids = ChecklistIds.of(read_checklist(tiny[0]).spec)
    assert ids.sections == ["sec", "ops"]
    assert selected_items(ids, [], []) is None
    assert selected_items(ids, ["ops", "sec.hashing"], ["ops.uploads"]) == ["sec.hashing", "ops.docker"]


def test_broken_pyproject_without_auditor_section_is_the_projects_problem(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project\nname = 'x'\n")
    assert find_config(tmp_path) is None


def test_broken_pyproject_with_auditor_section_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.auditor]\nfail_under = [\n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        find_config(tmp_path)


def test_config_symlinked_from_outside_the_root_is_ignored(tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text("fail_under: 0.99\n")
    root = tmp_path / "repo"
    root.mkdir()
    (root / ".auditor.yaml").symlink_to(outside)
    assert find_config(root) is None


def test_did_you_mean_names_the_closest_choice_or_nothing() -> None:
    from auditor.errors import did_you_mean

    assert did_you_mean("db.polling", ["db.pooling", "db.retry"]) == " (did you mean 'db.pooling'?)"
    assert did_you_mean("zzz", ["db.pooling", "db.retry"]) == ""
