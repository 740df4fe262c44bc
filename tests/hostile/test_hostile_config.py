"""A repository's own config, rule and checklist files are written by a stranger: each attack ends
within its bound with one clear line and the documented exit code, never a hang or exit 3.

Every case runs the CLI in a subprocess (``python -m auditor.cli``), as CI would.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
from hostile_corpus import PYTHON, REPO

pytestmark = pytest.mark.slow  # every case runs the command in a process of its own

BOUND = 60.0  # seconds a case may take on two busy cores (each takes one or two)


def _run(*args: str, timeout: float = BOUND) -> tuple[int, str, str, float]:
    start = time.monotonic()
    proc = subprocess.run([PYTHON, "-m", "auditor.cli", *args], capture_output=True, timeout=timeout, cwd=REPO,
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    return (proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace"),
            time.monotonic() - start)


def _one_line_error(code: int, stderr: str, expected: int = 2) -> str:
    assert code == expected, stderr[-2000:]
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr[-2000:]
    assert "Traceback" not in stderr and "internal error" not in stderr
    return lines[0]


def _repo(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


RULE = ("rules:\n  evil:\n    summary: s\n    implemented:\n      reason: r\n      when: {when}\n"
        "    missing: {{reason: r}}\n")
CHECKLIST = ("sections:\n  - id: s\n    title: S\n    items:\n      - id: s.x\n        title: X\n"
             "        description: d\n        remediation: r\n        rule: evil\n")


# -- 3: regular expressions from the repository are matched in linear time -------------------------


def test_catastrophic_regex_from_repo_rules_does_not_hang(tmp_path: Path) -> None:
    root = _repo(tmp_path / "p", {
        ".auditor.yaml": "checklist: checklist.yaml\nrules: [evil.yaml]\n",
        "checklist.yaml": CHECKLIST,
        "evil.yaml": RULE.format(when="{python.string: {pattern: '^(a+)+$'}}"),
        "app.py": f"X = {'a' * 40 + 'b'!r}\n",
        "notes.md": "a" * 100_000 + "b\n",
    })
    code, stdout, stderr, seconds = _run("scan", str(root), "--format", "json", "--no-cache", "-j", "1")
    assert code == 0, stderr
    assert seconds < BOUND
    assert '"status": "missing"' in stdout


def test_text_search_from_repo_rules_is_linear(tmp_path: Path) -> None:
    root = _repo(tmp_path / "p", {
        ".auditor.yaml": "checklist: checklist.yaml\nrules: [evil.yaml]\n",
        "checklist.yaml": CHECKLIST,
        "evil.yaml": RULE.format(when="{text.match: {pattern: '(x+x+)+y'}}"),
        "notes.md": "x" * 50_000 + "\n",
    })
    code, _stdout, stderr, seconds = _run("scan", str(root), "--format", "json", "--no-cache", "-j", "1")
    assert code == 0, stderr
    assert seconds < BOUND


def test_catastrophic_file_glob_from_repo_rules_does_not_hang(tmp_path: Path) -> None:
    """A ``file:`` glob with many wildcards against a long path that almost matches."""
    glob = "*a" * 14 + "*y"
    root = _repo(tmp_path / "p", {
        ".auditor.yaml": "checklist: checklist.yaml\nrules: [evil.yaml]\n",
        "checklist.yaml": CHECKLIST,
        "evil.yaml": RULE.format(when=f"{{python.import: {{name: os, file: '{glob}'}}}}"),
        f"{'a' * 60}/x.py": "import os\n",
    })
    code, stdout, stderr, seconds = _run("scan", str(root), "--format", "json", "--no-cache", "-j", "1")
    assert code == 0, stderr
    assert seconds < BOUND
    assert '"status": "missing"' in stdout


def test_repo_pattern_outside_the_linear_syntax_is_a_config_error(tmp_path: Path) -> None:
    root = _repo(tmp_path / "p", {
        ".auditor.yaml": "checklist: checklist.yaml\nrules: [evil.yaml]\n",
        "checklist.yaml": CHECKLIST,
        "evil.yaml": RULE.format(when="{python.string: {pattern: '(a)\\1'}}"),
    })
    code, _stdout, stderr, _seconds = _run("scan", str(root), "--no-cache")
    line = _one_line_error(code, stderr)
    assert "evil.yaml:" in line and "linear" in line


# -- 4: rule loading is linear in the rules' size, and bounded in depth ---------------------------


def _diamonds(n: int) -> str:
    lines = ["conditions:"]
    for i in range(n):
        lines.append(f"  c{i}: {{any: [{{ref: c{i + 1}}}, {{ref: c{i + 1}}}]}}")
    lines.append(f"  c{n}: {{python.import: {{name: x}}}}")
    return "\n".join(lines) + "\n" + RULE.format(when="{ref: c0}")


def test_shared_conditions_load_in_linear_time(tmp_path: Path) -> None:
    root = _repo(tmp_path / "p", {
        ".auditor.yaml": "checklist: checklist.yaml\nrules: [evil.yaml]\n",
        "checklist.yaml": CHECKLIST,
        "evil.yaml": _diamonds(40),
        "app.py": "import x\n",
    })
    code, stdout, stderr, seconds = _run("scan", str(root), "--format", "json", "--no-cache", "-j", "1")
    assert code == 0, stderr
    assert seconds < BOUND
    assert '"status": "implemented"' in stdout


def test_deep_ref_chain_is_a_config_error(tmp_path: Path) -> None:
    lines = ["conditions:"] + [f"  c{i}: {{ref: c{i + 1}}}" for i in range(5_000)]
    lines.append("  c5000: {python.import: {name: x}}")
    root = _repo(tmp_path / "p", {
        ".auditor.yaml": "checklist: checklist.yaml\nrules: [evil.yaml]\n",
        "checklist.yaml": CHECKLIST,
        "evil.yaml": "\n".join(lines) + "\n" + RULE.format(when="{ref: c0}"),
    })
    code, _stdout, stderr, _seconds = _run("scan", str(root), "--no-cache")
    assert "deep" in _one_line_error(code, stderr)


def test_ref_cycle_is_a_config_error(tmp_path: Path) -> None:
    root = _repo(tmp_path / "p", {
        ".auditor.yaml": "checklist: checklist.yaml\nrules: [evil.yaml]\n",
        "checklist.yaml": CHECKLIST,
        "evil.yaml": "conditions:\n  a: {ref: b}\n  b: {not: {ref: a}}\n" + RULE.format(when="{ref: a}"),
    })
    code, _stdout, stderr, _seconds = _run("scan", str(root), "--no-cache")
    assert "refers to itself" in _one_line_error(code, stderr)


# -- 8: checklist and rule paths named by the repository ----------------------------------------------


@pytest.mark.parametrize("target", ["/dev/zero", "/etc/passwd", "outside", "fifo", "folder-link"])
def test_repo_config_paths_stay_inside_the_root(tmp_path: Path, target: str) -> None:
    root = tmp_path / "p"
    root.mkdir()
    outside = tmp_path / "creds.yaml"
    outside.write_text("aws_secret_access_key: hunter2\nsections: []\n", encoding="utf-8")
    name = {"outside": str(outside), "fifo": "fifo.yaml", "folder-link": "link/creds.yaml"}.get(target, target)
    if target == "fifo":
        os.mkfifo(root / "fifo.yaml")
    if target == "folder-link":
        os.symlink(tmp_path, root / "link")
    for key in ("checklist", "rules"):
        (root / ".auditor.yaml").write_text(f"{key}: {name}\n", encoding="utf-8")
        code, _stdout, stderr, seconds = _run("scan", str(root), "--no-cache", timeout=30)
        line = _one_line_error(code, stderr)
        assert ".auditor.yaml" in line
        assert "aws_secret_access_key" not in stderr and "hunter2" not in stderr
        assert seconds < 30


def test_huge_repo_checklist_is_refused_before_it_is_read(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    with (root / "big.yaml").open("wb") as handle:
        handle.truncate(300 * 1024 * 1024)  # sparse: 300 MB of NUL bytes
    (root / ".auditor.yaml").write_text("checklist: big.yaml\n", encoding="utf-8")
    code, _stdout, stderr, _seconds = _run("scan", str(root), "--no-cache", timeout=30)
    assert "big.yaml" in _one_line_error(code, stderr)
    assert "limit" in stderr


@pytest.mark.parametrize("flag", ["--checklist", "--rules"])
def test_command_line_paths_are_regular_files(tmp_path: Path, flag: str) -> None:
    project = tmp_path / "p"
    project.mkdir()
    os.mkfifo(tmp_path / "fifo.yaml")
    for target in (str(tmp_path / "fifo.yaml"), "/dev/zero"):
        code, _stdout, stderr, _seconds = _run("scan", str(project), flag, target, "--no-cache", timeout=30)
        assert "not a regular file" in _one_line_error(code, stderr)


def test_error_in_a_file_outside_does_not_quote_it(tmp_path: Path) -> None:
    """A file the user names on the command line may be anything: its keys stay out of the error."""
    project = tmp_path / "p"
    project.mkdir()
    creds = tmp_path / "creds.yaml"
    creds.write_text("aws_secret_access_key: hunter2\n", encoding="utf-8")
    code, _stdout, stderr, _seconds = _run("scan", str(project), "--checklist", str(creds), "--no-cache")
    _one_line_error(code, stderr)
    assert "aws_secret_access_key" not in stderr and "hunter2" not in stderr


# -- 12: a root pyproject.toml nested too deeply -----------------------------------------------------------


@pytest.mark.parametrize("text", [
    "a = " + "[" * 5_000 + "]" * 5_000 + "\n",
    "[tool.auditor]\nselect = " + "[" * 5_000 + "]" * 5_000 + "\n",
])
def test_deep_root_pyproject_is_not_an_internal_error(tmp_path: Path, text: str) -> None:
    root = _repo(tmp_path / "p", {"pyproject.toml": text, "app.py": "X = 1\n"})
    code, _stdout, stderr, _seconds = _run("scan", str(root), "--format", "json", "--no-cache", "-j", "1")
    if "tool.auditor" in text:
        assert "nested too deeply" in _one_line_error(code, stderr)
    else:
        assert code == 0, stderr
        assert "internal error" not in stderr


@pytest.mark.parametrize("name,text", [
    ("pyproject.toml", "[tool.auditor]\nfail_under = " + "1" * 5_000 + "\n"),
    (".auditor.yaml", "fail_under: " + "1" * 5_000 + "\n"),
    (".auditor.yaml", "waivers:\n  - item: db.pooling\n    reason: r\n    expires: 2024-13-45\n"),
], ids=["toml-bigint", "yaml-bigint", "yaml-bad-date"])
def test_values_python_cannot_convert_are_config_errors(tmp_path: Path, name: str, text: str) -> None:
    root = _repo(tmp_path / "p", {name: text, "app.py": "X = 1\n"})
    code, _stdout, stderr, _seconds = _run("scan", str(root), "--no-cache", "-j", "1")
    assert name in _one_line_error(code, stderr)


def test_bigint_in_a_root_pyproject_without_auditor_settings_is_a_warning(tmp_path: Path) -> None:
    root = _repo(tmp_path / "p", {"pyproject.toml": "a = " + "1" * 5_000 + "\n", "app.py": "X = 1\n"})
    code, _stdout, stderr, _seconds = _run("scan", str(root), "--format", "json", "--no-cache", "-j", "1")
    assert code == 0, stderr
