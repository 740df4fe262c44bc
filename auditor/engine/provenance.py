"""Who and what was scanned: project name, git commit and its date, and the checklist's portable name.

Nothing here reads the clock or names a path of the machine that ran the scan, so the same tree
gives the same bytes from any install location. Git is asked only for the commit and its own
date (``git log``, which runs no hook and touches no work tree); a tree that is not a checkout,
or a machine without git, simply has no commit.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tomllib
from pathlib import Path

from auditor.model import Report
from auditor.resources import data_dir

BUNDLED_PREFIX = "bundled:"
GIT_TIMEOUT = 10.0


def checklist_label(path: Path | str, root: Path) -> str:
    """``bundled:checklist.yaml`` for the bundled checklist, else the path relative to the scanned root."""
    target = Path(path)
    try:
        resolved = target.resolve()
        bundled = data_dir().resolve()
    except OSError:
        return target.name
    if resolved.is_relative_to(bundled):
        return BUNDLED_PREFIX + resolved.relative_to(bundled).as_posix()
    try:
        return Path(os.path.relpath(resolved, root.resolve())).as_posix()
    except ValueError:  # another drive on Windows
        return target.name


def project_name(root: Path) -> str | None:
    """``[project].name`` of the root's pyproject.toml, else the name of the checkout's ``origin``
    remote, else None: never the folder's name, which a copy of the same tree may not share."""
    pyproject = root / "pyproject.toml"
    try:
        if pyproject.is_file() and pyproject.stat().st_size < 1_000_000:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
            name = data.get("project", {}).get("name") if isinstance(data.get("project"), dict) else None
            if isinstance(name, str) and name.strip():
                return name.strip()[:200]
    except (OSError, ValueError, RecursionError):  # ValueError: invalid TOML, an integer too long to read
        pass
    url = _git(root, "config", "--get", "remote.origin.url")
    if url:
        name = url.strip().rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1].removesuffix(".git")
        if name and all(c.isalnum() or c in "-_." for c in name):
            return name[:200]
    return None


def _git(root: Path, *args: str) -> str | None:
    """Stdout of a read-only git command run in ``root`` (no hooks, no prompts, no locks), or None."""
    git = shutil.which("git")
    if git is None:
        return None
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update({"GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"})
    try:
        done = subprocess.run([git, "-c", "core.fsmonitor=false", "-c", "log.showSignature=false", *args],
                              cwd=root, env=env, capture_output=True, text=True, timeout=GIT_TIMEOUT, check=False,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError, UnicodeDecodeError):
        return None
    return done.stdout if done.returncode == 0 else None


def git_commit(root: Path) -> tuple[str, str] | None:
    """(commit hash, committer date in ISO 8601) of HEAD of the checkout holding ``root``, or None."""
    out = _git(root, "log", "-1", "--no-color", "--format=%H%x00%cI", "HEAD", "--")
    if out is None:
        return None
    commit, _, when = out.strip().partition("\0")
    if len(commit) not in (40, 64) or not all(c in "0123456789abcdef" for c in commit) or not when:
        return None
    return commit, when.strip()


def stamp(report: Report, root: Path, checklist_path: Path | str | None, with_git: bool = True) -> Report:
    """Fill in the project's name, commit and date and the checklist's portable name (in place)."""
    report.project.name = project_name(root)
    found = git_commit(root) if with_git else None
    if found is not None:
        report.project.commit, report.project.commit_date = found
    if checklist_path is not None:
        report.checklist.path = checklist_label(checklist_path, root)
    return report


def repository_prefix(root: Path) -> str:
    """The scanned folder's path inside its git checkout (``services/api/``), or "" at the top or outside git."""
    out = _git(root, "rev-parse", "--show-prefix")
    prefix = (out or "").strip()
    parts = prefix.rstrip("/").split("/")
    if not prefix or prefix.startswith("/") or any(part in ("", "..") for part in parts):
        return ""
    return prefix if prefix.endswith("/") else prefix + "/"
