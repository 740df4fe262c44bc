"""Whole-process scan times of the auditor against ``bandit -r`` on the same tree, side by side.

    python benchmarks/compare_bandit.py TREE [--runs 5] [--jobs N] [--auditor PATH] [--bandit PATH]

The tree is copied once to a temporary folder (the one-file-changed mode edits a file). Each
round runs, in turn: bandit -r (all default tests), an auditor cold scan (--no-cache), a warm
scan (cache filled by the round before), and a scan after one Python file changed. Prints the
median and min-max of each over the rounds, ratios of medians, and the peak RSS of the
auditor's main process. Rounds interleave the tools so that load from other processes on the
machine hits both alike.

The auditor's package is byte-compiled first, as ``pip install`` does (bandit's already is):
from an editable install with PYTHONDONTWRITEBYTECODE set, every run would otherwise compile
each module again, which no installed copy does.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VENV_BIN = Path(sys.executable).parent


def timed(cmd: list[str]) -> tuple[float, int, int]:
    """(wall seconds, exit code, peak RSS in MB of the process itself) of one command."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, proc.returncode, usage.ru_maxrss // 1024


def pick_python_file(tree: Path) -> Path:
    files = sorted(p for p in tree.rglob("*.py") if "test" not in p.name and p.stat().st_size > 500)
    if not files:
        files = sorted(tree.rglob("*.py"))
    return files[len(files) // 2]


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):7.2f} s  ({min(values):.2f}-{max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tree", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=0, help="auditor --jobs (default: number of cores)")
    parser.add_argument("--auditor", default=str(VENV_BIN / "auditor"))
    parser.add_argument("--bandit", default=str(VENV_BIN / "bandit"))
    parser.add_argument("--keep", action="store_true", help="keep the temporary copy and cache")
    args = parser.parse_args()

    spec = importlib.util.find_spec("auditor")
    if spec is not None and spec.origin is not None:
        package = Path(spec.origin).parent
        compileall.compile_dir(package, quiet=1)
        print(f"byte-compiled {package} (as pip install does)")
    work = Path(tempfile.mkdtemp(prefix="auditor-bench-"))
    tree = work / "tree"
    shutil.copytree(args.tree, tree, symlinks=True)
    cache = work / "cache"
    changed = pick_python_file(tree)
    original = changed.read_bytes()
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []
    base = [args.auditor, "scan", str(tree), "--format", "json", "-o", os.devnull, *jobs]
    commands = {
        "bandit -r": [args.bandit, "-r", str(tree), "-q", "-f", "json", "-o", os.devnull],
        "auditor cold": [*base, "--no-cache"],
        "auditor warm": [*base, "--cache-dir", str(cache)],
        "auditor 1 changed": [*base, "--cache-dir", str(cache)],
    }
    print(f"tree: {args.tree} ({sum(1 for _ in tree.rglob('*.py'))} .py files), {args.runs} rounds, "
          f"cores: {os.cpu_count()}, changed file: {changed.relative_to(tree)}")
    for name, cmd in commands.items():
        print(f"  {name}: {' '.join(cmd)}")
    subprocess.run(commands["auditor warm"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fill
    times: dict[str, list[float]] = {name: [] for name in commands}
    rss: dict[str, list[int]] = {name: [] for name in commands}
    try:
        for round_no in range(args.runs):
            for name, cmd in commands.items():
                if name == "auditor 1 changed":
                    changed.write_bytes(original + f"\n# benchmark edit {round_no} {time.time()}\n".encode())
                elapsed, code, peak = timed(cmd)
                if code not in (0, 1):  # 1: bandit found issues / the auditor's gate failed
                    print(f"warning: {name} exited {code}", file=sys.stderr)
                times[name].append(elapsed)
                rss[name].append(peak)
            changed.write_bytes(original)
            subprocess.run(commands["auditor warm"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    finally:
        changed.write_bytes(original)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    bandit = statistics.median(times["bandit -r"])
    cold = statistics.median(times["auditor cold"])
    print(f"\n{'mode':<20}{'median (min-max)':<28}{'peak RSS':>10}  ratio")
    for name in commands:
        median = statistics.median(times[name])
        ratio = f"{median / bandit:.2f}x bandit"
        if name in ("auditor warm", "auditor 1 changed"):
            ratio += f", {median / cold:.2f}x cold"
        print(f"{name:<20}{summary(times[name]):<28}{max(rss[name]):>7} MB  {ratio}")


if __name__ == "__main__":
    main()
