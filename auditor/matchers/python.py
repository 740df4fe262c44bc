"""Matchers over Python facts: imports, calls, decorators, definitions, exception handling,
context managers, returned tuples, strings, assignments, comparisons."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from fnmatch import fnmatchcase
from functools import lru_cache
from typing import Any, Literal

from pydantic import Field, field_validator

from auditor.facts import Fact, FileFacts
from auditor.facts.sqlvalues import any_variable, literal_names
from auditor.matchers.index import FactIndex, Hit
from auditor.matchers.patterns import (
    Regex,
    below_accept,
    compiled_regex,
    glob_set,
    listify,
    name_matches,
    value_matches,
    value_texts,
)
from auditor.matchers.registry import Params, matcher

_PY = frozenset({"python"})


def _name_accept(patterns: list[str]) -> Callable[[Any], bool]:
    regex = glob_set(tuple(patterns))

    def accept(name: Any) -> bool:
        return isinstance(name, str) and bool(name) and regex.match(name) is not None

    accept.select = lambda values: regex.select(values, False)  # type: ignore[attr-defined]
    return accept


class ImportParams(Params):
    """An import of a module or name (a pattern also matches names below it: ``structlog``
    matches ``structlog.get_logger``)."""

    name: list[str]
    _n = field_validator("name", mode="before")(listify)


@matcher("python.import", ImportParams, reads=("import",), presence=True)
def match_import(p: ImportParams, index: FactIndex) -> list[Hit]:
    hits = []
    accept = below_accept(p.name, ".", empty=True)
    for file, fact in index.facts_where("import", "name", accept, p.roles(), _PY):
        hits.append(Hit(file.path, fact["line"], fact["name"], fact["scope"]))
    return hits


class CallParams(Params):
    """A call of a resolved callee, optionally with keywords or argument values."""

    name: list[str]
    kwargs: list[str] = Field(default_factory=list, description="any of these keyword names (globs) is passed")
    kwarg: dict[str, Regex] = Field(default_factory=dict, description="keyword -> value regex, all must match")
    arg: Regex | None = Field(default=None, description="regex searched in any positional argument")
    first_arg: Regex | None = Field(default=None, description="regex searched in the first positional argument only")
    literal_first_arg: bool = Field(default=False, description=(
        "first_arg matches a string literal only (an environment variable's name), not a variable's name"))
    not_kwarg: dict[str, Regex] = Field(default_factory=dict, description="keyword -> value regex that must not match")
    min_args: int = Field(default=0, description="at least this many positional arguments")
    max_args: int | None = Field(default=None, description=(
        "at most this many positional arguments (a registration `app.errorhandler(404)`, not a handler "
        "called with the error and its context)"))
    receiver: list[str] = Field(
        default_factory=list,
        description="globs: a method call counts only when its receiver is known to be one of these "
                    "(the callee it was built from or its parameter annotation, else its text)")
    not_receiver: list[str] = Field(
        default_factory=list,
        description="globs: a method call does not count when its receiver is one of these "
                    "(same reading as receiver, or the receiver as written)")
    bound: bool | None = Field(
        default=None,
        description="true: some argument passes a value known only at run time (a name, attribute, "
                    "subscript, call or expression), as a query binds a parameter; literals, UPPER_CASE "
                    "constants and class names do not count")
    key_by: Literal["target", "receiver", "argument"] | None = Field(
        default=None,
        description="what a hit is keyed by, for `all: ... within: key`: `target`, the last part of the "
                    "name the call's result is assigned to (`db_connections = Gauge(...)`); `receiver`, the "
                    "last part of the name a method is called on (`metrics.db_connections.set(1)`, "
                    "`g.labels(x).inc()`, `@g.time()`); `argument`, the last part of the first name passed "
                    "as an argument, or as `view_func`/`view` (`path(\"status/\", views.status)` keys "
                    "`status`, which a function hit of that name shares). A call without one gives no hit")
    _n = field_validator("name", "kwargs", "receiver", "not_receiver", mode="before")(listify)


_CONSTANT_OR_CLASS = re.compile(r"[A-Z][A-Z0-9_]*|[A-Z]\w*[a-z]\w*")


def _runtime_value(value: Any) -> bool:
    """Whether a fact value is known only at run time: a name or attribute that is not an
    UPPER_CASE constant or a class name, a call, a subscript or another expression (literals,
    and lists or dicts of them, are not)."""
    if isinstance(value, list):
        return any(_runtime_value(v) for v in value)
    if not isinstance(value, dict):
        return False
    if set(value) == {"ref"}:
        return _CONSTANT_OR_CLASS.fullmatch(str(value["ref"]).rsplit(".", 1)[-1]) is None
    if set(value) <= {"call", "expr"} and value:
        return True
    return any(_runtime_value(v) for v in value.values())


def _receiver_is(fact: Fact, patterns: list[str]) -> bool:
    """Whether a method call's receiver (its known builder, else its text) matches a glob."""
    known = fact.get("recv")
    if known is None:
        known = _receiver_text(fact)
        if known is None:
            return False
    return name_matches(known, patterns)


