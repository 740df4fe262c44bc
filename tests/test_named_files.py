"""Files no extractor reads (CODEOWNERS, LICENSE, any .json, files without an extension) are
there for a team's own rules to name, under the same excludes, and never evidence for the
bundled rules' broad searches."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.engine.discover import discover
from auditor.model import Status
from auditor.rules.load import load_rule_files
from auditor.rules.schema import Example
from auditor.testing import run_example

RULES = """
rules:
  has-codeowners:
    summary: the repository names its owners
    implemented: {reason: CODEOWNERS, when: {file.exists: {path: [CODEOWNERS, '.github/CODEOWNERS']}}}
    missing: {reason: none}
  has-licence:
    summary: a licence file is present
    implemented: {reason: LICENSE, when: {file.exists: {path: [LICENSE], role: meta}}}
    missing: {reason: none}
  licence-as-runtime:
    summary: a rule that names no role sees no licence
    implemented: {reason: LICENSE, when: {file.exists: {path: [LICENSE]}}}
    missing: {reason: none}
  npm-test-script:
    summary: package.json runs the tests
    implemented: {reason: script, when: {text.match: {file: [package.json], pattern: '"test"\\s*:'}}}
    missing: {reason: none}
  owners-named:
    summary: CODEOWNERS names a team
    implemented: {reason: owners, when: {text.match: {kind: [other], pattern: '@\\w+/\\w+'}}}
    missing: {reason: none}
  broad-search:
    summary: a search that names no kind or file
    implemented: {reason: found, when: {text.match: {pattern: 'owner-marker'}}}
    missing: {reason: none}
"""


def run(tmp_path: Path, rule_id: str, files: dict[str, str]) -> tuple[Status, list[str]]:
    path = tmp_path / "team.yaml"
    path.write_text(RULES)
    rules, conditions = load_rule_files([path])
    return run_example(rules[rule_id], conditions, Example(name="x", expect="implemented", files=files))


@pytest.mark.parametrize(("rule_id", "files", "evidence"), [
    ("has-codeowners", {".github/CODEOWNERS": "* @org/team\n"}, ".github/CODEOWNERS:1"),
    ("has-licence", {"LICENSE": "MIT License\n"}, "LICENSE:1"),
    ("npm-test-script", {"package.json": '{"scripts": {\n  "test": "jest"\n}}\n'}, "package.json:2"),
    ("owners-named", {"CODEOWNERS": "# owners\n* @org/platform\n"}, "CODEOWNERS:2"),
])
def test_a_team_rule_sees_the_files_it_names(tmp_path: Path, rule_id: str, files: dict[str, str],
                                              evidence: str) -> None:
    assert run(tmp_path, rule_id, files) == ("implemented", [evidence])
    assert run(tmp_path, rule_id, {"app.py": "x = 1\n"})[0] == "missing"


def test_licences_and_unnamed_kinds_are_never_evidence_by_default(tmp_path: Path) -> None:
    assert run(tmp_path, "licence-as-runtime", {"LICENSE": "MIT\n"})[0] == "missing"
    files = {"LICENSE": "owner-marker\n", "notes.json": '{"a": "owner-marker"}\n', "OWNERS": "owner-marker\n",
             "CHANGELOG.md": "owner-marker\n"}
    assert run(tmp_path, "broad-search", files)[0] == "missing"
    assert run(tmp_path, "broad-search", {**files, "Makefile": "owner-marker:\n"}) == ("implemented", ["Makefile:1"])


def test_named_files_honour_excludes_and_gitignore(tmp_path: Path) -> None:
    for rel, text in {"CODEOWNERS": "* @a/b\n", "data/seed.json": "{}\n", "LICENSE": "MIT\n",
                      ".gitignore": "secret.json\n", "secret.json": "{}\n", "logo.png": "\x89PNG\x00"}.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    found = {f.path: (f.kind, f.role) for f in discover(tmp_path).files}
    assert found == {".gitignore": ("other", "runtime"), "CODEOWNERS": ("other", "runtime"),
                     "data/seed.json": ("other", "runtime"), "LICENSE": ("other", "meta"),
                     "logo.png": ("other", "runtime")}
    assert {f.path for f in discover(tmp_path, exclude=["data/*", "CODEOWNERS"]).files} == {
        ".gitignore", "LICENSE", "logo.png"}
