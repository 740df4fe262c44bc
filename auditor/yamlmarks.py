"""Load YAML safely and remember where each value came from, for errors with line and column."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from auditor.errors import ConfigError
from auditor.locations import Marks
from auditor.safewrite import read_regular

MAX_NODES = 200_000
# Only the plain YAML types: a rule or config file is data, so a tag that asks for an object
# (``!!python/object``, a custom ``!Thing``) is refused, never ignored or constructed.
SAFE_TAGS = frozenset(f"tag:yaml.org,2002:{name}" for name in (
    "map", "seq", "str", "int", "float", "bool", "null", "timestamp", "merge", "value"))
# libyaml's composer when PyYAML has it (same nodes, tags and marks, several times faster)
_COMPOSER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _construct(node: yaml.Node, path: tuple[Any, ...], marks: Marks, budget: list[int], filename: str,
               loader: yaml.SafeLoader | None = None) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
        raise ConfigError(f"{filename}: too many YAML nodes (alias bomb?)")
    marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if node.tag not in SAFE_TAGS:
        line, col = node.start_mark.line + 1, node.start_mark.column + 1
        raise ConfigError(f"{filename}:{line}:{col}: YAML tag {node.tag!r} is not allowed: rules and config "
                          "are plain data")
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _construct(key_node, (*path, "<key>"), marks, budget, filename, loader)
            if isinstance(key, (dict, list)):
                line, col = key_node.start_mark.line + 1, key_node.start_mark.column + 1
                raise ConfigError(f"{filename}:{line}:{col}: a mapping key must be a scalar")
            if key in out:
                line, col = key_node.start_mark.line + 1, key_node.start_mark.column + 1
                raise ConfigError(f"{filename}:{line}:{col}: duplicate key {key!r}")
            marks[(*path, key)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            out[key] = _construct(value_node, (*path, key), marks, budget, filename, loader)
            marks[(*path, key)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, (*path, i), marks, budget, filename, loader) for i, item in enumerate(node.value)]
    if loader is None:
        loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    except ValueError as exc:  # a timestamp that is no date (2030-02-30), an integer too long to convert
        line, col = node.start_mark.line + 1, node.start_mark.column + 1
        if node.tag.endswith(":timestamp"):
            raise ConfigError(f"{filename}:{line}:{col}: {node.value!r} is not a valid date: {exc}") from None
        raise ConfigError(f"{filename}:{line}:{col}: invalid YAML: {node.tag.rsplit(':', 1)[-1]} value "
                          f"that cannot be read") from None


MAX_FILE_BYTES = 8 * 1024 * 1024
"""Largest checklist, rule, config or baseline file read (the bundled ones are a few kB each)."""


def read_config_text(path: Path, name: str, max_bytes: int = MAX_FILE_BYTES) -> str:
    """The text of a checklist, rule or config file: a regular file (a FIFO or device is never
    waited on or read), at most ``max_bytes``, UTF-8; ConfigError otherwise."""
    try:
        data = read_regular(path, max_bytes)
    except FileNotFoundError:
        raise ConfigError(f"{name}: file not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{name}: not a regular file") from None
    except OSError as exc:
        raise ConfigError(f"{name}: cannot read: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{name}: not UTF-8 text (byte {exc.start})") from None


def load_yaml_with_marks(path: Path, display: str | None = None) -> tuple[Any, Marks]:
    """Parse one YAML document; ConfigError (file:line:col) on any problem."""
    name = display or str(path)
    return loads_yaml_with_marks(read_config_text(path, name), name)


def loads_yaml_with_marks(text: str, name: str) -> tuple[Any, Marks]:
    marks: Marks = {}
    try:
        node = yaml.compose(text, Loader=_COMPOSER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{name}{where}: invalid YAML: {problem}") from None
    if node is None:
        return None, marks
    try:
        return _construct(node, (), marks, [MAX_NODES], name, yaml.SafeLoader("")), marks
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{name}{where}: invalid YAML: {problem}") from None
    except RecursionError:
        raise ConfigError(f"{name}: YAML nested too deeply") from None
