"""The auditor on hostile trees: it finishes, warns once per problem file, writes nothing, runs nothing.

The CLI runs in a subprocess (``python -m auditor.cli scan PATH --format json --no-cache``) so a
traceback or a crash would show; the in-process tests cover what needs monkeypatching (shuffled
discovery, slow, stuck or crashing extractors in both the in-process and the worker-pool path).
"""

from __future__ import annotations

import faulthandler
import os
import random
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hostile_corpus import PYTHON, REPO, Corpus, ScanResult, billion_laughs, build_hostile_tree, run_cli, snapshot

import auditor.engine.discover
import auditor.engine.scan
import auditor.facts.extract
from auditor.engine.discover import Discovery
from auditor.engine.scan import ScanOptions, scan
from auditor.render.jsonout import render_json
from auditor.rules.schema import Checklist

pytestmark = pytest.mark.slow  # processes, whole-tree scans or generated cases

TIME_LIMIT = 90.0  # seconds for one scan of the corpus on 2 busy cores (it takes ~5)


@pytest.fixture(scope="module")
def scans(hostile: Corpus) -> Iterator[dict[str, Any]]:
    """The corpus scanned in-process (-j 1) and with worker processes (-j 2), with snapshots around."""
    before = snapshot(hostile.root)
    results = {"j1": run_cli(hostile.root, "-j", "1"), "j2": run_cli(hostile.root, "-j", "2")}
    yield {"before": before, "after": snapshot(hostile.root), **results}


@pytest.mark.parametrize("jobs", ["j1", "j2"])
def test_scan_finishes_without_traceback(scans: dict[str, Any], jobs: str) -> None:
    result: ScanResult = scans[jobs]
    assert result.code == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert "internal error" not in result.stderr
    assert result.seconds < TIME_LIMIT
    result.stdout.encode("utf-8")  # the report is text: no escaped bytes from odd file names
    assert result.report()["items"]


@pytest.mark.parametrize("jobs", ["j1", "j2"])
def test_one_warning_per_problem_file(scans: dict[str, Any], hostile: Corpus, jobs: str) -> None:
    warned: dict[str, list[str]] = {}
    for path, message in scans[jobs].warnings():
        warned.setdefault(path, []).append(message)
    for path, reason in hostile.expected.items():
        assert path in warned, f"no warning for {path!r}"
        assert len(warned[path]) == 1, f"{path!r}: {warned[path]}"
        assert reason in warned[path][0], f"{path!r}: {warned[path][0]!r} does not say {reason!r}"
    unexpected = {p: m for p, m in warned.items() if p not in hostile.expected}
    assert not unexpected
    for path in hostile.clean:
        assert path not in warned


def test_reports_are_byte_identical_across_runs_and_worker_counts(scans: dict[str, Any]) -> None:
    assert scans["j1"].stdout == scans["j2"].stdout


def test_scanned_tree_is_unchanged(scans: dict[str, Any]) -> None:
    before, after = scans["before"], scans["after"]
    assert before.keys() == after.keys()
    changed = [path for path in before if before[path] != after[path]]
    assert not changed


def test_scanned_code_is_never_imported_or_run(scans: dict[str, Any], hostile: Corpus) -> None:
    assert not hostile.marker.exists()
    assert not list(hostile.root.rglob("__pycache__"))


def test_max_file_size_is_configurable(hostile: Corpus) -> None:
    result = run_cli(hostile.root / "app", "--max-file-size", "60", "-j", "1")
    assert result.code == 0, result.stderr
    skipped = {p for p, m in result.warnings() if "over the 60-byte limit" in m}
    assert "main.py" in skipped and "filler/mod_00.py" not in skipped


def test_limits_are_configurable(hostile: Corpus) -> None:
    result = run_cli(hostile.root / "config", "--max-yaml-nodes", "3", "--parse-timeout", "5", "-j", "1")
    assert result.code == 0, result.stderr
    warned = dict(result.warnings())
    assert "more YAML nodes than the limit" in warned["tags.yaml"]
    assert "more YAML nodes" in warned["bomb.yaml"]
    bad = run_cli(hostile.root / "config", "--parse-timeout", "-1")
    assert bad.code == 2 and "Traceback" not in bad.stderr


def test_hundred_thousand_tiny_files(tiny_tree: Path) -> None:
    result = run_cli(tiny_tree, "-j", "2")
    assert result.code == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert result.seconds < TIME_LIMIT
    stats = result.report()["stats"]
    assert stats["files.python"] == 1_000 and stats["files.yaml"] == 100


# -- in process: shuffled discovery, time limits and crashes ------------------------------------------


@pytest.fixture(scope="module")
def small_hostile(fast_tmp: Path) -> Corpus:
    base = fast_tmp / "small"
    base.mkdir()
    return build_hostile_tree(base / "repo", base / "EXECUTED", big_file=False)


