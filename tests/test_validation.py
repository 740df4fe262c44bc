"""One message for a file that fails its schema, whichever file it is: ``file:line:col``, the key,
and for an unknown key the closest valid key and the keys of the model it sits in."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.adopt.baseline import Baseline, load_baseline
from auditor.config import AuditorConfig, load_config
from auditor.errors import ConfigError
from auditor.fleet.fleetfile import FleetSpec, load_fleet
from auditor.rules.load import load_rule_files, read_checklist
from auditor.rules.schema import ChecklistSpec, RuleFile
from auditor.validation import valid_keys

RULE = """rules:
  r1:
    summary: s
    implemented:
      reason: found
      when:
        any:
          - python.call: {name: requests.get, kwargs: [timeout]}
          - python.function: {name: main, asnyc: true}
    missing: {reason: none}
"""


def _error(call: object) -> str:
    with pytest.raises(ConfigError) as info:
        call()  # type: ignore[operator]
    message = str(info.value)
    assert "\n" not in message
    return message


def test_an_unknown_checklist_key_names_the_closest_and_the_valid_keys(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("sections:\n  - id: sec\n    title: S\n    items:\n      - id: sec.a\n        titel: A\n"
                    "        rule: r\n", encoding="utf-8")
    assert _error(lambda: read_checklist(path)) == (
        f"{path}:6:9: unknown key 'sections.0.items.0.titel' (did you mean 'title'?); valid keys: "
        "id, title, description, severity, remediation, rule")


def test_an_unknown_matcher_parameter_is_found_below_the_rule_and_aliases_are_the_keys(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(RULE, encoding="utf-8")
    message = _error(lambda: load_rule_files([path]))
    assert message.startswith(f"{path}:9:43: unknown key 'rules.r1.implemented.when.any.1.python.function.asnyc' "
                              "(did you mean 'async'?); valid keys: ")
    assert "is_async" not in message


def test_an_unknown_key_wins_over_the_errors_it_explains(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(RULE.replace("{name: main, asnyc: true}", "{nmae: main}"), encoding="utf-8")
    assert "unknown key 'rules.r1.implemented.when.any.1.python.function.nmae' (did you mean 'name'?)" \
        in _error(lambda: load_rule_files([path]))


def test_other_problems_name_the_key_without_pydantics_prefix(tmp_path: Path) -> None:
    path = tmp_path / "b.yaml"
    path.write_text("version: 1\nitems:\n  a: done\n", encoding="utf-8")
    assert _error(lambda: load_baseline(path)).startswith(f"{path}:3:3: items.a: Input should be 'implemented'")
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text("services:\n  - {name: a}\n", encoding="utf-8")
    assert _error(lambda: load_fleet(fleet)) == f"{fleet}:2:5: services.0: give exactly one of 'path' or 'git'"


def test_toml_config_keys_are_placed_by_line(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n\n[tool.auditor]\nwaivers = [{item = 'a', "
                                             "reason = 'r', expires = 2030-01-01, ownr = 'me'}]\n",
                                             encoding="utf-8")
    assert _error(lambda: load_config(tmp_path)) == (
        "pyproject.toml:5: unknown key 'waivers.0.ownr' (did you mean 'owner'?); valid keys: "
        "item, reason, expires, owner")


def test_valid_keys_walk_lists_dicts_and_optionals() -> None:
    assert valid_keys(FleetSpec, ("services", 3, "settings", "gate"))[:2] == ["fail_under", "require"]
    assert valid_keys(RuleFile, ("rules", "any-id", "partial")) == ["reason", "when"]
    assert valid_keys(ChecklistSpec, ("levels", 0, "require", 1))[:2] == ["items", "sections"]
    assert valid_keys(AuditorConfig, ("waivers", 0)) == ["item", "reason", "expires", "owner"]
    assert valid_keys(Baseline, ("items",)) == []  # a mapping of ids, not a model
    assert valid_keys(RuleFile, ("nowhere", 1)) == []


def test_a_file_of_another_kind_is_named_for_its_missing_key_not_quoted(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("aws_secret_access_key: hunter2\n", encoding="utf-8")
    assert _error(lambda: read_checklist(path)) == f"{path}:1:1: sections: Field required"
    path.write_text("sectons: []\n", encoding="utf-8")  # a misspelling explains the missing key
    assert _error(lambda: read_checklist(path)).startswith(
        f"{path}:1:1: unknown key 'sectons' (did you mean 'sections'?)")