def _receiver_text(fact: Fact) -> str | None:
    """The text a method call is made on (``executor`` in ``executor.execute(...)``)."""
    name = fact["name"]
    return name.rsplit(".", 1)[0] if "." in name else None


def _receiver_excluded(fact: Fact, patterns: list[str]) -> bool:
    """Whether a method call's receiver is one a condition rules out: by its known builder or
    by its own name (an ``executor`` fetched from a registry is still an executor)."""
    if _receiver_is(fact, patterns):
        return True
    text = _receiver_text(fact)
    return text is not None and name_matches(text, patterns)


def _call_like(p: CallParams, fact: Fact, facts: list[Fact] | None = None) -> tuple[str, int] | None:
    """The hit's key and line when the call's arguments satisfy ``p`` (its name has matched
    already). The line is the decisive keyword's (the one the key comes from) when the call
    spans lines and the condition names a keyword, else the call's; when that keyword's value is
    a dict or list and the file's ``facts`` are given, the line of the entry that matched
    (``"pool_pre_ping": True`` in ``engine_options={...}``)."""
    key = fact["name"]
    keyword: str | None = None
    if p.receiver and not _receiver_is(fact, p.receiver):
        return None
    if p.not_receiver and _receiver_excluded(fact, p.not_receiver):
        return None
    kw = fact.get("kw", {})
    if p.kwargs:
        present = [k for pat in p.kwargs for k in kw if fnmatchcase(k, pat)]
        if not present:
            return None
        key = keyword = present[0]
    in_container = False
    for name, pattern in p.kwarg.items():
        if name not in kw:
            return None
        found = value_matches(kw[name], pattern)
        if found is None:
            return None
        key, keyword = found, name
        in_container = _is_container(kw[name])
    for name, pattern in p.not_kwarg.items():
        if name in kw and value_matches(kw[name], pattern) is not None:
            return None
    if len(fact.get("args", [])) < p.min_args:
        return None
    if p.max_args is not None and len(fact.get("args", [])) > p.max_args:
        return None
    if p.bound is not None and p.bound != any(map(_runtime_value, [*fact.get("args", []), *kw.values()])):
        return None
    if p.arg is not None:
        found = next((t for a in fact.get("args", []) if (t := value_matches(a, p.arg)) is not None), None)
        if found is None:
            return None
        key, keyword = found, None
    if p.first_arg is not None:
        args = fact.get("args", [])
        found = value_matches(args[0], p.first_arg) if args and (
            isinstance(args[0], str) or not p.literal_first_arg) else None
        if found is None:
            return None
        key, keyword = found, None
    line: int = fact["line"]
    if keyword is not None:
        line = fact.get("kwl", {}).get(keyword, line)
        if in_container and facts is not None:
            line = _element_line(facts, key, line)
    return key, line


@matcher("python.call", CallParams, reads=("call",))
def match_call(p: CallParams, index: FactIndex) -> list[Hit]:
    hits = []
    for file, fact in index.facts_where("call", "name", _name_accept(p.name), p.roles(), _PY):
        hit = _call_hit(p, file, fact, _call_like(p, fact, file.facts))
        if hit is not None:
            hits.append(hit)
    return hits


