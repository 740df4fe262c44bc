"""One-line messages for a data file (checklist, rule file, config, baseline, fleet file) that
failed its schema: ``file:line:col: key: problem``, and for an unknown key the closest valid key
and the valid keys of the model it sits in, however deep.

Every file the auditor reads through a pydantic model reports its problems through here, so they
read the same everywhere.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from auditor.errors import ConfigError, did_you_mean
from auditor.locations import Marks, where

Locate = Callable[[tuple[Any, ...]], str]
"""``file:line:col`` (as much as is known) of a key path."""


def validation_error(exc: ValidationError, model: type[BaseModel], name: str, marks: Marks | None = None,
                     prefix: tuple[Any, ...] = (), locate: Locate | None = None) -> ConfigError:
    """The ConfigError for a failed ``model.model_validate``: the first unknown key when there is
    one (a typo explains the errors after it), else the first error. An unknown key beside a
    missing required one that it is no misspelling of is not quoted: such a file is not of this
    kind at all (a file named by mistake may hold anything), and the missing key is named instead.

    ``prefix``: where the validated value sits in the file (a matcher's parameters inside a rule);
    ``locate``: finds a key path's place when the file is not YAML read with ``marks``.
    """
    errors: list[dict[str, Any]] = [{**e, "loc": _clean(e["loc"])} for e in exc.errors()]
    err = next((e for e in errors if e["type"] == "extra_forbidden" and _explains(e, errors, model)), errors[0])
    loc: tuple[Any, ...] = err["loc"]
    full = (*prefix, *loc)
    at = locate(full) if locate is not None else where(name, marks or {}, full)
    dotted = ".".join(str(x) for x in full)
    if err["type"] == "extra_forbidden" and loc:
        valid = valid_keys(model, loc[:-1])
        listed = f"; valid keys: {', '.join(valid)}" if valid else ""
        return ConfigError(f"{at}: unknown key {dotted!r}{did_you_mean(loc[-1], valid)}{listed}")
    msg = str(err["msg"]).removeprefix("Value error, ")
    return ConfigError(f"{at}: {dotted}: {msg}" if dotted else f"{at}: {msg}")


def _clean(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """A location without pydantic's validator wrappers."""
    return tuple(x for x in loc if not (isinstance(x, str) and x.startswith("function-")))


def _explains(extra: dict[str, Any], errors: list[dict[str, Any]], model: type[BaseModel]) -> bool:
    """Whether an unknown key is the error to report: no required key is missing beside it, or it
    is close to one of the valid keys there (a misspelling)."""
    parent = extra["loc"][:-1]
    if not any(e["type"] == "missing" and e["loc"][:-1] == parent for e in errors):
        return True
    return bool(did_you_mean(extra["loc"][-1], valid_keys(model, parent)))


def valid_keys(model: type[BaseModel], path: tuple[Any, ...]) -> list[str]:
    """The keys a mapping at ``path`` inside ``model`` may hold (as written in the file: a field's
    alias when it has one); empty when no model sits there."""
    annotation: Any = model
    for part in path:
        annotation = _step(annotation, part)
        if annotation is None:
            return []
    found = _models(annotation)
    if not found:
        return []
    return [field.alias or key for key, field in found[0].model_fields.items()]


def _step(annotation: Any, part: Any) -> Any:
    """The type found one key (or index) below a value of ``annotation``; None when unknown."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _step(get_args(annotation)[0], part)
    if origin is Union or origin is types.UnionType:
        members = [a for a in get_args(annotation) if a is not type(None)]
        named = [m for m in members if getattr(m, "__name__", None) == part]
        if named:  # a union member's tag in the error's location
            return named[0]
        return next((s for s in (_step(m, part) for m in members) if s is not None), None)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        for key, field in annotation.model_fields.items():
            if part in (key, field.alias):
                return field.annotation
        return None
    args = get_args(annotation)
    if isinstance(origin, type) and issubclass(origin, Mapping) and len(args) == 2:
        return args[1]
    if isinstance(origin, type) and issubclass(origin, Sequence | set | frozenset) and args and isinstance(part, int):
        return args[0]
    return None


def _models(annotation: Any) -> list[type[BaseModel]]:
    """The models a type is or may be (through Optional, unions and Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if get_origin(annotation) in (Annotated, Union, types.UnionType):
        return [m for a in get_args(annotation) for m in _models(a)]
    return []
