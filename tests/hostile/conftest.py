"""Session fixtures: the hostile corpus (with its 50 MB file) and the 100,000-tiny-files tree, built once."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile_corpus import TINY_FILES, Corpus, build_hostile_tree

SHM = Path("/dev/shm")


@pytest.fixture(scope="session")
def fast_tmp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A session folder on tmpfs when there is one (100,000 files take 1 s there, 35 s on some disks)."""
    if SHM.is_dir() and os.access(SHM, os.W_OK):
        base = Path(tempfile.mkdtemp(prefix="auditor-hostile-", dir=SHM))
        yield base
        shutil.rmtree(base, ignore_errors=True)
    else:
        yield tmp_path_factory.mktemp("hostile-session")


@pytest.fixture(scope="session")
def hostile(fast_tmp: Path) -> Corpus:
    """The hostile corpus (with its 50 MB file), built once per session."""
    base = fast_tmp / "hostile"
    base.mkdir()
    return build_hostile_tree(base / "repo", base / "EXECUTED")


@pytest.fixture(scope="session")
def tiny_tree(fast_tmp: Path) -> Path:
    """100,000 tiny files in 1,000 folders: 1,000 Python, 100 YAML, the rest of kinds no extractor reads."""
    root = fast_tmp / "tiny"
    root.mkdir()
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    for folder in range(1_000):
        sub = root / f"pkg{folder:03d}"
        sub.mkdir()
        for index in range(TINY_FILES // 1_000):
            if index == 0:
                name, data = "mod.py", b"X = 1\n"
            elif index == 1 and folder % 10 == 0:
                name, data = "conf.yaml", b"a: 1\n"
            else:
                name, data = f"f{index:02d}.dat", b"x"
            fd = os.open(sub / name, flags, 0o644)
            try:
                os.write(fd, data)
            finally:
                os.close(fd)
    return root
