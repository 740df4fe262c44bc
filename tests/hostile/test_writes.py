"""A scanned repository may not make the auditor write outside its tree, through a symlink, or
leave a broken or half-written file: every write is atomic and confined (auditor.safewrite)."""

from __future__ import annotations

import errno
import os
import subprocess
from pathlib import Path

import pytest
from hostile_corpus import PYTHON, REPO

from auditor.errors import EXIT_USAGE as EXIT_CONFIG
from auditor.render.outputs import write_text
from auditor.safewrite import TEMP_PREFIX, UnsafeWrite, write_atomic
from auditor.store import CACHE_FORMAT, write_entry

pytestmark = pytest.mark.slow  # processes, whole-tree scans or generated cases

APP = "from fastapi import FastAPI\napp = FastAPI()\n"


def auditor(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PYTHON, "-m", "auditor.cli", *args], capture_output=True, text=True, timeout=300,
                          cwd=cwd, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})


def service(tmp_path: Path, config: str | None = None) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "app.py").write_text(APP)
    if config is not None:
        (root / ".auditor.yaml").write_text(config)
    return root


def one_line_error(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == EXIT_CONFIG, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    return lines[0]


@pytest.mark.parametrize("where", ["absolute", "dotdot"])
def test_repo_config_baseline_outside_root_is_refused(tmp_path: Path, where: str) -> None:
    outside = tmp_path / "outside" / "pwned.yaml"
    outside.parent.mkdir()
    value = str(outside) if where == "absolute" else "../outside/pwned.yaml"
    root = service(tmp_path, f"baseline: {value}\n")
    line = one_line_error(auditor("baseline", str(root), "--no-cache", "-j", "1"))
    assert ".auditor.yaml:1" in line and "outside the scanned folder" in line
    assert not outside.exists()
    # a scan reads the baseline from the same key: the same refusal, nothing read from outside
    outside.write_text("items: {}\n")
    line = one_line_error(auditor("scan", str(root), "--no-cache", "-j", "1"))
    assert "outside the scanned folder" in line


def test_dangling_baseline_symlink_is_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "outside-target.yaml"
    root = service(tmp_path)
    (root / ".auditor-baseline.yaml").symlink_to(target)
    line = one_line_error(auditor("baseline", str(root), "--no-cache", "-j", "1"))
    assert "symbolic link" in line
    assert not target.exists()
    assert (root / ".auditor-baseline.yaml").is_symlink()


def test_baseline_through_a_linked_folder_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    root = service(tmp_path, "baseline: linked/base.yaml\n")
    (root / "linked").symlink_to(outside, target_is_directory=True)
    line = one_line_error(auditor("baseline", str(root), "--no-cache", "-j", "1"))
    assert "outside the scanned folder" in line
    assert list(outside.iterdir()) == []


def test_baseline_inside_root_is_written(tmp_path: Path) -> None:
    root = service(tmp_path, "baseline: ci/base.yaml\n")
    (root / "ci").mkdir()
    proc = auditor("baseline", str(root), "--no-cache", "-j", "1")
    assert proc.returncode == 0, proc.stderr
    text = (root / "ci" / "base.yaml").read_text()
    assert "items:" in text
    assert oct((root / "ci" / "base.yaml").stat().st_mode & 0o777) != oct(0o600)  # not a private temp mode
    assert not [p for p in (root / "ci").iterdir() if p.name.startswith(TEMP_PREFIX)]


@pytest.mark.parametrize("field", ["name", "title"])
def test_checklist_names_with_control_characters_are_refused(tmp_path: Path, field: str) -> None:
    evil = "x\\t$(touch /tmp/PWNED)"
    name = evil if field == "name" else "fine"
    title = evil if field == "title" else "Fine"
    root = service(tmp_path, "checklist: team.yaml\n")
    (root / "team.yaml").write_text(
        f'name: "{name}"\nsections:\n- id: s\n  title: "{title}"\n  items:\n'
        "  - {id: s.one, title: One, description: d, remediation: r, rule: db-pooling}\n")
    line = one_line_error(auditor("baseline", str(root), "--no-cache", "-j", "1"))
    assert "control characters" in line
    assert not (root / ".auditor-baseline.yaml").exists()


def test_output_onto_a_symlink_is_refused(tmp_path: Path) -> None:
    root = service(tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    link = tmp_path / "report.json"
    link.symlink_to(victim)
    for flag in ("-o", "--output-html"):
        proc = auditor("scan", str(root), "--no-cache", "-j", "1", "--format", "json", flag, str(link))
        assert proc.returncode == 2, proc.stderr
        assert "symbolic link" in proc.stderr and "Traceback" not in proc.stderr
        assert victim.read_text() == "precious\n"
        assert link.is_symlink()


def test_failed_output_write_keeps_the_previous_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    report = tmp_path / "report.json"
    report.write_text("the previous report\n")

    def full_disk(fd: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full_disk)
    from auditor.errors import AuditorError

    with pytest.raises(AuditorError, match="No space left"):
        write_text(report, "x" * 100_000)
    monkeypatch.undo()
    assert report.read_text() == "the previous report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_full_cache_disk_leaves_no_temporary_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full_disk(fd: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full_disk)
    for i in range(50):
        write_entry(tmp_path / "ab" / f"{i}.json", {"format": CACHE_FORMAT, "key": str(i), "facts": []})
    monkeypatch.undo()
    leftovers = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert leftovers == []


def test_write_atomic_refuses_fifo_and_directory(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(UnsafeWrite, match="not a regular file"):
        write_atomic(fifo, b"x")
    with pytest.raises(UnsafeWrite, match="not a regular file"):
        write_atomic(tmp_path, b"x")


def test_verify_fix_does_not_write_through_a_symlink(tmp_path: Path) -> None:
    root = service(tmp_path)
    real = tmp_path / "real-status.md"
    real.write_text((REPO / "tests" / "data" / "seed-checklist.md").read_text())
    link = root / "STATUS.md"
    link.symlink_to(real)
    before = real.read_text()
    proc = auditor("verify", str(link), "--path", str(root), "--fix", "--no-cache")
    assert "symbolic link" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert real.read_text() == before


@pytest.mark.parametrize("device", ["/dev/null", "/dev/stdout"])
def test_output_to_a_stream_device_is_written(tmp_path: Path, device: str) -> None:
    root = service(tmp_path)
    proc = auditor("scan", str(root), "--no-cache", "-j", "1", "--format", "json", "-o", device)
    assert proc.returncode in (0, 1), proc.stderr
    assert "not written" not in proc.stderr
    if device == "/dev/stdout":
        assert '"schema_version"' in proc.stdout


def test_a_fifo_in_the_repo_is_not_a_baseline(tmp_path: Path) -> None:
    root = service(tmp_path, "baseline: pipe.yaml\n")
    os.mkfifo(root / "pipe.yaml")
    line = one_line_error(auditor("baseline", str(root), "--no-cache", "-j", "1", "--update"))
    assert "pipe.yaml" in line
