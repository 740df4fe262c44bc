"""Parsing conditions and outcomes from rule files, with file:line:col errors and the closest valid name."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from auditor.errors import ConfigError, did_you_mean
from auditor.locations import Marks, where
from auditor.matchers import MATCHERS
from auditor.matchers.patterns import LINEAR_CONTEXT
from auditor.rules.schema import COMBINATORS, MAX_CONDITION_DEPTH, Condition, Outcome
from auditor.validation import validation_error


def parse_condition(data: Any, name: str, marks: Marks, path: tuple[Any, ...], linear: bool = False) -> Condition:
    """A condition tree; ``linear``: its regular expressions are matched by RE2 (a file from outside
    the bundled set, see :class:`auditor.matchers.patterns.LinearPattern`)."""
    loc = where(name, marks, path)
    if len(path) > 2 * MAX_CONDITION_DEPTH + 4:  # (op, index) per level, below the rule's own keys
        raise ConfigError(f"{loc}: conditions nested more than {MAX_CONDITION_DEPTH} deep")
    if not isinstance(data, dict):
        raise ConfigError(f"{loc}: a condition must be a mapping with one of any/all/not/ref or a matcher")
    keys = [k for k in data if k != "within"]
    if len(keys) != 1:
        raise ConfigError(f"{loc}: a condition needs exactly one of any/all/not/ref or a matcher, got {keys}")
    op = keys[0]
    value = data[op]
    within = data.get("within", "repo")
    if "within" in data and op != "all":
        raise ConfigError(f"{loc}: 'within' goes with 'all' only")
    if within not in ("repo", "file", "scope", "line", "key"):
        raise ConfigError(f"{where(name, marks, (*path, 'within'))}: within must be repo, file, scope, line or key")
    if op in ("any", "all"):
        if not isinstance(value, list) or not value:
            raise ConfigError(f"{where(name, marks, (*path, op))}: {op} takes a non-empty list of conditions")
        children = [parse_condition(c, name, marks, (*path, op, i), linear) for i, c in enumerate(value)]
        return Condition(op=op, children=children, within=within)
    if op == "not":
        return Condition(op="not", children=[parse_condition(value, name, marks, (*path, "not"), linear)])
    if op == "ref":
        if not isinstance(value, str):
            raise ConfigError(f"{where(name, marks, (*path, 'ref'))}: ref takes a condition name")
        return Condition(op="ref", ref=value)
    if op not in MATCHERS:
        hint = did_you_mean(str(op), [*MATCHERS, *COMBINATORS])
        raise ConfigError(f"{where(name, marks, (*path, op))}: unknown matcher {op!r}{hint}")
    model = MATCHERS[op].params
    try:
        params = model.model_validate(value or {}, context={LINEAR_CONTEXT: True} if linear else None)
    except ValidationError as exc:
        raise validation_error(exc, model, name, marks, (*path, op)) from None
    return Condition(op=op, params=params)


def parse_outcome(outcome: Outcome | None, name: str, marks: Marks, path: tuple[Any, ...],
                  required: bool, linear: bool = False) -> Condition | None:
    if outcome is None:
        return None
    if outcome.when is None:
        if required:
            raise ConfigError(f"{where(name, marks, path)}: 'when' is required here")
        return None
    return parse_condition(outcome.when, name, marks, (*path, "when"), linear)
