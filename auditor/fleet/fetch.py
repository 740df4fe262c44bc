"""Check a service out: a shallow ``git fetch`` into a work folder that later runs reuse, or a local
folder read in place; the commit it is at, and retries for transient git errors.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

TRANSIENT = re.compile(
    r"could not resolve host|connection (timed out|reset|refused)|operation timed out|early eof|"
    r"rpc failed|the remote end hung up|gnutls|\btls\b|\bssl\b|http[^\n]*5\d\d|temporary failure|"
    r"unexpected disconnect|network is unreachable", re.IGNORECASE)
RETRIES = 3
BACKOFF = 1.0
GIT_TIMEOUT = 300.0


class FetchError(Exception):
    """A service could not be checked out; the message is one line saying why, ``detail`` all of git's."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail or message


@dataclass(frozen=True)
class Checkout:
    """A service's files on this machine and the commit they are at (None: not a clean git tree)."""

    root: Path
    commit: str | None
    commit_date: str | None


def _git_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(GIT_TERMINAL_PROMPT="0", GIT_ASKPASS="true", LC_ALL="C")
    return env


def git(args: list[str], cwd: Path | None = None, timeout: float = GIT_TIMEOUT) -> str:
    """Run one git command; FetchError with git's last line of error on failure."""
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                              env=_git_env(), stdin=subprocess.DEVNULL, check=False)
    except FileNotFoundError:
        raise FetchError("git is not installed") from None
    except subprocess.TimeoutExpired:
        raise FetchError(f"git {args[0]} timed out after {timeout:.0f} s", "operation timed out") from None
    if done.returncode != 0:
        lines = [ln.strip() for ln in done.stderr.splitlines() if ln.strip()]
        fatal = [ln for ln in lines if ln.lower().startswith(("fatal:", "error:"))]
        first = fatal[0] if fatal else (lines[-1] if lines else f"exit {done.returncode}")
        raise FetchError(f"git {args[0]}: {first}", done.stderr)
    return done.stdout


def _with_retries(args: list[str], cwd: Path, retries: int, backoff: float) -> None:
    for attempt in range(retries):
        try:
            git(args, cwd)
            return
        except FetchError as exc:
            if attempt == retries - 1 or not TRANSIENT.search(exc.detail):
                raise
            time.sleep(backoff * 2 ** attempt)


def head_of(root: Path) -> tuple[str | None, str | None]:
    """The commit and its date of a git work tree without uncommitted changes; (None, None) otherwise."""
    try:
        inside = git(["rev-parse", "--show-toplevel"], root).strip()
        if not inside:
            return None, None
        if git(["status", "--porcelain", "--untracked-files=normal", "--", "."], root).strip():
            return None, None
        line = git(["log", "-1", "--format=%H %cI"], root).strip()
    except FetchError:
        return None, None
    commit, _, date = line.partition(" ")
    return (commit or None), (date or None)


def checkout(name: str, git_url: str | None, ref: str | None, path: str | None, workdir: Path,
             subdir: str | None = None, retries: int = RETRIES, backoff: float = BACKOFF) -> Checkout:
    """Make the service's tree available and say which commit it is; FetchError on failure."""
    if path is not None:
        root = Path(path)
        if not root.is_dir():
            raise FetchError(f"{path}: no such directory")
        commit, date = head_of(root)
        return Checkout(_sub(root, subdir), commit, date)
    assert git_url is not None
    target = workdir / name
    target.mkdir(parents=True, exist_ok=True)
    if not (target / ".git").is_dir():
        git(["init", "-q"], target)
    try:
        git(["remote", "set-url", "origin", git_url], target)
    except FetchError:
        git(["remote", "add", "origin", git_url], target)
    _with_retries(["fetch", "-q", "--depth", "1", "--no-tags", "origin", ref or "HEAD"], target, retries, backoff)
    git(["checkout", "-q", "--force", "--detach", "FETCH_HEAD"], target)
    git(["clean", "-q", "-ffdx"], target)
    line = git(["log", "-1", "--format=%H %cI"], target).strip()
    commit, _, date = line.partition(" ")
    return Checkout(_sub(target, subdir), commit, date)


def _sub(root: Path, subdir: str | None) -> Path:
    if not subdir:
        return root
    inner = (root / subdir).resolve()
    if not inner.is_relative_to(root.resolve()) or not inner.is_dir():
        raise FetchError(f"subdir {subdir!r}: no such directory in the checkout")
    return inner


def resolve_remote(git_url: str, ref: str | None, retries: int = RETRIES, backoff: float = BACKOFF) -> str | None:
    """The commit a remote ref points at, without fetching (None when the ref is not a branch or tag name)."""
    if ref is not None and re.fullmatch(r"[0-9a-f]{40}", ref):
        return ref
    for attempt in range(retries):
        try:
            out = git(["ls-remote", git_url, ref or "HEAD"], timeout=60)
            break
        except FetchError as exc:
            if attempt == retries - 1 or not TRANSIENT.search(exc.detail):
                raise
            time.sleep(backoff * 2 ** attempt)
    lines = [ln.split("\t") for ln in out.splitlines() if "\t" in ln]
    if not lines:
        return None
    wanted = ref or "HEAD"
    for sha, name in lines:
        if name in (wanted, f"refs/heads/{wanted}", f"refs/tags/{wanted}^{{}}"):
            return sha
    return lines[0][0]
