"""The cache is bounded: least recently used entries go first, and ``auditor cache info|prune``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cachesize import prune, usage
from auditor.cli import main
from auditor.store import CACHE_FORMAT, read_entry, write_entry


def fill(folder: Path, count: int, pad: int = 1000) -> list[Path]:
    paths = []
    for n in range(count):
        key = f"{n:02d}" * 32
        path = folder / key[:2] / f"{key}.json"
        write_entry(path, {"format": CACHE_FORMAT, "key": key, "pad": "x" * pad})
        os.utime(path, (1_000_000 + n, 1_000_000 + n))  # entry 0 is the oldest
        paths.append(path)
    return paths


def test_prune_evicts_the_least_recently_used_first(tmp_path: Path) -> None:
    paths = fill(tmp_path, 5)
    assert read_entry(paths[0], paths[0].stem) is not None  # a hit makes the oldest the newest
    size = paths[0].stat().st_size
    removed = prune(tmp_path, 2 * size)
    assert removed.entries == 3
    assert sorted(p for p in paths if p.exists()) == sorted([paths[0], paths[4]])
    assert usage(tmp_path).entries == 2


def test_cache_info_and_prune_commands(tmp_path: Path) -> None:
    paths = fill(tmp_path, 4)
    size = paths[0].stat().st_size
    runner = CliRunner()
    info = runner.invoke(main, ["cache", "info", "--cache-dir", str(tmp_path)])
    assert info.exit_code == 0, info.output
    assert "entries: 4\n" in info.output and f"({4 * size} bytes)" in info.output
    pruned = runner.invoke(main, ["cache", "prune", "--cache-dir", str(tmp_path), "--max-size", str(3 * size)])
    assert pruned.exit_code == 0 and "removed 1 entries" in pruned.output
    assert not paths[0].exists() and paths[1].exists()
    assert runner.invoke(main, ["cache", "prune", "--cache-dir", str(tmp_path), "--all"]).exit_code == 0
    assert usage(tmp_path).entries == 0
    bad = runner.invoke(main, ["cache", "prune", "--cache-dir", str(tmp_path), "--max-size", "lots"])
    assert bad.exit_code == 2 and "--max-size: 'lots' is not a size" in bad.output


def test_a_scan_keeps_the_cache_within_its_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "svc"
    project.mkdir()
    for n in range(6):
        (project / f"mod{n}.py").write_text(f"import logging\nlogger = logging.getLogger({n})\n" + "x = 1\n" * 200)
    cache = tmp_path / "cache"
    fill(cache, 30, pad=100_000)
    monkeypatch.setenv("CHECKLIST_AUDITOR_CACHE_LIMIT", "2M")
    result = CliRunner().invoke(main, ["scan", str(project), "--cache-dir", str(cache), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert 0 < usage(cache).size <= 2_000_000
    assert not (cache / "00" / f"{'00' * 32}.json").exists()  # the oldest entries went first
    assert (cache / "29" / f"{'29' * 32}.json").exists()
