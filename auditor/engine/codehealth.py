"""The report's code health section: radon complexity and maintainability, from the cached radon facts."""

from __future__ import annotations

from collections.abc import Iterable

from auditor.facts import FileFacts
from auditor.model import CodeHealth, FileHealth, FunctionHealth

WORST_FUNCTIONS = 15
MIN_LISTED_CC = 6  # rank B or worse; simple functions are not worth a line


def code_health(files: Iterable[FileFacts], worst: int = WORST_FUNCTIONS) -> CodeHealth | None:
    """Worst functions by cyclomatic complexity and every runtime file's maintainability index.

    None when no file has radon facts (no runtime Python). Deterministic: ties sort by path/line.
    """
    functions: list[FunctionHealth] = []
    per_file: list[FileHealth] = []
    total = 0
    cc_sum = 0
    for file in files:
        for fact in file.facts:
            if fact["t"] == "radon_cc":
                total += 1
                cc_sum += fact["cc"]
                functions.append(FunctionHealth(path=file.path, line=fact["line"], name=fact["name"],
                                                cc=fact["cc"], rank=fact["rank"]))
            elif fact["t"] == "radon_mi":
                per_file.append(FileHealth(path=file.path, mi=fact["mi"], rank=fact["rank"]))
    if not functions and not per_file:
        return None
    functions.sort(key=lambda f: (-f.cc, f.path, f.line))
    per_file.sort(key=lambda f: (f.mi, f.path))
    listed = [f for f in functions if f.cc >= MIN_LISTED_CC][:worst]
    return CodeHealth(functions=listed, files=per_file, functions_total=total,
                      average_cc=round(cc_sum / total, 2) if total else 0.0)