def _call_hit(p: CallParams, file: FileFacts, fact: Fact, found: tuple[str, int] | None) -> Hit | None:
    """The hit of a call or decorator whose arguments matched (``found``: key and line), keyed as
    ``p.key_by`` asks; None when it did not match or has no such key."""
    if found is None:
        return None
    key = found[0] if p.key_by is None else _call_key(p.key_by, fact, file.facts)
    return None if key is None else Hit(file.path, found[1], key, fact["scope"])


def _call_key(by: str, call: Fact, facts: list[Fact]) -> str | None:
    """The name a call or decorator is keyed by (see ``CallParams.key_by``), or None when it has
    none. Both come from the file's own facts: matchers stay file-local, and ``within: key``
    joins the keys across files."""
    if by == "target":
        targets = [str(f["target"]).rsplit(".", 1)[-1] for f in facts
                   if f["t"] == "assign" and f["line"] == call["line"] and f["value"] == {"call": call["name"]}]
        return targets[0] if targets else None
    if by == "argument":
        kw = call.get("kw") or {}
        for value in [*call.get("args", []), kw.get("view_func"), kw.get("view")]:
            if isinstance(value, dict) and isinstance(value.get("ref"), str):
                return str(value["ref"]).rsplit(".", 1)[-1]
        return None
    name = call["name"]
    if not isinstance(name, str) or "." not in name:
        return None
    head = name.rpartition(".")[0]
    if head.endswith(".labels()"):
        head = head[: -len(".labels()")]
    last = head.rsplit(".", 1)[-1]
    return last if last and "(" not in last else None


class DecoratorParams(CallParams):
    """A decorator (``@app.get("/health")``, ``@retry(wait=...)``) on a function or class."""

    target: Regex | None = Field(default=None, description="regex on the decorated name")


@matcher("python.decorator", DecoratorParams, reads=("decorator",))
def match_decorator(p: DecoratorParams, index: FactIndex) -> list[Hit]:
    hits = []
    for file, fact in index.facts_where("decorator", "name", _name_accept(p.name), p.roles(), _PY):
        if p.target and not compiled_regex(p.target).search(fact["target"]):
            continue
        hit = _call_hit(p, file, fact, _call_like(p, fact))
        if hit is not None:
            hits.append(hit)
    return hits


class FunctionParams(Params):
    """A function definition by name, shape, parameters or decorators."""

    name: Regex | None = Field(default=None, description="regex, full match")
    is_async: bool | None = Field(default=None, alias="async")
    yields: bool | None = None
    teardown: bool | None = Field(default=None, description=(
        "a generator whose code runs after its yield (statements follow it, or it sits in a with "
        "block or a try with finally); its hit cites the yield, where set-up ends and teardown begins"))
    decorator: list[str] = Field(default_factory=list)
    param_name: Regex | None = Field(default=None, description="regex, full match on a parameter name")
    param_ann: list[str] = Field(default_factory=list, description="globs on names in a parameter annotation")
    param_default: list[str] = Field(default_factory=list, description="globs on a parameter default's callee")
    returns: list[str] = Field(default_factory=list)
    _n = field_validator("decorator", "param_ann", "param_default", "returns", mode="before")(listify)


def _cites_yield(p: FunctionParams) -> bool:
    return bool(p.teardown)


@matcher("python.function", FunctionParams, reads=("function",), definition=True, decisive=_cites_yield)
def match_function(p: FunctionParams, index: FactIndex) -> list[Hit]:
    hits = []
    for file, fact in index.facts("function", p.roles(), frozenset({"python"})):
        if p.name and not compiled_regex(p.name).fullmatch(fact["name"]):
            continue
        if p.is_async is not None and fact["async"] != p.is_async:
            continue
        if p.yields is not None and fact["yields"] != p.yields:
            continue
        if p.teardown is not None and bool(fact.get("td")) != p.teardown:
            continue
        if p.decorator and not any(name_matches(d, p.decorator) for d in fact["decorators"]):
            continue
        if p.returns and not any(name_matches(r, p.returns) for r in fact["returns"]):
            continue
        params = fact["params"]
        if p.param_name:
            params = [x for x in params if compiled_regex(p.param_name).fullmatch(x["name"])]
        if p.param_ann:
            params = [x for x in params if any(name_matches(a, p.param_ann) for a in x["ann"])]
        if p.param_default:
            params = [x for x in params if any(name_matches(t.rstrip("()"), p.param_default)
                                               for t in value_texts(x["default"]))]
        if (p.param_name or p.param_ann or p.param_default) and not params:
            continue
        line: int = fact.get("yl") or fact["line"] if p.teardown else fact["line"]
        hits.append(Hit(file.path, line, fact["name"], fact["scope"]))
    return hits


