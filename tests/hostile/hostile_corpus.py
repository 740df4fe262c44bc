"""The hostile-repository corpus, generated (never checked in); the fixtures in conftest build it once per session.

``hostile_tree`` holds one of every kind of file a stranger's pull request or a half-finished
working copy can contain: broken and pathological Python, YAML bombs, config files of the wrong
shape, odd Dockerfiles, symlink loops and escapes, a FIFO, a socket, a 50 MB file, hostile file
names, and code that would write a marker file if it were ever imported or run. Each problem
file is listed in ``Corpus.expected`` with a piece of the warning the scan must give for it.
``tiny_tree`` is 100,000 tiny files.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import stat
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PYTHON = "/work/venv/bin/python" if Path("/work/venv/bin/python").exists() else sys.executable
REPO = Path(__file__).resolve().parents[2]
BIG_FILE_BYTES = 50 * 1024 * 1024
TINY_FILES = 100_000
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


@dataclass
class Corpus:
    """A generated hostile tree and what a scan must say about it."""

    root: Path
    marker: Path  # written only if scanned code is ever imported or run
    expected: dict[str, str] = field(default_factory=dict)  # path -> part of its one warning
    clean: list[str] = field(default_factory=list)  # odd but valid files: scanned, no warning


def _write(root: Path, rel: str, data: bytes | str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


def billion_laughs(levels: int = 9, width: int = 9) -> str:
    """The YAML alias bomb: ``width ** levels`` leaves from a few hundred bytes."""
    lines = ['lol0: &lol0 ["lol"]']
    for level in range(1, levels + 1):
        refs = ", ".join([f"*lol{level - 1}"] * width)
        lines.append(f"lol{level}: &lol{level} [{refs}]")
    return "\n".join(lines) + "\n"


def write_big_file(path: Path, size: int = BIG_FILE_BYTES) -> None:
    """A syntactically valid Python file of ``size`` bytes, written in chunks."""
    line = b"value_%07d = 'x' * 40  # padding padding padding\n"
    with path.open("wb") as handle:
        written = index = 0
        while written < size:
            chunk = b"".join(line % (index + i) for i in range(10_000))
            handle.write(chunk)
            written += len(chunk)
            index += 10_000


def build_hostile_tree(root: Path, marker: Path, big_file: bool = True) -> Corpus:
    """Write the corpus under ``root``; ``marker`` is the file executed code would create."""
    corpus = Corpus(root=root, marker=marker)
    expect = corpus.expected
    outside = root.parent / f"{root.name}-outside"
    outside.mkdir(parents=True, exist_ok=True)
    (outside / "secret.py").write_text("SECRET = 'outside the root'\n", encoding="utf-8")

    # a small, ordinary service so rules have something to evaluate
    _write(root, "app/main.py", "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get('/health')\n"
                                "def health() -> dict:\n    return {'ok': True}\n")
    _write(root, "requirements.txt", "fastapi==0.110\n-r other.txt\n--hash=sha256:abc\n\x0c\n[weird]\n"
                                     "git+https://example.com/x.git#egg=x\n")
    _write(root, "setup.cfg", "[options]\ninstall_requires =\n  = broken\n\trequests\n[metadata\nname = x\n")
    # filler, so the scan crosses the parallel threshold when it has workers
    for i in range(45):
        _write(root, f"app/filler/mod_{i:02d}.py", f"def f{i}(x: int) -> int:\n    return x + {i}\n")

    # -- Python ---------------------------------------------------------------------------
    python: dict[str, tuple[bytes, str | None]] = {
        "py/syntax_error.py": (b"def broken(:\n    pass\n", "syntax error"),
        "py/python2.py": (b'print "hello"\nexec "x = 1"\nraise ValueError, "old"\n', "syntax error"),
        "py/nul_bytes.py": (b"x = 1\x00\ny = 2\n", "NUL bytes"),
        "py/latin1.py": (b"# -*- coding: latin-1 -*-\nname = 'caf\xe9'\n", None),
        "py/cp1252.py": (b"# coding: cp1252\nquote = '\x93smart\x94 \x80'\n", None),
        "py/undecodable.py": (b"s = '\xff\xfe\xfa'\n", "encoding"),
        "py/unknown_coding.py": (b"# coding: klingon\nx = 1\n", "unknown encoding"),
        "py/long_expression.py": (b"total = (\n" + b"    1 +\n" * 10_000 + b"    1)\n", "nesting"),
        "py/deep_brackets.py": (b"x = " + b"[" * 5_000 + b"]" * 5_000 + b"\n", "nesting"),
        "py/deep_parens.py": (b"x = " + b"(" * 5_000 + b"1" + b")" * 5_000 + b"\n", "nesting"),
        "py/deep_unary.py": (b"x = " + b"-" * 100_000 + b"1\n", "nesting"),
        "py/deep_attributes.py": (b"x = a" + b".b" * 100_000 + b"\n", "nesting"),
        "py/deep_calls.py": (b"x = f" + b"()" * 50_000 + b"\n", "nesting"),
        "py/deep_blocks.py": (b"".join(b" " * i + b"if x:\n" for i in range(300)) + b" " * 300 + b"pass\n",
                              "nesting"),
        "py/python2_deep.py": (b'print "x"\ny = ' + b"(" * 5_000 + b")" * 5_000 + b"\n", "nest"),
        "py/empty.py": (b"", None),
        "py/bom_only.py": (b"\xef\xbb\xbf", None),
        "py/crlf_tabs.py": (b"def f():\r\n\treturn 1\r\n", None),
    }
    for rel, (data, reason) in python.items():
        _write(root, rel, data)
        if reason is None:
            corpus.clean.append(rel)
        else:
            expect[rel] = reason
    if big_file:
        (root / "big").mkdir()
        write_big_file(root / "big" / "huge.py")
        expect["big/huge.py"] = "over the 2000000-byte limit"

    # -- YAML, TOML, JSON -------------------------------------------------------------------
    _write(root, "config/bomb.yaml", billion_laughs())
    expect["config/bomb.yaml"] = "more YAML nodes than the limit"
    _write(root, "config/recursive.yaml", "a: &a [*a, *a]\n")  # an alias inside its own anchor: endless
    expect["config/recursive.yaml"] = "more YAML nodes than the limit"
    _write(root, "config/huge.yaml", "- 1\n" * 250_000)  # 1 MB: under the size limit, over the node limit
    expect["config/huge.yaml"] = "more YAML nodes than the limit"
    _write(root, "config/invalid.yaml", "key: [unclosed\n  other: : :\n")
    expect["config/invalid.yaml"] = "invalid YAML"
    _write(root, "config/deep.yaml", "x: " + "[" * 5_000 + "]" * 5_000 + "\n")
    expect["config/deep.yaml"] = "nest"
    _write(root, "config/tags.yaml", f"a: !!python/object/apply:os.system ['touch {marker}']\n")
    corpus.clean.append("config/tags.yaml")  # composed, never constructed: the tag is only a name
    _write(root, "docker-compose.yml", "- web\n- db\n")
    expect["docker-compose.yml"] = "wrong shape"
    _write(root, "deploy/compose.yaml", "services:\n  - web\n  - db\n")
    expect["deploy/compose.yaml"] = "wrong shape"
    _write(root, ".github/workflows/ci.yml", "on: push\njobs:\n  - runs-on: ubuntu-latest\n")
    expect[".github/workflows/ci.yml"] = "wrong shape"
    _write(root, "settings/invalid.toml", "[tool\nname = = 'x'\n")
    expect["settings/invalid.toml"] = "invalid TOML"
    _write(root, "settings/deep.toml", "a = " + "[" * 5_000 + "]" * 5_000 + "\n")
    expect["settings/deep.toml"] = "nested too deeply"
    _write(root, "settings/bigint.toml", "a = " + "1" * 5_000 + "\n")
    expect["settings/bigint.toml"] = "invalid TOML"
    _write(root, "api/openapi.json", '{"openapi": "3.0.0", "paths": {')
    expect["api/openapi.json"] = "invalid JSON"
    _write(root, "api/openapi-deep.json", "[" * 100_000 + "]" * 100_000)
    expect["api/openapi-deep.json"] = "nested too deeply"
    _write(root, "api/swagger-bigint.json", '{"n": ' + "1" * 5_000 + "}")
    expect["api/swagger-bigint.json"] = "invalid JSON"

    # -- Dockerfiles with odd continuations (valid enough: facts, no warning) ----------------
    dockerfiles = {
        "docker/Dockerfile": "FROM python:3.12 AS base\nRUN apt-get update && \\\n# a comment inside\n"
                             "    apt-get install -y curl \\\n\n    && rm -rf /var/lib/apt\nCMD [\"python\", \\",
        "docker/Dockerfile.escape": "# escape=`\nFROM mcr.microsoft.com/windows\nRUN dir `\n  c:\\ `\n",
        "docker/Dockerfile.heredoc": "FROM alpine\nRUN <<EOF\necho never closed\n",
        "docker/Dockerfile.only-backslashes": "\\\n\\\n\\\n",
        "docker/Dockerfile.empty": "",
    }
    for rel, text in dockerfiles.items():
        _write(root, rel, text)
        corpus.clean.append(rel)

    # -- links and special files --------------------------------------------------------------
    links = root / "links"
    links.mkdir()
    os.symlink("self_loop", links / "self_loop")
    os.symlink("loop_b", links / "loop_a")
    os.symlink("loop_a", links / "loop_b")
    os.symlink("..", links / "up")  # inside the root: reached through its real path, no warning
    os.symlink(str(outside), links / "outside_dir")
    os.symlink(str(outside / "secret.py"), links / "outside_file.py")
    os.symlink("/etc/passwd", links / "passwd.txt")
    os.symlink("nowhere.py", links / "dangling.py")
    expect.update({
        "links/self_loop": "symlink loop", "links/loop_a": "symlink loop", "links/loop_b": "symlink loop",
        "links/outside_dir": "outside the scanned root", "links/outside_file.py": "outside the scanned root",
        "links/passwd.txt": "outside the scanned root", "links/dangling.py": "broken symlink",
    })
    special = root / "special"
    special.mkdir()
    os.mkfifo(special / "pipe.py")
    expect["special/pipe.py"] = "FIFO"
    os.mkfifo(special / ".gitignore")
    expect["special/.gitignore"] = "FIFO"
    cwd = os.getcwd()
    os.chdir(special)  # AF_UNIX paths are short: bind by relative name
    try:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind("sock.py")
        sock.close()
    finally:
        os.chdir(cwd)
    expect["special/sock.py"] = "socket"
    _write(root, "special/unreadable.py", "x = 1\n")
    (special / "unreadable.py").chmod(0)
    if IS_ROOT:
        corpus.clean.append("special/unreadable.py")  # root reads it anyway: nothing to warn about
    else:
        expect["special/unreadable.py"] = "not read"

    # -- folders nested deeper than discovery follows -----------------------------------------
    deep = "deep/" + "/".join(["d"] * 205)
    _write(root, f"{deep}/leaf.py", "x = 1\n")
    expect["deep/" + "/".join(["d"] * 200)] = "nested more than 200 deep"

    # -- hostile names ------------------------------------------------------------------------
    for rel in ("names/with space.py", "names/new\nline.py", "names/ünïcødé-名前.py",
                "names/<script>alert(1)<script>.py", "names/x\" onmouseover=\"alert(1).py", "names/tab\tname.py"):
        _write(root, rel, "VALUE = 1\n")
        corpus.clean.append(rel)
    os.makedirs(root / "names", exist_ok=True)
    with open(os.path.join(os.fsencode(root / "names"), b"latin1-\xe9\xff.py"), "wb") as handle:
        handle.write(b"VALUE = 2\n")
    expect["names/latin1-\\xe9\\xff.py"] = "not valid UTF-8"

    # -- code that would leave a marker if it were imported or run ----------------------------
    payload = (f"import pathlib\npathlib.Path({str(marker)!r}).write_text('executed')\n"
               "raise SystemExit('scanned code was executed')\n")
    for rel in ("conftest.py", "setup.py", "exec/pkg/__init__.py", "exec/sitecustomize.py",
                "exec/pkg/__main__.py", "exec/tests/conftest.py"):
        _write(root, rel, payload)
        corpus.clean.append(rel)
    _write(root, "exec/pyproject.toml", "[build-system]\nrequires = ['setuptools']\n"
                                        "build-backend = 'backend'\nbackend-path = ['.']\n")
    _write(root, "exec/backend.py", payload)
    corpus.clean += ["exec/pyproject.toml", "exec/backend.py"]
    return corpus


def snapshot(root: Path) -> dict[str, Any]:
    """Every entry under root (symlinks not followed): type, mode, size, mtime and a content hash."""
    state: dict[str, Any] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            rel = os.path.relpath(path, root)
            entry: tuple[Any, ...] = (stat.S_IFMT(st.st_mode), st.st_mode, st.st_size, st.st_mtime_ns)
            if stat.S_ISREG(st.st_mode) and st.st_mode & 0o444:
                entry += (hashlib.sha256(Path(path).read_bytes()).hexdigest(),)
            elif stat.S_ISLNK(st.st_mode):
                entry += (os.readlink(path),)
            state[rel] = entry
    return state


@dataclass
class ScanResult:
    """One CLI scan of a tree: exit code, output, parsed report and wall time."""

    code: int
    stdout: str
    stderr: str
    seconds: float

    def report(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.stdout)
        return data

    def warnings(self) -> list[tuple[str, str]]:
        return [(w["path"], w["message"]) for w in self.report()["warnings"]]


def run_cli(path: Path, *extra: str, timeout: float = 300) -> ScanResult:
    """``python -m auditor.cli scan PATH --format json --no-cache`` in a subprocess."""
    start = time.monotonic()
    proc = subprocess.run(
        [PYTHON, "-m", "auditor.cli", "scan", str(path), "--format", "json", "--no-cache", *extra],
        capture_output=True, timeout=timeout, cwd=REPO, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    return ScanResult(proc.returncode, proc.stdout.decode("utf-8", "replace"),
                      proc.stderr.decode("utf-8", "replace"), time.monotonic() - start)
