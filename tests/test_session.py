"""The session: flags and config settled once into frozen settings, the checklist file read once
per command, whichever command it is."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from adoption_helpers import make_project, run_cli, write_checklist

from auditor import yamlmarks
from auditor.rules.schema import ChecklistSpec
from auditor.session import ScanRequest, Session


@pytest.fixture()
def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How often a checklist is validated, and how often each file is read as YAML."""
    counts: dict[str, int] = {"validated": 0}
    validate = ChecklistSpec.model_validate
    read = yamlmarks.read_config_text

    def counting_validate(cls: type[ChecklistSpec], *args: Any, **kwargs: Any) -> ChecklistSpec:
        counts["validated"] += 1
        return validate(*args, **kwargs)

    def counting_read(path: Path, name: str, *args: Any) -> str:
        counts[Path(path).name] = counts.get(Path(path).name, 0) + 1
        return read(path, name, *args)

    monkeypatch.setattr(ChecklistSpec, "model_validate", classmethod(counting_validate))
    monkeypatch.setattr(yamlmarks, "read_config_text", counting_read)
    return counts


def _commands(root: Path, tmp_path: Path, own: list[str], item: str) -> dict[str, list[str]]:
    cache = str(tmp_path / "cache")
    doc = tmp_path / "STATUS.md"
    doc.write_text("- [x] Secrets hashed\n", encoding="utf-8")
    return {
        "scan": ["scan", str(root), "--no-cache", "-j", "1", *own],
        "scan-cold": ["scan", str(root), "--cache-dir", cache, "-j", "1", *own],
        "scan-warm": ["scan", str(root), "--cache-dir", cache, "-j", "1", *own],
        "verify": ["verify", str(doc), "--path", str(root), "--no-cache", *own],
        "baseline": ["baseline", str(root), "--no-cache", "-j", "1", "-o", str(tmp_path / "b.yaml"), *own],
        "list": ["list", "--path", str(root), *own],
        "explain": ["explain", item, "--path", str(root), *own],
    }


@pytest.mark.parametrize("bundled", [False, True], ids=["own-checklist", "bundled-checklist"])
def test_every_command_reads_the_checklist_once(tmp_path: Path, counted: dict[str, int], bundled: bool) -> None:
    root = make_project(tmp_path / "p")
    item = "db.pooling" if bundled else "sec.hashing"
    (root / ".auditor.yaml").write_text(f"require: [{item}]\n", encoding="utf-8")
    checklist, rules = write_checklist(tmp_path / "checklist")
    own = [] if bundled else ["--checklist", str(checklist), "--rules", str(rules)]
    name = "checklist.yaml" if bundled else checklist.name
    for command, args in _commands(root, tmp_path, own, item).items():
        for key in list(counted):
            counted[key] = 0
        result = run_cli(args)
        assert result.exit_code in (0, 1), (command, result.stderr)
        assert counted["validated"] == 1, command
        assert counted.get(name) == 1, command
        assert counted.get(".auditor.yaml") == 1, command


def test_settings_are_the_flags_over_the_config_and_frozen(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p")
    checklist, rules = write_checklist(tmp_path / "checklist")
    (root / ".auditor.yaml").write_text("exclude: ['docs/**']\ninclude: ['app/**']\nfail_under: 0.5\n"
                                        "select: [sec]\nseverity: {sec.hashing: critical}\n", encoding="utf-8")
    session = Session(ScanRequest(path=root, checklist=str(checklist), rules=(str(rules),),
                                  include=("src/**",), fail_under=("0.8",), require=("sec.timeouts,sec.hashing",)))
    settings = session.settings
    assert settings.include == ("src/**",) and settings.exclude == ("docs/**",)
    assert settings.items == ("sec.timeouts", "sec.hashing")
    assert settings.gate.fail_under == 0.8 and settings.gate.require == ["sec.timeouts", "sec.hashing"]
    assert settings.checklist == checklist
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.jobs = 4  # type: ignore[misc]
    with pytest.raises(TypeError):
        settings.severity["sec.hashing"] = "low"  # type: ignore[index]
    options = settings.scan_options()
    options.cache_dir = tmp_path  # a scan's options are its own: the settings do not change
    assert settings.cache_dir is None and settings.scan_options().cache_dir is None
    cl = session.checklist
    assert session.checklist is cl
    assert [i.severity for _, i in cl.items()] == ["medium", "critical"] or \
        {i.id: i.severity for _, i in cl.items()}["sec.hashing"] == "critical"
    run = session.run()
    assert run.checklist is cl and run.report.items and [i.id for i in run.report.items] == list(settings.items)


def test_a_broken_checklist_is_reported_when_it_is_loaded_after_the_config_checks(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p")
    bad = tmp_path / "c.yaml"
    bad.write_text("sections: [\n", encoding="utf-8")
    result = run_cli(["scan", str(root), "--no-cache", "--checklist", str(bad), "--fail-on", "mising"])
    assert result.exit_code == 2 and "fail-on 'mising'" in result.stderr  # the flags are checked first
    result = run_cli(["scan", str(root), "--no-cache", "--checklist", str(bad)])
    assert result.exit_code == 2 and result.stderr.startswith(f"auditor: error: {bad}:2:1: invalid YAML")
