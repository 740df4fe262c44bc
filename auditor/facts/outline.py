"""One walk over a file's :mod:`ast` tree: its nesting depth and where its anchors start.

The depth is what the parser guard checks before LibCST sees the file; the anchors (start
positions of statements, calls, decorators, except handlers and keyword arguments) are where LibCST facts take
their lines from. Both come from the same walk, so the tree is traversed once for the two. A method
called on the result of another call (a chain written over several lines) is cited at the line of
its own name: ``select(Item)`` on one line, ``.where(Item.owner_id == user_id)`` on the next is cited
at the ``.where`` line, the clause that does the job.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

Position = tuple[int, int, int, int, int]
"""(line, column, -end line, -end column, cited line): sorting gives source order, outer calls
first; the cited line is the start line except for a method called on a call's result."""


@dataclass
class Outline:
    depth: int
    groups: dict[str, list[Position]]


def outline(tree: ast.AST) -> Outline:
    """The deepest nesting and the anchor positions, by group (``stmt``, ``call``, ``decorator``,
    ``handler``, ``keyword``: named keyword arguments of calls and class definitions), in no
    particular order."""
    stmts: list[Position] = []
    calls: list[Position] = []
    decorators: list[Position] = []
    handlers: list[Position] = []
    keywords: list[Position] = []
    best = 0
    children = ast.iter_child_nodes
    stack: list[tuple[ast.AST, int]] = [(tree, 1)]
    pop, push = stack.pop, stack.append
    while stack:
        node, depth = pop()
        if depth > best:
            best = depth
        if isinstance(node, ast.stmt):
            stmts.append((node.lineno, node.col_offset, 0, 0, node.lineno))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                for dec in node.decorator_list:
                    decorators.append((dec.lineno, dec.col_offset, 0, 0, dec.lineno))
        elif isinstance(node, ast.Call):
            func = node.func
            cited = node.lineno
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call) and func.end_lineno:
                cited = func.end_lineno  # the line of the method's name in a chain
            calls.append((node.lineno, node.col_offset, -(node.end_lineno or node.lineno),
                          -(node.end_col_offset or 0), cited))
        elif isinstance(node, ast.ExceptHandler):
            handlers.append((node.lineno, node.col_offset, 0, 0, node.lineno))
        elif isinstance(node, ast.keyword):
            if node.arg is not None:
                keywords.append((node.lineno, node.col_offset, 0, 0, node.lineno))
        depth += 1
        for child in children(node):
            push((child, depth))
    return Outline(best, {"stmt": stmts, "call": calls, "decorator": decorators, "handler": handlers,
                          "keyword": keywords})
