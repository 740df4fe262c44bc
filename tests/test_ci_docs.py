"""Every snippet of docs/ci.md works as written, on a machine that has only this repository.

The install line's URL and the pre-commit `repo:` are pointed at a local clone of this checkout
tagged `v0.1.0` (what a user's own paths would change); everything else runs as the docs say: the
config examples, the baseline commands, the pull-request policy step, the Action's own steps as
shell equivalents (no `act`), the workflow without the Action and the GitLab job's script.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import venv
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "ci.md"
MINIMAL = ROOT / "fixtures" / "minimal-service"
REPO_URL = "https://github.com/checklist-auditor/checklist-auditor"
TAG = "v0.1.0"
BIN = Path(sys.executable).parent

pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("git") is None or shutil.which("bash") is None,
                                reason="git and bash are needed")]


def fenced_blocks() -> list[tuple[str, str]]:
    """(language, text) of every fenced block in docs/ci.md."""
    return [(m.group(1), m.group(2)) for m in re.finditer(r"```(\w*)\n(.*?)```", DOC.read_text(), re.DOTALL)]


def block(first_line: str) -> str:
    found = [text for _, text in fenced_blocks() if text.splitlines()[0].strip() == first_line]
    assert len(found) == 1, f"docs/ci.md: no single block starting with {first_line!r}"
    return found[0]


TESTED = {  # first line of each fenced block -> the test that runs it
    "# .auditor.yaml": "test_the_config_examples_are_valid_and_current",
    "# pyproject.toml": "test_the_config_examples_are_valid_and_current",
    "- uses: actions/checkout@v4": "test_the_pull_request_policy_step_pins_the_gate",
    "repos:": "test_the_pre_commit_snippet_at_the_release_tag",
    "name: checklist-auditor": "test_the_action_steps_as_shell",
    "- uses: actions/setup-python@v5": "test_the_workflow_without_the_action",
    "checklist-auditor:": "test_the_gitlab_job_script",
}


def _git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


def _shell(script: str, cwd: Path, env: dict[str, str] | None = None,
           check: bool = True) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", **(env or {})}
    proc = subprocess.run(["bash", "-eo", "pipefail", "-c", script], cwd=cwd, env=full, capture_output=True,
                          text=True, timeout=600)
    if check:
        assert proc.returncode == 0, f"{script}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def _service(target: Path, config: str | None = None) -> Path:
    shutil.copytree(MINIMAL, target, ignore=shutil.ignore_patterns("__pycache__"))
    if config is not None:
        (target / ".auditor.yaml").write_text(config, encoding="utf-8")
    _git(target, "init", "-q", "-b", "main")
    _git(target, "add", "-A")
    _git(target, "commit", "-q", "-m", "service")
    return target


@pytest.fixture(scope="module")
def release_clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clone of this checkout's HEAD with the release tag, as a user's machine would fetch it."""
    if not (ROOT / ".git").exists():
        pytest.skip("the checkout under test is not a git repository")
    clone = tmp_path_factory.mktemp("release") / "checklist-auditor"
    subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(ROOT), str(clone)], check=True, capture_output=True)
    _git(clone, "checkout", "-q", _git(ROOT, "rev-parse", "HEAD"))
    _git(clone, "tag", "-f", TAG)
    return clone


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory: pytest.TempPathFactory, release_clone: Path) -> Path:
    """A new virtual environment into which the docs' install line puts the auditor from the tag.

    The auditor's dependencies come from this test environment (no downloads); the auditor itself is
    built from the tagged clone, as `pip install git+https://...@v0.1.0` does."""
    env_dir = tmp_path_factory.mktemp("user") / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    site = subprocess.check_output([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                   text=True).strip()
    Path(site, "test-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    return env_dir


def _user_install(line: str, clone: Path) -> str:
    """The docs' pip line, pointed at the local clone and kept offline."""
    assert f"git+{REPO_URL}@{TAG}" in line, line
    line = line.replace(f"git+{REPO_URL}@{TAG}", f"git+file://{clone}@{TAG}")
    return line.replace("pip install", "pip install --no-deps --no-index --no-build-isolation "
                                        "--disable-pip-version-check -q", 1)


def test_every_snippet_is_exercised() -> None:
    firsts = [text.splitlines()[0].strip() for _, text in fenced_blocks()]
    assert sorted(firsts) == sorted(TESTED), "a docs/ci.md snippet was added or changed: test it here"


def test_the_config_examples_are_valid_and_current(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from auditor.cli import main

    for n, (name, text) in enumerate(((".auditor.yaml", block("# .auditor.yaml")),
                                      ("pyproject.toml", block("# pyproject.toml")))):
        root = tmp_path / f"p{n}"
        shutil.copytree(MINIMAL, root)
        (root / name).write_text(text, encoding="utf-8")
        expiries = [date.fromisoformat(d) for d in re.findall(r"expires\s*[:=]\s*(\d{4}-\d{2}-\d{2})", text)]
        assert expiries and all(d >= date.today() for d in expiries), "a waiver example has expired: move it on"
        result = CliRunner().invoke(main, ["scan", str(root), "--no-cache", "-j", "1"], catch_exceptions=False)
        assert result.exit_code in (0, 1), result.stderr
        assert "expired" not in result.stderr
    assert "missing:critical" not in DOC.read_text()  # no bundled item is critical: such a gate never fails


def test_the_baseline_commands(tmp_path: Path) -> None:
    commands = [line.strip() for line in DOC.read_text().splitlines()
                if line.startswith("    auditor ") and ("baseline" in line)]
    assert len(commands) == 3
    root = _service(tmp_path / "svc")
    for command in commands:
        _shell(command.split("#")[0], root)
    assert (root / ".auditor-baseline.yaml").is_file()


def test_the_pre_commit_snippet_at_the_release_tag(tmp_path: Path, release_clone: Path) -> None:
    pytest.importorskip("pre_commit")
    config = yaml.safe_load(block("repos:"))
    assert config["repos"][0]["repo"] == REPO_URL and config["repos"][0]["rev"] == TAG
    config["repos"][0]["repo"] = str(release_clone)  # the user's own path: a clone instead of the URL
    root = _service(tmp_path / "svc", "fail_under: 0.75\nfail_on: ['missing:high']\n")
    (root / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "hook")
    home = tmp_path / "pre-commit-home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRE_COMMIT", "VIRTUAL_ENV"))}
    env.update({"PRE_COMMIT_HOME": str(home), "XDG_CACHE_HOME": str(home / "xdg")})
    proc = subprocess.run([sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never"], cwd=root,
                          env=env, capture_output=True, text=True, timeout=1200)
    output = proc.stdout + proc.stderr
    assert "An unexpected error has occurred" not in output, output
    assert proc.returncode == 1 and "Failed" in output, output
    assert "auditor: gate failed: score" in output


def _action_step(name: str) -> dict:
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    return next(s for s in action["runs"]["steps"] if s.get("name") == name or s.get("id") == name)


def _run_action(root: Path, tmp: Path, inputs: dict[str, str]) -> dict[str, str]:
    """The action's Scan and Gate steps in bash, with the env GitHub would give them."""
    defaults = {k: str(v.get("default", "")) for k, v in
                yaml.safe_load((ROOT / "action.yml").read_text())["inputs"].items()}
    values = {**defaults, **inputs}
    scan = _action_step("scan")
    github = {"GITHUB_OUTPUT": str(tmp / "output"), "GITHUB_STEP_SUMMARY": str(tmp / "summary.md"),
              "RUNNER_TEMP": str(tmp)}
    env = {**github}
    for key, expr in scan["env"].items():
        found = re.fullmatch(r"\$\{\{ (inputs|runner)\.([\w-]+) \}\}(.*)", expr)
        assert found, expr
        env[key] = (values[found.group(2)] if found.group(1) == "inputs" else str(tmp)) + found.group(3)
    _shell(scan["run"], root, env)
    outputs = dict(line.split("=", 1) for line in (tmp / "output").read_text().splitlines())
    gate = _shell(_action_step("Gate")["run"], root, {"CODE": outputs["exit-code"]}, check=False)
    outputs["gate-exit"] = str(gate.returncode)
    outputs["gate-log"] = gate.stdout
    return outputs


def test_the_action_steps_as_shell(tmp_path: Path) -> None:
    workflow = yaml.safe_load(block("name: checklist-auditor"))
    step = workflow["jobs"]["audit"]["steps"][1]
    assert step["uses"] == f"checklist-auditor/checklist-auditor@{TAG}"
    assert workflow["permissions"]["security-events"] == "write"
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert set(step["with"]) <= set(action["inputs"])
    root = _service(tmp_path / "svc")
    # the documented args, plus an argument with a space that must reach auditor as one
    out = _run_action(root, tmp_path, {"path": step["with"]["path"],
                                       "args": step["with"]["args"] + " --fail-under '0.9' --exclude 'no such/**'"})
    assert out["exit-code"] == "1" and out["gate-exit"] == "1"
    assert "gate failed" in out["gate-log"]
    summary = (tmp_path / "summary.md").read_text()
    assert "Gate failed" in summary.split("| Section |")[0]
    json.loads(Path(out["sarif"]).read_text())
    ET.parse(out["junit"])  # the artifact files exist and parse
    assert "<html" in Path(out["html"]).read_text()
    uploads = [s for s in action["runs"]["steps"] if s.get("uses", "").startswith("actions/upload-artifact")]
    assert uploads and "steps.scan.outputs.html" in uploads[0]["with"]["path"]


def test_the_pull_request_policy_step_pins_the_gate(tmp_path: Path) -> None:
    snippet = yaml.safe_load(block("- uses: actions/checkout@v4"))
    base_step, action_step = snippet[1], snippet[2]
    assert action_step["uses"] == f"checklist-auditor/checklist-auditor@{TAG}"
    origin = _service(tmp_path / "origin", "fail_under: 0.5\n")
    work = tmp_path / "pr"
    subprocess.run(["git", "clone", "-q", str(origin), str(work)], check=True, capture_output=True)
    _git(work, "checkout", "-q", "-b", "loosen")
    (work / ".auditor.yaml").write_text("fail_under: 0.0\nsoft_fail: true\n", encoding="utf-8")
    _git(work, "commit", "-q", "-am", "loosen the gate")
    runner = tmp_path / "runner"
    runner.mkdir()
    _shell(base_step["run"], work, {"BASE": "main", "RUNNER_TEMP": str(runner)})
    policy = str(runner / "base" / ".auditor.yaml")  # what the `policy:` expression gives on pull_request
    assert "format('{0}/base/.auditor.yaml', runner.temp)" in action_step["with"]["policy"]
    out = _run_action(work, runner, {"policy": policy})
    assert out["exit-code"] == "1", out
    summary = html.unescape((runner / "summary.md").read_text())
    assert "policy pinned by --policy .auditor.yaml; ignored from .auditor.yaml: soft_fail, fail_under 0.00" in summary
    loose = _run_action(work, tmp_path, {})
    assert loose["exit-code"] == "0"  # without the pin the pull request passes its own gate...
    assert "changed the policy: soft-fail" in html.unescape((tmp_path / "summary.md").read_text())  # ...says so


def test_the_workflow_without_the_action(tmp_path: Path, release_clone: Path, fresh_venv: Path) -> None:
    steps = yaml.safe_load(block("- uses: actions/setup-python@v5"))
    runs = [s["run"] for s in steps if "run" in s]
    root = _service(tmp_path / "svc")
    env = {"PATH": f"{fresh_venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
           "GITHUB_STEP_SUMMARY": str(tmp_path / "step-summary.md")}
    _shell(_user_install(runs[0], release_clone), root, env)
    assert (fresh_venv / "bin" / "auditor").exists()
    scan = _shell(runs[1], root, env, check=False)
    assert scan.returncode in (0, 1), scan.stderr
    _shell(runs[2], root, env)
    assert "## Best Practices Implementation Status" in (tmp_path / "step-summary.md").read_text()
    assert json.loads((root / "auditor.sarif").read_text())["version"] == "2.1.0"


def test_the_gitlab_job_script(tmp_path: Path, release_clone: Path, fresh_venv: Path) -> None:
    job = yaml.safe_load(block("checklist-auditor:"))["checklist-auditor"]
    root = _service(tmp_path / "svc", "fail_under: 0.75\n")
    env = {"PATH": f"{fresh_venv / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    script = [_user_install(line, release_clone) if line.startswith("pip install") else line for line in job["script"]]
    result = _shell("\n".join(script), root, env, check=False)
    assert result.returncode == 1, result.stderr  # the gate failed: the job fails, the artifacts are kept
    assert result.stderr.strip().splitlines()[-1].startswith("auditor: gate failed: score")
    for path in job["artifacts"]["paths"]:
        assert (root / path).is_file(), path
    suites = ET.parse(root / job["artifacts"]["reports"]["junit"]).getroot()
    assert any(s.get("name") == "Gate" for s in suites)