def test_discovery_order_does_not_change_the_report(small_hostile: Corpus, checklist: Checklist,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    options = ScanOptions(jobs=1)
    reference = render_json(scan(small_hostile.root, checklist, options))
    real_scandir = os.scandir
    real_discover = auditor.engine.scan.discover
    for seed in (1, 2):
        rng = random.Random(seed)

        def shuffled_scandir(path: Any, _rng: random.Random = rng) -> Iterator[os.DirEntry[str]]:
            entries = list(real_scandir(path))
            _rng.shuffle(entries)
            return iter(entries)

        def shuffled_discover(*args: Any, _rng: random.Random = rng, **kwargs: Any) -> Discovery:
            found = real_discover(*args, **kwargs)
            _rng.shuffle(found.files)
            _rng.shuffle(found.warnings)
            return found

        monkeypatch.setattr(auditor.engine.discover.os, "scandir", shuffled_scandir)
        monkeypatch.setattr(auditor.engine.scan, "discover", shuffled_discover)
        assert render_json(scan(small_hostile.root, checklist, options)) == reference
        monkeypatch.undo()


def _project(root: Path, special: dict[str, str], filler: int) -> Path:
    root.mkdir()
    for name, text in special.items():
        (root / name).write_text(text, encoding="utf-8")
    for i in range(filler):
        (root / f"ok_{i:02d}.py").write_text(f"VALUE_{i} = {i}\n", encoding="utf-8")
    return root


def _patch_python(monkeypatch: pytest.MonkeyPatch, behaviour: Callable[[bytes], None]) -> None:
    """Run ``behaviour`` before the real Python extractor (worker processes are forked: they inherit it)."""
    real = auditor.facts.extract.extract_python

    def patched(data: bytes, *args: Any) -> Any:
        behaviour(data)
        return real(data, *args)

    monkeypatch.setattr(auditor.facts.extract, "extract_python", patched)


def _spin(data: bytes) -> None:
    if b"SLOW" in data:
        while True:
            pass


@pytest.mark.parametrize("jobs,filler", [(1, 3), (2, 45)], ids=["in-process", "worker-pool"])
def test_per_file_time_limit(tmp_path: Path, checklist: Checklist, monkeypatch: pytest.MonkeyPatch,
                             jobs: int, filler: int) -> None:
    _patch_python(monkeypatch, _spin)
    root = _project(tmp_path / "p", {"slow.py": "SLOW = 1\n"}, filler)
    start = time.monotonic()
    report = scan(root, checklist, ScanOptions(jobs=jobs, parse_timeout=0.5))
    assert time.monotonic() - start < 30
    warned = {(w.path, w.message) for w in report.warnings}
    assert warned == {("slow.py", "not parsed: extraction took longer than the 0.5-second limit")}
    # the alarm is disarmed and the previous handler restored once the scan is over
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, signal.default_int_handler, None)


def test_worker_crash_costs_one_file(tmp_path: Path, checklist: Checklist, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(data: bytes) -> None:
        if b"CRASH" in data:
            faulthandler.disable()  # pytest's would print the worker's stack
            os.kill(os.getpid(), signal.SIGSEGV)

    _patch_python(monkeypatch, crash)
    root = _project(tmp_path / "p", {"crash.py": "CRASH = 1\n", "zz_after.py": "import sqlalchemy\n"}, 45)
    report = scan(root, checklist, ScanOptions(jobs=2, parse_timeout=5))
    warned = {(w.path, w.message) for w in report.warnings}
    assert warned == {("crash.py", "not parsed: the extractor crashed its worker process")}
    assert report.stats["files.python"] == 47


def test_native_code_past_the_limit_is_stopped(tmp_path: Path, checklist: Checklist,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """LibCST's Rust parser cannot be interrupted by SIGALRM: the worker's CPU timer ends it."""
    monkeypatch.setattr(auditor.facts.extract, "python_guard", lambda data: None)
    chain = "x = (\n" + "    1 +\n" * 10_000 + "    1)\n"
    root = _project(tmp_path / "p", {"chain.py": chain}, 45)
    start = time.monotonic()
    report = scan(root, checklist, ScanOptions(jobs=2, parse_timeout=0.5))
    assert time.monotonic() - start < 60
    warned = {(w.path, w.message) for w in report.warnings}
    assert warned == {("chain.py", "not parsed: extraction ran past the 0.5-second limit in native code and was "
                                   "stopped")}


# -- user-supplied rules and config are data, never code --------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PYTHON, "-m", "auditor.cli", *args], capture_output=True, text=True, timeout=120,
                          cwd=REPO)


@pytest.mark.parametrize("text", [
    "rules:\n  x: !!python/object/apply:os.system ['touch {marker}']\n",
    "!!python/object/new:os.system [\"touch {marker}\"]\n",
    "rules:\n  evil-rule:\n    summary: s\n    motivation: m\n    implemented:\n      reason: r\n"
    "      when: \"__import__('os').system('touch {marker}')\"\n    missing: {{reason: r}}\n",
    "rules:\n  evil-rule:\n    summary: s\n    motivation: m\n    implemented:\n      reason: r\n"
    "      when: {{eval: \"open('{marker}', 'w')\"}}\n    missing: {{reason: r}}\n",
    "rules:\n  evil-rule:\n    summary: s\n    motivation: m\n    implemented: !!python/object:os.system\n"
    "      reason: r\n      when: {{python.call: {{name: x}}}}\n    missing: {{reason: r}}\n",
    "rules:\n  evil-rule:\n    summary: !!python/name:os.system\n    motivation: m\n",
], ids=["python-tag", "python-new-tag", "python-string", "eval-key", "tagged-mapping", "tagged-scalar"])
def test_rule_files_with_code_are_rejected(tmp_path: Path, text: str) -> None:
    marker = tmp_path / "EXECUTED"
    rules = tmp_path / "evil.yaml"
    rules.write_text(text.format(marker=marker), encoding="utf-8")
    project = tmp_path / "p"
    project.mkdir()
    result = _cli("scan", str(project), "--rules", str(rules), "--format", "json", "--no-cache")
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not marker.exists()


def test_config_bomb_is_rejected_quickly(tmp_path: Path) -> None:
    project = tmp_path / "p"
    project.mkdir()
    (project / ".auditor.yaml").write_text(billion_laughs(), encoding="utf-8")
    start = time.monotonic()
    result = _cli("scan", str(project), "--format", "json", "--no-cache")
    assert time.monotonic() - start < 60
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