class ClassParams(Params):
    """A class definition by name, bases or decorators."""

    name: Regex | None = Field(default=None, description="regex, full match")
    bases: list[str] = Field(default_factory=list, description="globs, any base matches")
    decorator: list[str] = Field(default_factory=list)
    instantiated: bool | None = Field(default=None, description=(
        "the module that defines the class also calls it by its name (``settings = Settings()``)"))
    key_by: Literal["base"] | None = Field(default=None, description=(
        "what a hit is keyed by instead of the class's name: `base`, its bases (a class without "
        "bases gives no hit), so a class counts as a use of the classes it extends"))
    _n = field_validator("bases", "decorator", mode="before")(listify)


def _called_names(index: FactIndex, roles: frozenset[str] | None) -> set[tuple[str, str]]:
    """(path, name) of every plain name called in a Python file: the classes a module instantiates."""
    return {(file.path, fact["name"]) for file, fact in index.facts("call", roles, _PY)
            if isinstance(fact["name"], str) and "." not in fact["name"]}


@matcher("python.class", ClassParams, reads=("class", "call"), definition=True)
def match_class(p: ClassParams, index: FactIndex) -> list[Hit]:
    hits = []
    roles = p.roles()
    called = index.derived(("called-names", roles), lambda: _called_names(index, roles)) \
        if p.instantiated is not None else set()
    for file, fact in index.facts("class", roles, frozenset({"python"})):
        if p.name and not compiled_regex(p.name).fullmatch(fact["name"]):
            continue
        if p.bases and not any(name_matches(b, p.bases) for b in fact["bases"]):
            continue
        if p.decorator and not any(name_matches(d, p.decorator) for d in fact["decorators"]):
            continue
        if p.instantiated is not None and ((file.path, fact["name"]) in called) != p.instantiated:
            continue
        if p.key_by == "base" and not fact["bases"]:
            continue
        key = ",".join(fact["bases"]) if p.key_by == "base" else fact["name"]
        hits.append(Hit(file.path, fact["line"], key, fact["scope"]))
    return hits


class ExceptParams(Params):
    """An ``except`` clause by what it catches and what its body does."""

    types: list[str] = Field(default_factory=list, description="globs; '<bare>' for a bare except")
    calls: list[str] = Field(default_factory=list, description="the body calls one of these")
    reraise: bool | None = None
    chained: bool | None = None
    _n = field_validator("types", "calls", mode="before")(listify)


@matcher("python.except", ExceptParams, reads=("except",))
def match_except(p: ExceptParams, index: FactIndex) -> list[Hit]:
    hits = []
    for file, fact in index.facts("except", p.roles(), frozenset({"python"})):
        types = fact["types"] or ["<bare>"]
        if p.types and not any(name_matches(t, p.types) for t in types):
            continue
        if p.calls and not any(name_matches(c, p.calls) for c in fact["calls"]):
            continue
        if p.reraise is not None and fact["reraise"] != p.reraise:
            continue
        if p.chained is not None and fact["chained"] != p.chained:
            continue
        hits.append(Hit(file.path, fact["line"], ",".join(types), fact["scope"]))
    return hits


class RaiseParams(Params):
    """A ``raise`` statement; ``chained`` means ``raise X from exc`` (not ``from None``)."""

    name: list[str] = Field(default_factory=list)
    chained: bool | None = None
    in_except: bool | None = None
    _n = field_validator("name", mode="before")(listify)


