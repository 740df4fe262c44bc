"""The fact types: the contract between the extractors, which write facts, and the matchers,
which read them. Every fact is a dict with its type ``t`` and a 1-based ``line``; the fields
of each type are declared here as a ``TypedDict``, and :func:`problems` checks a fact against
its declaration (the tests run it over every fact the extractors write for the fixtures).

``Value`` is what a Python expression becomes in a fact: str, int, float, bool or None, lists
and str-keyed dicts of values, or a marker dict ``{"ref": name}``, ``{"call": name}``,
``{"expr": node type}``.
"""

from __future__ import annotations

import types
import typing
from typing import Any, Literal, NotRequired, TypedDict, Union

Value = Any
"""A JSON-ready value (see the module docstring)."""


class Located(TypedDict):
    line: int


class Scoped(Located):
    scope: str
    """The dotted name of the enclosing function or class, ``<module>`` at the top."""


class ImportFact(Scoped):
    t: Literal["import"]
    name: str
    """The fully qualified imported name (``sqlalchemy.orm.Session``; ``pkg.*`` for a star import)."""


class CallFact(Scoped):
    t: Literal["call"]
    name: str
    """The callee resolved through imports; method calls keep their receiver's text
    (``engine.dispose``), a call in a chain is marked ``()`` (``structlog.get_logger().info``)."""
    args: list[Value]
    kw: dict[str, Value]
    kwl: NotRequired[dict[str, int]]
    """The line of each keyword written below the call's first line (the decisive line to cite)."""
    recv: NotRequired[str]
    """For a method call, what its receiver is known to be: the callee it was built from or its
    parameter annotation (``conn = engine.connect()`` then ``conn.execute``)."""


class DecoratorFact(Scoped):
    t: Literal["decorator"]
    name: str
    args: list[Value]
    kw: dict[str, Value]
    kwl: NotRequired[dict[str, int]]
    target: str
    """The decorated function or class."""


class Param(TypedDict):
    name: str
    ann: list[str]
    default: Value


class FunctionFact(Scoped):
    t: Literal["function"]
    name: str
    params: list[Param]
    returns: list[str]
    yields: bool
    decorators: list[str]
    yl: NotRequired[int]
    td: NotRequired[bool]


FunctionFact.__annotations__["async"] = bool  # a keyword: not writable as a field above


class ClassFact(Scoped):
    t: Literal["class"]
    name: str
    bases: list[str]
    kw: dict[str, Value]
    decorators: list[str]


class ExceptFact(Scoped):
    t: Literal["except"]
    types: list[str]
    """Caught names; empty for a bare ``except``."""
    calls: list[str]
    """Callees in the handler's body."""
    reraise: bool
    chained: bool
    """The body raises ``from`` an exception (not ``None``)."""


class RaiseFact(Scoped):
    t: Literal["raise"]
    name: str | None
    cause: str | None
    in_except: bool


class WithFact(Scoped):
    t: Literal["with"]
    names: list[str]


WithFact.__annotations__["async"] = bool


class ReturnFact(Scoped):
    t: Literal["return"]
    second: Value
    """A ``return`` of a tuple of two or three elements (Flask's ``body, status`` and
    ``body, status, headers``): its second element."""


class StringFact(Scoped):
    t: Literal["string"]
    value: str
    """A string literal that is not a docstring (an f-string has ``{}`` for its fields)."""
    fstring: NotRequired[bool]
    fields: NotRequired[list[str]]


class RefFact(Scoped):
    t: Literal["ref"]
    name: str
    """A use of an imported name that is not a call (``os.environ``)."""


class AssignFact(Scoped):
    t: Literal["assign"]
    target: str
    value: Value
    op: str
    ann: list[str]


class DictKeyFact(Scoped):
    t: Literal["dictkey"]
    key: str
    value: Value


class PowerFact(Scoped):
    t: Literal["power"]


class CompareFact(Scoped):
    t: Literal["compare"]
    left: Value
    ops: list[str]
    right: list[Value]


class BranchFact(Scoped):
    t: Literal["branch"]
    tests: list[str]
    """The dotted names an ``if``/``elif`` or conditional expression tests for truth."""


class BanditFact(Scoped):
    t: Literal["bandit"]
    test_id: str
    severity: str
    confidence: str
    text: str


class RadonCCFact(Scoped):
    t: Literal["radon_cc"]
    name: str
    cc: int
    rank: str


class RadonMIFact(Scoped):
    t: Literal["radon_mi"]
    mi: float
    rank: str


class KeyFact(Located):
    t: Literal["key"]
    path: str
    """The dotted path of a key in a YAML, TOML or JSON document (list items keep their parent's path)."""
    value: Value
    doc: int
    """The document's number in a multi-document YAML file."""


class InstructionFact(Located):
    t: Literal["instruction"]
    name: str
    args: str
    flags: dict[str, str]
    stage: int


class DependencyFact(Located):
    t: Literal["dependency"]
    name: str
    """A declared distribution name, normalised to lower case."""


SCHEMAS: dict[str, type] = {
    "import": ImportFact, "call": CallFact, "decorator": DecoratorFact, "function": FunctionFact,
    "class": ClassFact, "except": ExceptFact, "raise": RaiseFact, "return": ReturnFact, "with": WithFact,
    "string": StringFact,
    "ref": RefFact, "assign": AssignFact, "dictkey": DictKeyFact, "power": PowerFact, "compare": CompareFact,
    "branch": BranchFact, "bandit": BanditFact, "radon_cc": RadonCCFact, "radon_mi": RadonMIFact, "key": KeyFact,
    "instruction": InstructionFact, "dependency": DependencyFact,
}
"""Every fact type by its ``t``."""


def problems(fact: dict[str, Any]) -> list[str]:
    """What is wrong with a fact against its type's declaration (empty when nothing is)."""
    schema = SCHEMAS.get(fact.get("t"))  # type: ignore[arg-type]
    if schema is None:
        return [f"unknown fact type {fact.get('t')!r}"]
    return _record_problems(fact, schema, str(fact["t"]))


def _record_problems(record: dict[str, Any], schema: type, label: str) -> list[str]:
    hints = typing.get_type_hints(schema, include_extras=True)
    out = []
    for name, hint in hints.items():
        optional = typing.get_origin(hint) is NotRequired
        if optional:
            hint = typing.get_args(hint)[0]
        if name not in record:
            if not optional:
                out.append(f"{label}: no {name!r}")
        elif not _fits(record[name], hint):
            out.append(f"{label}.{name}: {record[name]!r} is not {hint}")
    out.extend(f"{label}: undeclared field {name!r}" for name in record if name not in hints)
    return out


def _fits(value: Any, hint: Any) -> bool:
    if hint is Any:
        return True
    origin = typing.get_origin(hint)
    if origin is Literal:
        return value in typing.get_args(hint)
    if origin in (Union, types.UnionType):
        return any(_fits(value, h) for h in typing.get_args(hint))
    if origin is list:
        (item,) = typing.get_args(hint)
        return isinstance(value, list) and all(_fits(v, item) for v in value)
    if origin is dict:
        key, item = typing.get_args(hint)
        return isinstance(value, dict) and all(_fits(k, key) and _fits(v, item) for k, v in value.items())
    if hint is type(None):
        return value is None
    if typing.is_typeddict(hint):
        return isinstance(value, dict) and not _record_problems(value, hint, hint.__name__)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint)
