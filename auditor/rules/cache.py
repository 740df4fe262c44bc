"""Parsed rule files kept as JSON in the cache folder, keyed by their bytes.

Parsing the bundled rule files (YAML with positions, validation, a compiled check of every
regular expression) takes longer than the rest of a warm scan. A rule file whose bytes, name
and parsing code are unchanged is rebuilt from its entry instead: rule specs are validated
again (cheap), conditions are rebuilt without re-running the checks they already passed.
A corrupt, foreign or malformed entry is ignored and rewritten, never trusted. Plain JSON,
never pickle: an entry is data, and reading one cannot run code.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from auditor.matchers import MATCHERS, matchers_version
from auditor.resources import code_digest
from auditor.rules.schema import Condition, Rule, RuleSpec
from auditor.store import CACHE_FORMAT, read_entry, write_entry


@lru_cache(maxsize=1)
def _parser_version() -> str:
    return f"{matchers_version()}:{code_digest('rules/*.py', 'yamlmarks.py')}"


def _cond_to_json(cond: Condition | None) -> Any:
    if cond is None:
        return None
    return {"op": cond.op, "children": [_cond_to_json(c) for c in cond.children],
            "params": cond.params.model_dump(mode="json") if cond.params is not None else None,
            "ref": cond.ref, "within": cond.within}


def _cond_from_json(data: Any) -> Condition | None:
    """Raises KeyError/TypeError/ValueError on anything but a condition this module wrote."""
    if data is None:
        return None
    if not isinstance(data, dict):
        raise TypeError("condition is not a mapping")
    op, params, ref, within = data["op"], data["params"], data["ref"], data["within"]
    if not (isinstance(op, str) and isinstance(within, str) and (ref is None or isinstance(ref, str))):
        raise TypeError("bad condition fields")
    children = [_cond_from_json(c) for c in data["children"]]
    if any(c is None for c in children):
        raise TypeError("empty child condition")
    built = None
    if params is not None:
        if op not in MATCHERS or not isinstance(params, dict):
            raise ValueError(f"unknown matcher {op!r}")
        model = MATCHERS[op].params
        if set(params) != set(model.model_fields):
            raise ValueError(f"{op}: fields differ")
        built = model.model_construct(**params)  # the values passed validation when the entry was written
    return Condition(op=op, children=[c for c in children if c is not None], params=built, ref=ref, within=within)


class RuleFileCache:
    """<dir>/rules/<key>.json: one parsed rule file."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory / "rules"

    @staticmethod
    def key(data: bytes, name: str) -> str:
        digest = hashlib.sha256(f"{CACHE_FORMAT}\0{_parser_version()}\0{name}\0".encode())
        digest.update(data)
        return digest.hexdigest()

    def get(self, key: str) -> tuple[list[Rule], dict[str, Condition]] | None:
        entry = read_entry(self.directory / f"{key}.json", key)
        if entry is None:
            return None
        try:
            rules = []
            for raw in entry["rules"]:
                implemented = _cond_from_json(raw["implemented"])
                if implemented is None or not isinstance(raw["id"], str) or not isinstance(raw["source"], str):
                    return None
                rules.append(Rule(id=raw["id"], spec=RuleSpec.model_validate(raw["spec"]), source=raw["source"],
                                  implemented=implemented, partial=_cond_from_json(raw["partial"]),
                                  applies_when=_cond_from_json(raw["applies_when"])))
            conditions: dict[str, Condition] = {}
            for name, raw in entry["conditions"].items():
                cond = _cond_from_json(raw)
                if cond is None:
                    return None
                conditions[name] = cond
        except (KeyError, TypeError, ValueError, AttributeError, RecursionError, ValidationError):
            return None
        return rules, conditions

    def put(self, key: str, rules: list[Rule], conditions: dict[str, Condition]) -> None:
        write_entry(self.directory / f"{key}.json", {
            "format": CACHE_FORMAT, "key": key,
            "rules": [{"id": r.id, "spec": r.spec.model_dump(mode="json"), "source": r.source,
                       "implemented": _cond_to_json(r.implemented), "partial": _cond_to_json(r.partial),
                       "applies_when": _cond_to_json(r.applies_when)} for r in rules],
            "conditions": {name: _cond_to_json(c) for name, c in conditions.items()},
        })
