"""The fact cache: a warm scan reports byte for byte what a cold scan reports, and a bad entry
(corrupt, truncated, foreign, malformed) is ignored and rebuilt, never trusted."""

from __future__ import annotations

import json
import multiprocessing
import shutil
from pathlib import Path

import pytest

import auditor.engine.scan
import auditor.engine.tasks
from auditor.engine.caches import FactCache, entry_key, extractor_version
from auditor.engine.scan import ScanOptions, scan
from auditor.facts import FileFacts
from auditor.facts.pyast import cache_salt
from auditor.render.jsonout import render_json
from auditor.resources import PACKAGE, code_digest
from auditor.rules.schema import Checklist

pytestmark = pytest.mark.slow  # processes, whole-tree scans or generated cases

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "reference-service"


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    root = tmp_path / "svc"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    return root


def _report(root: Path, checklist: Checklist, cache: Path | None, jobs: int = 1) -> str:
    return render_json(scan(root, checklist, ScanOptions(jobs=jobs, cache_dir=cache)))


def _entries(cache: Path) -> list[Path]:
    """Fact entries (whole reports and per-file results live apart, under reports/ and results/)."""
    return sorted(p for p in cache.glob("*/*.json") if p.parent.name not in ("reports", "results"))


def _result_entries(cache: Path) -> list[Path]:
    return sorted(cache.glob("results/*/*.json"))


