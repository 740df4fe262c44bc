"""Does a cold scan grow linearly with the tree? Time and peak memory per generated tree size.

    python benchmarks/linearity.py [--sizes 1000,5000,20000] [--jobs N] [--keep DIR]

Generates trees with benchmarks/gen_tree.py, runs one cold scan (--no-cache) of each as a
separate process, and prints wall time, time per 1,000 files and the peak RSS of the
auditor's main process and of its largest worker.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gen_tree import generate

VENV_BIN = Path(sys.executable).parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,5000,20000")
    parser.add_argument("--jobs", type=int, default=0)
    parser.add_argument("--auditor", default=str(VENV_BIN / "auditor"))
    parser.add_argument("--keep", type=Path, help="generate trees here and keep them")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="auditor-linear-"))
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        tree = base / f"tree-{size}"
        if not tree.exists():
            generate(tree, size)
        lines = sum(p.read_bytes().count(b"\n") for p in tree.rglob("*.py"))
        cmd = [args.auditor, "scan", str(tree), "--no-cache", "--format", "json", "-o", os.devnull]
        if args.jobs:
            cmd += ["--jobs", str(args.jobs)]
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, _, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        # RUSAGE_CHILDREN: the largest of all reaped descendants (workers included)
        largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        rows.append((size, lines, elapsed, usage.ru_maxrss // 1024, max(largest, before) // 1024))
        print(f"{size} files done in {elapsed:.1f} s", file=sys.stderr)
    print(f"\n{'files':>7} {'lines':>9} {'wall s':>8} {'s/1k files':>11} {'main RSS MB':>12} {'max RSS MB':>11}")
    for size, lines, elapsed, main_rss, largest in rows:
        print(f"{size:>7} {lines:>9} {elapsed:>8.1f} {elapsed / size * 1000:>11.2f} {main_rss:>12} {largest:>11}")
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