@matcher("python.raise", RaiseParams, reads=("raise",))
def match_raise(p: RaiseParams, index: FactIndex) -> list[Hit]:
    hits = []
    for file, fact in index.facts("raise", p.roles(), frozenset({"python"})):
        if p.name and not name_matches(fact["name"], p.name):
            continue
        chained = fact["cause"] is not None and fact["cause"] != "None"
        if p.chained is not None and chained != p.chained:
            continue
        if p.in_except is not None and fact["in_except"] != p.in_except:
            continue
        hits.append(Hit(file.path, fact["line"], fact["name"] or "", fact["scope"]))
    return hits


class ReturnParams(Params):
    """A ``return`` of a two- or three-element tuple (``return {"error": "bad"}, 400``; Flask's
    ``body, status`` and ``body, status, headers``) whose second element matches ``second``."""

    second: Regex = Field(description="regex searched in the second element's text")


@matcher("python.return", ReturnParams, reads=("return",))
def match_return(p: ReturnParams, index: FactIndex) -> list[Hit]:
    hits = []
    for file, fact in index.facts("return", p.roles(), _PY):
        found = value_matches(fact["second"], p.second)
        if found is not None:
            hits.append(Hit(file.path, fact["line"], found, fact["scope"]))
    return hits


class WithParams(Params):
    """A ``with``/``async with`` over one of these context managers."""

    name: list[str]
    not_name: list[str] = Field(
        default_factory=list,
        description="globs of context managers that do not count even where ``name`` matches "
                    "(a tracer's span named like a transaction: sentry_sdk.start_transaction)",
    )
    is_async: bool | None = Field(default=None, alias="async")
    _n = field_validator("name", "not_name", mode="before")(listify)


@matcher("python.with", WithParams, reads=("with",))
def match_with(p: WithParams, index: FactIndex) -> list[Hit]:
    hits = []
    for file, fact in index.facts("with", p.roles(), frozenset({"python"})):
        if p.is_async is not None and fact["async"] != p.is_async:
            continue
        found = next((n for n in fact["names"]
                      if name_matches(n, p.name) and not (p.not_name and name_matches(n, p.not_name))), None)
        if found:
            hits.append(Hit(file.path, fact["line"], found, fact["scope"]))
    return hits


class StringParams(Params):
    """A string literal (not a docstring) matching a regex. Text search: use where no name can."""

    pattern: Regex
    fstring: bool | None = None
    variable_field: bool | None = Field(
        default=None,
        description="f-strings only: true = some field is not a constant (UPPER_CASE name or literal), "
                    "a name the file only ever assigns a literal to (base_sql = \"SELECT ...\"), a list of "
                    "bind placeholders (IN ({placeholders})) nor a table's name read off a model "
                    "(_meta.db_table, __tablename__)",
    )
    field: Regex | None = Field(
        default=None,
        description="f-strings only: regex, full match on the text of one of its fields "
                    "(user.id in f'invite-{user.id}')")


def _has_variable_field(fact: Fact, literals: frozenset[str]) -> bool:
    return any_variable(fact.get("fields", []), literals)


def _regex_accept(find: Callable[[str], Any]) -> Callable[[Any], bool]:
    """Accepts strings ``find`` (a compiled pattern's search or fullmatch) finds something in;
    ``select`` takes many values at once (see ``FactIndex.facts_where``)."""

    def accept(value: Any) -> bool:
        return isinstance(value, str) and find(value) is not None

    accept.select = lambda values: {v for v in values if isinstance(v, str) and find(v) is not None}  # type: ignore[attr-defined]
    return accept


@matcher("python.string", StringParams, reads=("string",))
def match_string(p: StringParams, index: FactIndex) -> list[Hit]:
    regex = compiled_regex(p.pattern)
    field = compiled_regex(p.field).fullmatch if p.field is not None else None
    hits = []
    literals: dict[str, frozenset[str]] = {}
    accept = _regex_accept(regex.search)
    for file, fact in index.facts_where("string", "value", accept, p.roles(), _PY):
        if p.fstring is not None and bool(fact.get("fstring")) != p.fstring:
            continue
        if p.variable_field is not None:
            if file.path not in literals:
                literals[file.path] = literal_names(file.facts)
            variable = bool(fact.get("fstring")) and _has_variable_field(fact, literals[file.path])
            if variable != p.variable_field:
                continue
        if field is not None and not any(isinstance(name, str) and field(name) for name in fact.get("fields", [])):
            continue
        m = regex.search(fact["value"])
        if m:
            hits.append(Hit(file.path, fact["line"], m.group(0), fact["scope"]))
    return hits


