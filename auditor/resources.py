"""The package's own files: where the bundled checklist, rules and report templates live (source
tree or installed wheel), and digests of its code for cache keys."""

from __future__ import annotations

import hashlib
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def data_dir() -> Path:
    """``auditor/_data`` inside a wheel; the repository's top level in a source checkout."""
    packaged = PACKAGE / "_data"
    if (packaged / "checklist.yaml").is_file():
        return packaged
    return PACKAGE.parent


def code_digest(*globs: str, package: Path = PACKAGE) -> str:
    """A digest of the package's files matching ``globs`` (relative paths and bytes): it changes
    whenever that code does, and the same code gives the same digest wherever it is installed."""
    digest = hashlib.sha256()
    for pattern in globs:
        for path in sorted(package.glob(pattern)):
            digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]
