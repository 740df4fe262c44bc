"""Where the bundled checklist, rules and report templates live (source tree or installed wheel)."""

from __future__ import annotations

from pathlib import Path


def data_dir() -> Path:
    """``auditor/_data`` inside a wheel; the repository's top level in a source checkout."""
    here = Path(__file__).resolve().parent
    packaged = here / "_data"
    if (packaged / "checklist.yaml").is_file():
        return packaged
    return here.parent