class UsesParams(Params):
    """A use of a resolved name: called, referenced, decorating, subclassed, caught or entered."""

    name: list[str]
    _n = field_validator("name", mode="before")(listify)


def _typing_uses(index: FactIndex, roles: frozenset[str] | None) -> dict[str, list[tuple[str, int, str]]]:
    """Names used as a base class, a parameter annotation or a caught type, with their places."""
    sites: dict[str, list[tuple[str, int, str]]] = defaultdict(list)
    for file, fact in index.facts("class", roles, _PY):
        for base in fact["bases"]:
            sites[base].append((file.path, fact["line"], fact["scope"]))
    for file, fact in index.facts("function", roles, _PY):
        for param in fact["params"]:
            for name in param["ann"]:
                sites[name].append((file.path, fact["line"], fact["scope"]))
    for file, fact in index.facts("except", roles, _PY):
        for name in fact["types"]:
            sites[name].append((file.path, fact["line"], fact["scope"]))
    return sites


@matcher("python.uses", UsesParams, reads=("call", "ref", "decorator", "class", "function", "except"))
def match_uses(p: UsesParams, index: FactIndex) -> list[Hit]:
    hits = []
    roles = p.roles()
    ok = below_accept(p.name, ".(")
    for t in ("call", "ref", "decorator"):
        for file, fact in index.facts_where(t, "name", ok, roles, _PY):
            hits.append(Hit(file.path, fact["line"], fact["name"], fact["scope"]))
    sites = index.derived(("uses", roles), lambda: _typing_uses(index, roles))
    typed = [Hit(path, line, name, scope) for name in ok.select(sites) for path, line, scope in sites[name]]  # type: ignore[attr-defined]
    typed.sort(key=lambda h: (h.path, h.line, h.key))
    return hits + typed


class AssignParams(Params):
    """An assignment to a target (``CONN_MAX_AGE``, ``self.x``, ``app.config[KEY]``)."""

    target: Regex = Field(description="regex, full match on the target text")
    value: Regex | None = Field(default=None, description="regex searched in the value")
    op: str | None = Field(default=None, description="'=', ':' (annotated), or an AugAssign name like MultiplyAssign")
    ann: list[str] = Field(default_factory=list)
    _n = field_validator("ann", mode="before")(listify)


@lru_cache(maxsize=4096)
def _plain_words(pattern: str) -> frozenset[str] | None:
    """The strings a regex fully matches, when it is a word or an alternation of words
    (``INSTALLED_APPS``, ``CACHE_TYPE|CACHE_REDIS_URL``); None for any other regex."""
    words = pattern.split("|")
    if all(w and all(c.isascii() and (c.isalnum() or c == "_") for c in w) for w in words):
        return frozenset(words)
    return None


def _fullmatch(pattern: str) -> Callable[[Any], bool]:
    words = _plain_words(pattern)
    if words is None:
        return _regex_accept(compiled_regex(pattern).fullmatch)

    def accept(value: Any) -> bool:  # a set lookup: no regex to compile
        return isinstance(value, str) and value in words

    accept.select = lambda values: words.intersection(v for v in values if isinstance(v, str))  # type: ignore[attr-defined]
    return accept


def _value_key(value: Any, pattern: str | None, default: str) -> str | None:
    """The hit's key: the default when no value pattern is asked for, else the matched text."""
    return default if pattern is None else value_matches(value, pattern)


@matcher("python.assign", AssignParams, reads=("assign",))
def match_assign(p: AssignParams, index: FactIndex) -> list[Hit]:
    hits = []
    for file, fact in index.facts_where("assign", "target", _fullmatch(p.target), p.roles(), _PY):
        if p.op is not None and fact["op"] != p.op:
            continue
        if p.ann and not any(name_matches(a, p.ann) for a in fact["ann"]):
            continue
        key = _value_key(fact["value"], p.value, fact["target"])
        if key is not None:
            line = fact["line"]
            if p.value is not None and _is_container(fact["value"]):
                line = _element_line(file.facts, key, line)
            hits.append(Hit(file.path, line, key, fact["scope"]))
    return hits


