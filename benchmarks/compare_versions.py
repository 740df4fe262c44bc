"""Two builds of the auditor on one tree, run in pairs: cold, warm and one-file-changed scans.

    python benchmarks/compare_versions.py TREE --old PATH --new PATH [--runs 10] [--jobs N]

``--old`` and ``--new`` name the ``auditor`` command of each build (each installed in a
virtualenv of its own, for instance one made from a worktree at the commit before a change).
The tree is copied once to a temporary folder; each build keeps a cache of its own. Every
round runs each mode once with each build, back to back, the build that goes first
alternating from round to round, so that load from other processes hits both alike. The
one-file-changed mode appends a line to one Python file before the pair (each build's cache
has seen the old bytes only), and the cache is filled again after it.

Prints per mode each build's median and min-max, the median of the paired differences
(new minus old, in milliseconds) and the ratio of the medians. Both packages are
byte-compiled first, as ``pip install`` does.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed(cmd: list[str]) -> tuple[float, int]:
    """Wall seconds and exit code of one command."""
    start = time.perf_counter()
    code = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    return time.perf_counter() - start, code


def compile_package(auditor: str) -> None:
    """Byte-compile the package a build's command imports (its virtualenv's interpreter is
    the command's neighbour)."""
    python = Path(auditor).parent / "python"
    subprocess.run([str(python), "-c", "import auditor, compileall, pathlib; "
                    "compileall.compile_dir(pathlib.Path(auditor.__file__).parent, quiet=1)"], check=True)


def pick_python_file(tree: Path) -> Path:
    files = sorted(p for p in tree.rglob("*.py") if "test" not in p.name and p.stat().st_size > 500)
    if not files:
        files = sorted(tree.rglob("*.py"))
    return files[len(files) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tree", type=Path)
    parser.add_argument("--old", required=True, help="the auditor command of the build before")
    parser.add_argument("--new", required=True, help="the auditor command of the build after")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=0, help="auditor --jobs (default: number of cores)")
    parser.add_argument("--modes", default="cold,warm,changed")
    args = parser.parse_args()

    builds = {"old": args.old, "new": args.new}
    for auditor in builds.values():
        compile_package(auditor)
    work = Path(tempfile.mkdtemp(prefix="auditor-ab-"))
    tree = work / "tree"
    shutil.copytree(args.tree, tree, symlinks=True)
    changed = pick_python_file(tree)
    original = changed.read_bytes()
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []
    modes = args.modes.split(",")

    def command(build: str, mode: str) -> list[str]:
        base = [builds[build], "scan", str(tree), "--format", "json", "-o", os.devnull, *jobs]
        return [*base, "--no-cache"] if mode == "cold" else [*base, "--cache-dir", str(work / f"cache-{build}")]

    def fill() -> None:
        for build in builds:
            subprocess.run(command(build, "warm"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    print(f"tree: {args.tree} ({sum(1 for _ in tree.rglob('*.py'))} .py files), {args.runs} rounds, "
          f"cores: {os.cpu_count()}, load average at start: {os.getloadavg()[0]:.2f}, "
          f"changed file: {changed.relative_to(tree)}")
    for build, auditor in builds.items():
        print(f"  {build}: {auditor}")
    fill()
    times: dict[tuple[str, str], list[float]] = {(m, b): [] for m in modes for b in builds}
    try:
        for round_no in range(args.runs):
            order = ["old", "new"] if round_no % 2 == 0 else ["new", "old"]
            for mode in modes:
                if mode == "changed":
                    changed.write_bytes(original + f"\n# benchmark edit {round_no} {time.time()}\n".encode())
                for build in order:
                    elapsed, code = timed(command(build, mode))
                    if code not in (0, 1):
                        print(f"warning: {build} {mode} exited {code}", file=sys.stderr)
                    times[mode, build].append(elapsed)
                if mode == "changed":
                    changed.write_bytes(original)
                    fill()
    finally:
        changed.write_bytes(original)
        shutil.rmtree(work, ignore_errors=True)
    print(f"load average at end: {os.getloadavg()[0]:.2f}\n")
    print(f"{'mode':<9}{'old median (min-max)':<26}{'new median (min-max)':<26}{'new-old (paired median)':>24}"
          f"{'new/old':>9}")
    for mode in modes:
        old, new = times[mode, "old"], times[mode, "new"]
        diffs = [(n - o) * 1000 for o, n in zip(old, new, strict=True)]
        cells = [f"{statistics.median(v):.3f} s ({min(v):.2f}-{max(v):.2f})" for v in (old, new)]
        print(f"{mode:<9}{cells[0]:<26}{cells[1]:<26}{statistics.median(diffs):>+20.0f} ms"
              f"{statistics.median(new) / statistics.median(old):>9.3f}")


if __name__ == "__main__":
    main()
