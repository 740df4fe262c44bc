"""Parsed rule files from the cache are the rule files as parsed; bad entries are never trusted."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import auditor.rules.load
from auditor.engine.plan import LeafPlan
from auditor.errors import ConfigError
from auditor.matchers.patterns import LinearPattern
from auditor.rules.load import checklist_fingerprint, default_paths, load_checklist
from auditor.rules.schema import Checklist


def _load(cache: Path | None) -> Checklist:
    checklist, rules = default_paths()
    return load_checklist(checklist, rules, cache_dir=cache)


@pytest.fixture(scope="module")
def parsed() -> Checklist:
    """The bundled rules parsed without a cache (read only)."""
    return _load(None)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache folder holding the bundled rules' entries (copied before a test damages them)."""
    cache = tmp_path_factory.mktemp("rulecache")
    _load(cache)
    return cache


def test_cached_rules_equal_parsed_rules(tmp_path: Path, parsed: Checklist) -> None:
    first = _load(tmp_path)  # parses and writes the entries
    assert len(list((tmp_path / "rules").glob("*.json"))) == len(default_paths()[1])
    again = _load(tmp_path)  # rebuilt from the entries
    for loaded in (first, again):
        assert checklist_fingerprint(loaded) == checklist_fingerprint(parsed)
        assert LeafPlan(loaded).digest == LeafPlan(parsed).digest
        assert sorted(loaded.rules) == sorted(parsed.rules)


def test_a_changed_rule_file_is_parsed_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auditor.rules.load, "bundled", lambda path: True)  # copies of the bundled files
    checklist, rules = default_paths()
    copies = []
    for path in rules:
        copy = tmp_path / "rules-src" / path.name
        copy.parent.mkdir(exist_ok=True)
        copy.write_bytes(path.read_bytes())
        copies.append(copy)
    cache = tmp_path / "cache"
    before = load_checklist(checklist, copies, cache_dir=cache)
    target = copies[0]
    target.write_text(target.read_text() + "\n# edited\n", encoding="utf-8")
    after = load_checklist(checklist, copies, cache_dir=cache)
    assert checklist_fingerprint(after) == checklist_fingerprint(before)
    assert len(list((cache / "rules").glob("*.json"))) == len(copies) + 1  # a new entry for the edit


@pytest.mark.parametrize("damage", ["corrupt", "wrong-key", "unknown-matcher", "extra-field", "bad-spec"])
def test_bad_entries_are_ignored_and_rewritten(tmp_path: Path, damage: str, parsed: Checklist, written: Path) -> None:
    shutil.copytree(written / "rules", tmp_path / "rules")
    for entry_path in (tmp_path / "rules").glob("*.json"):
        entry = json.loads(entry_path.read_text())
        if damage == "corrupt":
            entry_path.write_bytes(b"\x00 not json")
            continue
        if damage == "wrong-key":
            entry["key"] = "0" * 64
        elif damage == "unknown-matcher" and entry["rules"]:
            entry["rules"][0]["implemented"]["op"] = "python.nothing"
            entry["rules"][0]["implemented"]["params"] = {}
        elif damage == "extra-field":
            for rule in entry["rules"]:
                cond = rule["implemented"]
                while cond["params"] is None and cond["children"]:
                    cond = cond["children"][0]
                if cond["params"] is not None:
                    cond["params"]["exec"] = "__import__('os')"
        elif damage == "bad-spec" and entry["rules"]:
            entry["rules"][0]["spec"] = {"not": "a rule"}
        entry_path.write_text(json.dumps(entry))
    assert checklist_fingerprint(_load(tmp_path)) == checklist_fingerprint(parsed)
    assert checklist_fingerprint(_load(tmp_path)) == checklist_fingerprint(parsed)  # rewritten entries


def test_duplicate_rule_is_reported_with_its_line_from_the_cache_too(tmp_path: Path) -> None:
    checklist, rules = default_paths()
    twin = tmp_path / "twin.yaml"
    twin.write_bytes(rules[0].read_bytes())
    for cache in (None, tmp_path / "cache", tmp_path / "cache"):
        with pytest.raises(ConfigError, match=r"twin\.yaml:\d+:\d+: .*defined twice"):
            load_checklist(checklist, [*rules, twin], cache_dir=cache)


def test_rule_files_from_outside_the_bundled_set_are_parsed_every_time(tmp_path: Path) -> None:
    """Their patterns are checked for RE2 and marked on every load; no cache entry stands in for that."""
    checklist, rules = default_paths()
    extra = tmp_path / "extra.yaml"
    extra.write_text("conditions:\n  mine: {python.string: {pattern: '^(a+)+$'}}\n", encoding="utf-8")
    cache = tmp_path / "cache"
    for _ in range(2):
        loaded = load_checklist(checklist, [*rules, extra], cache_dir=cache)
        params = loaded.conditions["mine"].params
        assert params is not None and type(params.pattern) is LinearPattern
    assert len(list((cache / "rules").glob("*.json"))) == len(rules)