class _Counter:
    """Counts files actually extracted (cache misses)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.paths: list[str] = []
        real = auditor.engine.tasks.extract_job

        def counting(job: auditor.engine.tasks.Job, hard: bool = False) -> FileFacts:
            self.paths.append(job[0].path)
            return real(job, hard)

        monkeypatch.setattr(auditor.engine.tasks, "extract_job", counting)


def test_cold_warm_and_no_cache_reports_are_identical(project: Path, tmp_path: Path, checklist: Checklist,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    no_cache = _report(project, checklist, None)
    cold = _report(project, checklist, cache)
    assert _entries(cache)
    counter = _Counter(monkeypatch)
    warm = _report(project, checklist, cache)
    assert counter.paths == []  # every file came from the cache
    assert cold == no_cache
    assert warm == cold


def test_one_changed_file_is_the_only_one_extracted(project: Path, tmp_path: Path, checklist: Checklist,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    _report(project, checklist, cache)
    target = project / "app" / "main.py"
    target.write_text(target.read_text() + "\n\ndef added_later():\n    return 1\n")
    counter = _Counter(monkeypatch)
    warm = _report(project, checklist, cache)
    assert counter.paths == ["app/main.py"]
    monkeypatch.undo()
    assert warm == _report(project, checklist, None)


def _damage(entries: list[Path], damage: str, part: str) -> None:
    originals = {p: p.read_bytes() for p in entries}
    for i, path in enumerate(entries):
        raw = originals[path]
        if damage == "corrupt":
            path.write_bytes(b"\x00\xff not json" + raw[:40])
        elif damage == "truncated":
            path.write_bytes(raw[: len(raw) // 2])
        elif damage == "empty":
            path.write_bytes(b"")
        elif damage == "foreign":  # a valid entry of another file, under this file's key
            path.write_bytes(originals[entries[(i + 1) % len(entries)]])
        elif damage == "malformed":
            entry = json.loads(raw)
            if part == "facts":
                entry["facts"] = [{"t": "call", "line": "one"}, "not a fact"]
            else:
                entry["result"]["hits"] = {"0": [["one", 1, 2]], "99999": []}
            path.write_text(json.dumps(entry))
        else:
            entry = json.loads(raw)
            entry["format"] = -1
            entry["facts" if part == "facts" else "result"] = []
            path.write_text(json.dumps(entry))


DAMAGES = ["corrupt", "truncated", "empty", "foreign", "malformed", "wrong-format"]


@pytest.mark.parametrize("damage", DAMAGES)
def test_bad_entries_are_ignored_and_rebuilt(project: Path, tmp_path: Path, checklist: Checklist,
                                             monkeypatch: pytest.MonkeyPatch, damage: str) -> None:
    cache = tmp_path / "cache"
    cold = _Counter(monkeypatch)
    expected = _report(project, checklist, cache)
    monkeypatch.undo()
    _damage(_entries(cache), damage, "facts")
    _damage(_result_entries(cache), damage, "results")
    shutil.rmtree(cache / "reports")  # make the scan read the damaged entries
    counter = _Counter(monkeypatch)
    assert _report(project, checklist, cache) == expected
    assert counter.paths == cold.paths  # nothing damaged was trusted


@pytest.mark.parametrize("damage", DAMAGES)
def test_bad_results_are_rebuilt_from_the_cached_facts(project: Path, tmp_path: Path, checklist: Checklist,
                                                       monkeypatch: pytest.MonkeyPatch, damage: str) -> None:
    cache = tmp_path / "cache"
    expected = _report(project, checklist, cache)
    _damage(_result_entries(cache), damage, "results")
    shutil.rmtree(cache / "reports")
    counter = _Counter(monkeypatch)
    assert _report(project, checklist, cache) == expected
    assert counter.paths == []  # the facts were sound: matched again, not extracted again


def test_a_forged_entry_under_a_wrong_key_is_not_used(tmp_path: Path) -> None:
    cache = FactCache(tmp_path)
    key = entry_key(b"x = 1\n", "python", "s")
    cache.put(key, "python", [{"t": "import", "line": 1, "scope": "<module>", "name": "os"}], [])
    other = entry_key(b"y = 2\n", "python", "s")
    (tmp_path / other[:2]).mkdir(exist_ok=True)
    shutil.copy(tmp_path / key[:2] / f"{key}.json", tmp_path / other[:2] / f"{other}.json")
    assert cache.get(key) is not None
    assert cache.get(other) is None


def test_key_covers_bytes_kind_salt_extractor_and_tool_versions() -> None:
    base = entry_key(b"a = 1\n", "python", "x")
    assert entry_key(b"a = 2\n", "python", "x") != base
    assert entry_key(b"a = 1\n", "yaml", "x") != base
    assert entry_key(b"a = 1\n", "python", "y") != base
    salt = cache_salt("python", "runtime")
    assert "bandit=" in salt and "radon=" in salt and "runtime" in salt
    assert cache_salt("python", "test") != salt
    assert len(extractor_version()) == 16


def test_unwritable_cache_costs_only_time(project: Path, tmp_path: Path, checklist: Checklist) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache folder should be")
    assert _report(project, checklist, blocker) == _report(project, checklist, None)


_SHARED: dict[str, Checklist] = {}


def _scan_to(args: tuple[str, str, str]) -> None:
    root, cache, out = args  # a forked child: the parent's checklist, not the rule files as they are now
    Path(out).write_text(_report(Path(root), _SHARED["checklist"], Path(cache)))


def test_two_concurrent_scans_share_one_cache(project: Path, tmp_path: Path, checklist: Checklist) -> None:
    cache = tmp_path / "cache"
    outs = [tmp_path / "a.json", tmp_path / "b.json"]
    _SHARED["checklist"] = checklist
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_scan_to, args=((str(project), str(cache), str(o)),)) for o in outs]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    expected = _report(project, checklist, None)
    assert outs[0].read_text() == expected
    assert outs[1].read_text() == expected
    assert not list(cache.glob("*/.tmp-*"))  # no temporary file left behind
    assert _report(project, checklist, cache) == expected



def test_unchanged_tree_and_rules_reuse_the_whole_report(project: Path, tmp_path: Path, checklist: Checklist,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    cold = _report(project, checklist, cache)
    (report_file,) = (cache / "reports").glob("*.json")
    evaluated: list[int] = []
    real = auditor.engine.scan.evaluate
    monkeypatch.setattr(auditor.engine.scan, "evaluate", lambda *a, **k: evaluated.append(1) or real(*a, **k))
    assert _report(project, checklist, cache) == cold
    assert evaluated == []  # served from the report cache
    report_file.write_text('{"format": 1, "key": "x", "report": {}}')  # a foreign entry is not trusted
    assert _report(project, checklist, cache) == cold
    assert evaluated == [1]


def test_a_report_cached_by_other_evaluation_code_is_not_reused(project: Path, tmp_path: Path,
                                                                checklist: Checklist,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    cold = _report(project, checklist, cache)
    evaluated: list[int] = []
    real = auditor.engine.scan.evaluate
    monkeypatch.setattr(auditor.engine.scan, "evaluate", lambda *a, **k: evaluated.append(1) or real(*a, **k))
    monkeypatch.setattr(auditor.engine.scan, "evaluator_version", lambda: "other-build")
    assert _report(project, checklist, cache) == cold
    assert evaluated == [1]  # same version number, other evaluation code: evaluated again
    assert len(list((cache / "reports").glob("*.json"))) == 2


def test_code_digest_follows_the_code_not_its_location(tmp_path: Path) -> None:
    package = PACKAGE
    code = ("rules/*.py", "engine/*.py", "model.py")
    copies = []
    for name in ("a", "b"):
        copy = tmp_path / name / "auditor"
        for pattern in code:
            for path in package.glob(pattern):
                target = copy / path.relative_to(package)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
        copies.append(copy)
    digests = [code_digest(*code, package=copy) for copy in copies]
    assert digests[0] == digests[1] == code_digest(*code)
    evaluate = copies[1] / "rules" / "evaluate.py"
    evaluate.write_text(evaluate.read_text() + "\n# another build\n")
    assert code_digest(*code, package=copies[1]) != digests[0]


def test_report_key_changes_with_rules_limits_and_paths(project: Path, checklist: Checklist) -> None:
    options = ScanOptions(cache_dir=project / ".unused")
    prepared = auditor.engine.scan.prepare(project, options)
    key = auditor.engine.scan.report_key(prepared, checklist, options)
    assert auditor.engine.scan.report_key(prepared, checklist, options) == key
    narrowed = checklist.spec.model_copy(update={"sections": checklist.spec.sections[:1]})
    other = Checklist(spec=narrowed, path=checklist.path, rules=checklist.rules, conditions=checklist.conditions)
    assert auditor.engine.scan.report_key(prepared, other, options) != key
    bigger = ScanOptions(cache_dir=options.cache_dir, max_file_bytes=options.max_file_bytes + 1)
    assert auditor.engine.scan.report_key(prepared, checklist, bigger) != key
    (project / "app" / "moved.py").write_text((project / "app" / "main.py").read_text())
    assert auditor.engine.scan.report_key(auditor.engine.scan.prepare(project, options), checklist, options) != key


def test_incremental_evaluation_matches_a_full_one_when_files_change_and_vanish(
        project: Path, tmp_path: Path, checklist: Checklist) -> None:
    cache = tmp_path / "cache"
    _report(project, checklist, cache)
    assert _result_entries(cache)  # the kept per-file matcher hits
    (project / "app" / "backup.py").unlink()  # evidence for the backup items disappears
    (project / "app" / "extra_pool.py").write_text(
        "import sqlalchemy\nengine = sqlalchemy.create_engine('sqlite://', pool_pre_ping=True)\n")
    assert _report(project, checklist, cache) == _report(project, checklist, None)
