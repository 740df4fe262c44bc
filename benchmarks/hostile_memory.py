"""Peak memory (RSS) and wall time of the auditor on hostile inputs; prints a table, asserts nothing.

Each case runs in a fresh child process and its peak RSS (``ru_maxrss`` from ``wait4``, which
includes the worker processes it reaped) is reported next to a baseline that only imports the
auditor. Cases: the billion-laughs YAML bomb and a 1 MB, 250,000-node YAML file through the
extractor; CLI scans of a tree holding a 50 MB Python file (skipped by the default size limit, then
read with the limit raised), of the YAML bomb tree, and of the whole hostile corpus.

    /work/venv/bin/python benchmarks/hostile_memory.py [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests" / "hostile"))

from hostile_corpus import billion_laughs, build_hostile_tree, write_big_file  # noqa: E402

EXTRACT = """
import sys
from auditor.engine.discover import SourceFile
from auditor.facts.extract import extract_bytes
data = open(sys.argv[1], "rb").read()
out = extract_bytes(SourceFile(path="f.yaml", kind="yaml", role="runtime", size=len(data)), data)
print(out.warnings)
"""


def run(argv: list[str]) -> tuple[float, float, int]:
    """(peak RSS in MB, wall seconds, exit code) of one child process."""
    start = time.monotonic()
    proc = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss / 1024, time.monotonic() - start, proc.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="build the trees here and keep them")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="auditor-hostile-bench-"))
    base.mkdir(parents=True, exist_ok=True)
    python = sys.executable
    cli = [python, "-m", "auditor.cli", "scan", "--format", "json", "--no-cache"]
    try:
        bomb = base / "bomb.yaml"
        bomb.write_text(billion_laughs(), encoding="utf-8")
        huge = base / "huge.yaml"
        huge.write_text("- 1\n" * 250_000, encoding="utf-8")
        big_tree = base / "big"
        big_tree.mkdir(exist_ok=True)
        write_big_file(big_tree / "huge.py")
        bomb_tree = base / "bombs"
        bomb_tree.mkdir(exist_ok=True)
        for i in range(50):
            (bomb_tree / f"bomb{i:02d}.yaml").write_text(billion_laughs(), encoding="utf-8")
        corpus = base / "corpus"
        if not corpus.exists():
            build_hostile_tree(corpus, base / "EXECUTED")
        cases = [
            ("baseline: import auditor.cli", [python, "-c", "import auditor.cli"]),
            ("baseline: import the extractors", [python, "-c", "import auditor.facts.extract"]),
            ("extract: YAML bomb (9^9 aliases)", [python, "-c", EXTRACT, str(bomb)]),
            ("extract: 1 MB YAML, 250k nodes", [python, "-c", EXTRACT, str(huge)]),
            ("scan: 50 MB .py, default limit (skipped)", [*cli, str(big_tree)]),
            ("scan: 50 MB .py, --max-file-size 60 MB", [*cli, str(big_tree), "--max-file-size", "60000000"]),
            ("scan: 50 YAML bombs, -j 2", [*cli, str(bomb_tree), "-j", "2"]),
            ("scan: hostile corpus, -j 1", [*cli, str(corpus), "-j", "1"]),
            ("scan: hostile corpus, -j 2", [*cli, str(corpus), "-j", "2"]),
        ]
        print(f"{'case':<44} {'peak RSS MB':>12} {'seconds':>8} {'exit':>5}")
        for name, argv in cases:
            rss, seconds, code = run(argv)
            print(f"{name:<44} {rss:>12.1f} {seconds:>8.1f} {code:>5}", flush=True)
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
