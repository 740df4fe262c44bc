"""Where a value of a data file came from: the marks of its data paths, and ``file:line:col``
for a path. Imports nothing of the package, so any layer may point into a file."""

from __future__ import annotations

from typing import Any

Marks = dict[tuple[Any, ...], tuple[int, int]]
"""A data path (keys and list indexes from the root) -> its 1-based line and column."""


def where(name: str, marks: Marks, path: tuple[Any, ...]) -> str:
    """``file:line:col`` for the deepest known prefix of a data path."""
    probe = tuple(path)
    while probe and probe not in marks:
        probe = probe[:-1]
    if probe in marks:
        line, col = marks[probe]
        return f"{name}:{line}:{col}"
    return name