def _is_container(value: Any) -> bool:
    """A list, or a dict that is not a marker (``{"ref": ...}``, ``{"call": ...}``, ``{"expr": ...}``)."""
    if isinstance(value, list):
        return True
    return isinstance(value, dict) and not (len(value) == 1 and next(iter(value)) in ("ref", "call", "expr"))


def _element_line(facts: list[Fact], text: str, start: int) -> int:
    """The line of the string literal ``text`` that a container assigned on ``start`` holds (its
    first occurrence from ``start`` on lies inside the value, which begins there): the element
    that matched (``"corsheaders.middleware.CorsMiddleware"`` in ``MIDDLEWARE = [...]``) is the
    decisive line, not the assignment's first. ``start`` when the element is no string literal."""
    lines = [fact["line"] for fact in facts
             if fact["t"] == "string" and fact["line"] >= start and fact["value"] == text]
    return min(lines, default=start)


class DictKeyParams(Params):
    """A string key in a dict literal (settings dicts such as ``DATABASES``, ``LOGGING``)."""

    key: Regex = Field(description="regex, full match")
    value: Regex | None = None


@matcher("python.dictkey", DictKeyParams, reads=("dictkey",))
def match_dictkey(p: DictKeyParams, index: FactIndex) -> list[Hit]:
    hits = []
    for file, fact in index.facts_where("dictkey", "key", _fullmatch(p.key), p.roles(), _PY):
        key = _value_key(fact["value"], p.value, fact["key"])
        if key is not None:
            hits.append(Hit(file.path, fact["line"], key, fact["scope"]))
    return hits


class CompareParams(Params):
    """A comparison (``r.status_code == 404``, ``env in ("prod", "production")``): one operand
    matches ``left`` and another matches ``right`` (either order)."""

    left: Regex | None = Field(default=None, description="regex searched in one operand's text")
    right: Regex | None = Field(default=None, description="regex searched in another operand's text")
    op: list[str] = Field(default_factory=list, description="any of these operators: ==, !=, in, is, <...")
    _n = field_validator("op", mode="before")(listify)


@matcher("python.compare", CompareParams, reads=("compare",))
def match_compare(p: CompareParams, index: FactIndex) -> list[Hit]:
    hits = []
    for file, fact in index.facts("compare", p.roles(), frozenset({"python"})):
        if p.op and not any(o in p.op for o in fact["ops"]):
            continue
        operands = [fact["left"], *fact["right"]]
        lefts = [i for i, v in enumerate(operands) if p.left is None or value_matches(v, p.left) is not None]
        rights = [i for i, v in enumerate(operands) if p.right is None or value_matches(v, p.right) is not None]
        pair = next(((i, j) for i in lefts for j in rights if i != j), None)
        if pair is None:
            continue
        key = value_matches(operands[pair[1]], p.right) if p.right else (value_texts(operands[pair[1]]) or [""])[0]
        hits.append(Hit(file.path, fact["line"], key or "", fact["scope"]))
    return hits


class BranchParams(Params):
    """An ``if``/``elif`` or conditional expression that tests a name for truth
    (``if not settings.PRODUCTION:``, ``x if config.IS_STAGING else y``); comparisons are
    ``python.compare``."""

    test: Regex = Field(description="regex searched in each dotted name the test reads")


@matcher("python.branch", BranchParams, reads=("branch",))
def match_branch(p: BranchParams, index: FactIndex) -> list[Hit]:
    regex = compiled_regex(p.test)
    hits = []
    for file, fact in index.facts("branch", p.roles(), _PY):
        found = next((name for name in fact["tests"] if regex.search(name)), None)
        if found is not None:
            hits.append(Hit(file.path, fact["line"], found, fact["scope"]))
    return hits


class PowerParams(Params):
    """A ``**`` with a non-constant exponent (``2 ** attempt``)."""


@matcher("python.power", PowerParams, reads=("power",))
def match_power(p: PowerParams, index: FactIndex) -> list[Hit]:
    return [Hit(f.path, x["line"], "**", x["scope"]) for f, x in index.facts("power", p.roles(), frozenset({"python"}))]

