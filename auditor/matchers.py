"""The rule vocabulary: leaf matchers over the fact index, each a small pydantic model + a function.

Every matcher returns the hits (path, line, matched value, scope) where it matched. Common
options on every matcher:

- ``role``: which files count: ``runtime`` (default), ``test``, ``docs``, ``tooling`` (dev
  environments, probes, asset builds, seed/demo-data commands), ``migration`` (migration
  revision folders), ``any``, or a list.
- ``file``: glob(s) over the file path (``**`` crosses folders).
- ``min_count``: at least this many hits in one file.
- ``distinct``: at least this many distinct matched values across the repository.
- ``distinct_by``: with ``distinct``, count the distinct texts this regex finds in the matched
  values instead of the values themselves (a version pattern counts versions, not paths).

Name patterns are globs over fully qualified names (``sqlalchemy.create_engine``,
``*.dispose``). Value patterns are regular expressions searched in the value's text
(a list or dict matches when any element, key or value matches).
"""

from __future__ import annotations

import fnmatch
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from fnmatch import fnmatchcase
from functools import lru_cache
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from auditor.facts import Fact
from auditor.index import FactIndex, Hit

ROLES = ("runtime", "test", "docs", "tooling", "migration")


@lru_cache(maxsize=4096)
def _regex(pattern: str) -> re.Pattern[str]:
    """Compiled once per process: rule loading compiles each pattern to check it, matchers reuse it
    (and worker processes forked after loading inherit it)."""
    return re.compile(pattern)


@lru_cache(maxsize=1024)
def _flagged_regex(pattern: str, flags: int) -> re.Pattern[str]:
    return re.compile(pattern, flags)


def _check_regex(value: str) -> str:
    try:
        _regex(value)
    except re.error as exc:
        raise ValueError(f"invalid regular expression {value!r}: {exc}") from None
    return value


Regex = Annotated[str, AfterValidator(_check_regex)]


def _as_list(value: Any) -> Any:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return value


class Params(BaseModel):
    """Options shared by every matcher."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    role: list[str] = Field(default_factory=lambda: ["runtime"])
    file: list[str] = Field(default_factory=list)
    min_count: int = 1
    distinct: int = 1
    distinct_by: Regex | None = None

    @field_validator("role", "file", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        return _as_list(value)

    @field_validator("role")
    @classmethod
    def _roles(cls, value: list[str]) -> list[str]:
        for role in value:
            if role not in (*ROLES, "any"):
                raise ValueError(f"unknown role {role!r} ({', '.join(ROLES)}, any)")
        return value

    def roles(self) -> frozenset[str] | None:
        return None if "any" in self.role else frozenset(self.role)


def _names(value: Any) -> Any:
    return _as_list(value)


@lru_cache(maxsize=4096)
def _glob_re(pattern: str, separators: str = "./") -> re.Pattern[str]:
    """Segment glob: ``*`` stays within a segment (dotted or slashed for keys; slashed only
    for file paths, whose names may hold dots), ``**`` crosses them."""
    one = "[^" + re.escape(separators) + "]"
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append(one + "*")
        elif c == "?":
            out.append(one)
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out) + r"\Z")


_HINTED_NAMES = 256
"""Names a glob set tests by literal text alone before it compiles its regex."""


@lru_cache(maxsize=4096)
def _glob_hint(pattern: str) -> tuple[str, str, tuple[str, ...], int] | None:
    """What any string a segment glob matches must have: its literal prefix and suffix, every
    literal chunk between wildcards, and its least length; None for a glob with no wildcard.
    Testing these first spares compiling a regex for the many globs a given path cannot match."""
    parts = pattern.replace("?", "*").split("*")
    if len(parts) == 1:
        return None
    inner = tuple(sorted({p for p in parts[1:-1] if p}, key=len, reverse=True))
    return parts[0], parts[-1], inner, len(pattern.replace("*", ""))


def _glob_full(pattern: str, text: str, separators: str = "./") -> bool:
    """Whether a segment glob (see :func:`_glob_re`) matches the whole text."""
    hint = _glob_hint(pattern)
    if hint is None:
        return text == pattern
    prefix, suffix, inner, least = hint
    if len(text) < least or not text.startswith(prefix) or not text.endswith(suffix):
        return False
    if any(chunk not in text for chunk in inner):
        return False
    return _glob_re(pattern, separators).match(text) is not None


def _fn_hint(pattern: str) -> tuple[str, str, tuple[str, ...]]:
    """The literal prefix, suffix and inner chunks of an fnmatch glob (``*``, ``?``; no ``[``)."""
    parts = pattern.replace("?", "*").split("*")
    return parts[0], parts[-1], tuple(p for p in parts[1:-1] if p)


class _GlobSet:
    """A list of fnmatch globs (case-sensitive, whole name), tested as ``fnmatchcase`` would.

    Most patterns are plain names, ``prefix*``, ``*suffix`` or ``*``: those are set and
    ``str.startswith``/``endswith`` tests. Only the rest become one regex, compiled on first
    use, so loading a checklist does not compile a regex per leaf. ``below`` also accepts a
    name that starts with a pattern's text and one of these separators (``structlog`` ->
    ``structlog.get_logger``).
    """

    def __init__(self, patterns: tuple[str, ...], below: str = "") -> None:
        exact: set[str] = set()
        prefixes: list[str] = []
        suffixes: list[str] = []
        complex_: list[str] = []
        self.anything = False
        for pattern in patterns:
            head, star, tail = pattern.partition("*")
            if not any(c in pattern for c in "*?["):
                exact.add(pattern)
            elif pattern == "*":
                self.anything = True
            elif star and not tail and not any(c in head for c in "?["):
                prefixes.append(head)
            elif star and not head and not any(c in tail for c in "*?["):
                suffixes.append(tail)
            else:
                complex_.append(pattern)
            prefixes.extend(pattern + sep for sep in below)  # below: the pattern's text, literally
        self.exact = frozenset(exact)
        self.prefixes = tuple(prefixes)
        self.suffixes = tuple(suffixes)
        self.complex = tuple(complex_)
        self._regex: re.Pattern[str] | None = None
        # before the regex is compiled, names are first tested against the literal text of the
        # complex patterns (a pattern with a character class has none: it admits every name)
        self._hints = None if any("[" in p for p in complex_) else tuple(_fn_hint(p) for p in complex_)
        self._hinted = 0

    def select(self, values: Iterable[Any], empty: bool = True) -> set[str]:
        """The values (of many) that are names this set matches: one C-level pass per kind of
        pattern instead of a call per value. Non-strings never match; "" only when ``empty``."""
        names = [v for v in values if isinstance(v, str) and (empty or v)]
        if self.anything:
            return set(names)
        out = set(self.exact.intersection(names))
        if self.prefixes:
            out.update(v for v in names if v.startswith(self.prefixes))
        if self.suffixes:
            out.update(v for v in names if v.endswith(self.suffixes))
        if self.complex:
            if self._regex is None and self._hints is not None and len(names) <= _HINTED_NAMES:
                names = [v for v in names if self._may_match(v)]
                if not names:
                    return out
            regex = self._complex_regex()
            out.update(v for v in names if regex.match(v) is not None)
        return out

    def _may_match(self, name: str) -> bool:
        """False when no complex pattern can match the name, judged by literal text alone."""
        hints = self._hints
        if hints is None:
            return True
        self._hinted += 1
        if self._hinted > _HINTED_NAMES:
            self._hints = None  # a busy set: compiling the regex is the cheaper path from here
        return any(name.startswith(prefix) and name.endswith(suffix) and len(name) >= len(prefix) + len(suffix)
                   and all(chunk in name for chunk in inner) for prefix, suffix, inner in hints)

    def _complex_regex(self) -> re.Pattern[str]:
        if self._regex is None:
            self._regex = re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in self.complex))
        return self._regex

    def match(self, name: str) -> bool | None:
        """True when the name matches, else None (like ``re.Pattern.match``)."""
        if (self.anything or name in self.exact or (self.prefixes and name.startswith(self.prefixes))
                or (self.suffixes and name.endswith(self.suffixes))):
            return True
        if not self.complex:
            return None
        if self._regex is None and self._hints is not None and not self._may_match(name):
            return None
        return True if self._complex_regex().match(name) is not None else None


@lru_cache(maxsize=4096)
def _names_re(patterns: tuple[str, ...]) -> _GlobSet:
    """The glob set for a list of fnmatch globs (same meaning as ``fnmatchcase`` on each)."""
    return _GlobSet(patterns)


def name_matches(name: str | None, patterns: Iterable[str]) -> bool:
    if not name:
        return False
    return _names_re(tuple(patterns)).match(name) is not None


@lru_cache(maxsize=4096)
def _below_re(patterns: tuple[str, ...], separators: str) -> _GlobSet:
    """A glob's match, or a name that starts with a pattern and one of ``separators``."""
    return _GlobSet(patterns, separators)


def _below_accept(patterns: list[str], separators: str, empty: bool = False) -> Callable[[Any], bool]:
    """Accepts a name a glob matches, or a name below a pattern (``structlog`` -> ``structlog.x``);
    an empty name only when ``empty``."""
    regex = _below_re(tuple(patterns), separators)

    def accept(name: Any) -> bool:
        return isinstance(name, str) and (empty or bool(name)) and regex.match(name) is not None

    accept.select = lambda values: regex.select(values, empty)  # type: ignore[attr-defined]
    return accept


def path_matches(path: str, patterns: Iterable[str]) -> bool:
    """Whether a path glob (``*`` within a folder or file name, dots included; ``**`` across
    folders) matches the path, or (a glob without ``/``) its file name."""
    name: str | None = None
    for p in patterns:
        if _glob_full(p, path, "/"):
            return True
        if "/" not in p:
            if name is None:
                name = path.rsplit("/", 1)[-1]
            if _glob_full(p, name, "/"):
                return True
    return False


def key_matches(key: str, pattern: str) -> bool:
    return _glob_full(pattern, key)


def value_texts(value: Any) -> list[str]:
    """The texts a value pattern is searched in."""
    if isinstance(value, dict):
        if set(value) == {"ref"}:
            return [str(value["ref"])]
        if set(value) == {"call"}:
            return [f"{value['call']}()"]
        if set(value) == {"expr"}:
            return [f"<{value['expr']}>"]
        out = []
        for k, v in value.items():
            out.append(str(k))
            out.extend(value_texts(v))
        return out
    if isinstance(value, list):
        out = []
        for v in value:
            out.extend(value_texts(v))
        return out
    if isinstance(value, bool) or value is None:
        return [str(value)]
    return [str(value)]


def value_matches(value: Any, pattern: str) -> str | None:
    """The first text of the value that the pattern finds, or None."""
    regex = _regex(pattern)
    for text in value_texts(value):
        if regex.search(text):
            return text
    return None


# -- Python matchers ----------------------------------------------------------------------

_PY = frozenset({"python"})


def _name_accept(patterns: list[str]) -> Callable[[Any], bool]:
    regex = _names_re(tuple(patterns))

    def accept(name: Any) -> bool:
        return isinstance(name, str) and bool(name) and regex.match(name) is not None

    accept.select = lambda values: regex.select(values, False)  # type: ignore[attr-defined]
    return accept


class ImportParams(Params):
    """An import of a module or name (a pattern also matches names below it: ``structlog``
    matches ``structlog.get_logger``)."""

    name: list[str]
    _n = field_validator("name", mode="before")(_names)


def match_import(p: ImportParams, index: FactIndex) -> list[Hit]:
    hits = []
    accept = _below_accept(p.name, ".", empty=True)
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
    not_kwarg: dict[str, Regex] = Field(default_factory=dict, description="keyword -> value regex that must not match")
    min_args: int = Field(default=0, description="at least this many positional arguments")
    receiver: list[str] = Field(
        default_factory=list,
        description="globs: a method call counts only when its receiver is known to be one of these "
                    "(the callee it was built from or its parameter annotation, else its text)")
    not_receiver: list[str] = Field(
        default_factory=list,
        description="globs: a method call does not count when its receiver is one of these "
                    "(same reading as receiver)")
    _n = field_validator("name", "kwargs", "receiver", "not_receiver", mode="before")(_names)


def _receiver_is(fact: Fact, patterns: list[str]) -> bool:
    """Whether a method call's receiver (its known builder, else its text) matches a glob."""
    known = fact.get("recv")
    if known is None:
        name = fact["name"]
        if "." not in name:
            return False
        known = name.rsplit(".", 1)[0]
    return name_matches(known, patterns)


def _call_like(p: CallParams, fact: Fact) -> str | None:
    """The hit's key when the call's arguments satisfy ``p`` (its name has matched already)."""
    key = fact["name"]
    if p.receiver and not _receiver_is(fact, p.receiver):
        return None
    if p.not_receiver and _receiver_is(fact, p.not_receiver):
        return None
    kw = fact.get("kw", {})
    if p.kwargs:
        present = [k for pat in p.kwargs for k in kw if fnmatchcase(k, pat)]
        if not present:
            return None
        key = present[0]
    for name, pattern in p.kwarg.items():
        if name not in kw:
            return None
        found = value_matches(kw[name], pattern)
        if found is None:
            return None
        key = found
    for name, pattern in p.not_kwarg.items():
        if name in kw and value_matches(kw[name], pattern) is not None:
            return None
    if len(fact.get("args", [])) < p.min_args:
        return None
    if p.arg is not None:
        found = next((t for a in fact.get("args", []) if (t := value_matches(a, p.arg)) is not None), None)
        if found is None:
            return None
        key = found
    if p.first_arg is not None:
        args = fact.get("args", [])
        found = value_matches(args[0], p.first_arg) if args else None
        if found is None:
            return None
        key = found
    return key


def match_call(p: CallParams, index: FactIndex) -> list[Hit]:
    hits = []
    for file, fact in index.facts_where("call", "name", _name_accept(p.name), p.roles(), _PY):
        key = _call_like(p, fact)
        if key is not None:
            hits.append(Hit(file.path, fact["line"], key, fact["scope"]))
    return hits


class DecoratorParams(CallParams):
    """A decorator (``@app.get("/health")``, ``@retry(wait=...)``) on a function or class."""

    target: Regex | None = Field(default=None, description="regex on the decorated name")


def match_decorator(p: DecoratorParams, index: FactIndex) -> list[Hit]:
    hits = []
    for file, fact in index.facts_where("decorator", "name", _name_accept(p.name), p.roles(), _PY):
        if p.target and not _regex(p.target).search(fact["target"]):
            continue
        key = _call_like(p, fact)
        if key is not None:
            hits.append(Hit(file.path, fact["line"], key, fact["scope"]))
    return hits


class FunctionParams(Params):
    """A function definition by name, shape, parameters or decorators."""

    name: Regex | None = Field(default=None, description="regex, full match")
    is_async: bool | None = Field(default=None, alias="async")
    yields: bool | None = None
    decorator: list[str] = Field(default_factory=list)
    param_name: Regex | None = Field(default=None, description="regex, full match on a parameter name")
    param_ann: list[str] = Field(default_factory=list, description="globs on names in a parameter annotation")
    param_default: list[str] = Field(default_factory=list, description="globs on a parameter default's callee")
    returns: list[str] = Field(default_factory=list)
    _n = field_validator("decorator", "param_ann", "param_default", "returns", mode="before")(_names)


def match_function(p: FunctionParams, index: FactIndex) -> list[Hit]:
    hits = []
    for file, fact in index.facts("function", p.roles(), frozenset({"python"})):
        if p.name and not _regex(p.name).fullmatch(fact["name"]):
            continue
        if p.is_async is not None and fact["async"] != p.is_async:
            continue
        if p.yields is not None and fact["yields"] != p.yields:
            continue
        if p.decorator and not any(name_matches(d, p.decorator) for d in fact["decorators"]):
            continue
        if p.returns and not any(name_matches(r, p.returns) for r in fact["returns"]):
            continue
        params = fact["params"]
        if p.param_name:
            params = [x for x in params if _regex(p.param_name).fullmatch(x["name"])]
        if p.param_ann:
            params = [x for x in params if any(name_matches(a, p.param_ann) for a in x["ann"])]
        if p.param_default:
            params = [x for x in params if any(name_matches(t.rstrip("()"), p.param_default)
                                               for t in value_texts(x["default"]))]
        if (p.param_name or p.param_ann or p.param_default) and not params:
            continue
        hits.append(Hit(file.path, fact["line"], fact["name"], fact["scope"]))
    return hits


class ClassParams(Params):
    """A class definition by name, bases or decorators."""

    name: Regex | None = Field(default=None, description="regex, full match")
    bases: list[str] = Field(default_factory=list, description="globs, any base matches")
    decorator: list[str] = Field(default_factory=list)
    _n = field_validator("bases", "decorator", mode="before")(_names)


def match_class(p: ClassParams, index: FactIndex) -> list[Hit]:
    hits = []
    for file, fact in index.facts("class", p.roles(), frozenset({"python"})):
        if p.name and not _regex(p.name).fullmatch(fact["name"]):
            continue
        if p.bases and not any(name_matches(b, p.bases) for b in fact["bases"]):
            continue
        if p.decorator and not any(name_matches(d, p.decorator) for d in fact["decorators"]):
            continue
        hits.append(Hit(file.path, fact["line"], fact["name"], fact["scope"]))
    return hits


class ExceptParams(Params):
    """An ``except`` clause by what it catches and what its body does."""

    types: list[str] = Field(default_factory=list, description="globs; '<bare>' for a bare except")
    calls: list[str] = Field(default_factory=list, description="the body calls one of these")
    reraise: bool | None = None
    chained: bool | None = None
    _n = field_validator("types", "calls", mode="before")(_names)


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
    _n = field_validator("name", mode="before")(_names)


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


class WithParams(Params):
    """A ``with``/``async with`` over one of these context managers."""

    name: list[str]
    is_async: bool | None = Field(default=None, alias="async")
    _n = field_validator("name", mode="before")(_names)


def match_with(p: WithParams, index: FactIndex) -> list[Hit]:
    hits = []
    for file, fact in index.facts("with", p.roles(), frozenset({"python"})):
        if p.is_async is not None and fact["async"] != p.is_async:
            continue
        found = next((n for n in fact["names"] if name_matches(n, p.name)), None)
        if found:
            hits.append(Hit(file.path, fact["line"], found, fact["scope"]))
    return hits


class StringParams(Params):
    """A string literal (not a docstring) matching a regex. Text search: use where no name can."""

    pattern: Regex
    fstring: bool | None = None
    variable_field: bool | None = Field(
        default=None,
        description="f-strings only: true = some field is not a constant (UPPER_CASE name or literal)",
    )


_CONSTANT_NAME = re.compile(r"(?:.*\.)?[A-Z][A-Z0-9_]*")


def _has_variable_field(fact: Fact) -> bool:
    return any(not _CONSTANT_NAME.fullmatch(name) for name in fact.get("fields", []))


def _regex_accept(find: Callable[[str], Any]) -> Callable[[Any], bool]:
    """Accepts strings ``find`` (a compiled pattern's search or fullmatch) finds something in;
    ``select`` takes many values at once (see ``FactIndex.facts_where``)."""

    def accept(value: Any) -> bool:
        return isinstance(value, str) and find(value) is not None

    accept.select = lambda values: {v for v in values if isinstance(v, str) and find(v) is not None}  # type: ignore[attr-defined]
    return accept


def match_string(p: StringParams, index: FactIndex) -> list[Hit]:
    regex = _regex(p.pattern)
    hits = []
    accept = _regex_accept(regex.search)
    for file, fact in index.facts_where("string", "value", accept, p.roles(), _PY):
        if p.fstring is not None and bool(fact.get("fstring")) != p.fstring:
            continue
        if p.variable_field is not None:
            variable = bool(fact.get("fstring")) and _has_variable_field(fact)
            if variable != p.variable_field:
                continue
        m = regex.search(fact["value"])
        if m:
            hits.append(Hit(file.path, fact["line"], m.group(0), fact["scope"]))
    return hits


class UsesParams(Params):
    """A use of a resolved name: called, referenced, decorating, subclassed, caught or entered."""

    name: list[str]
    _n = field_validator("name", mode="before")(_names)


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


def match_uses(p: UsesParams, index: FactIndex) -> list[Hit]:
    hits = []
    roles = p.roles()
    ok = _below_accept(p.name, ".(")
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
    _n = field_validator("ann", mode="before")(_names)


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
        return _regex_accept(_regex(pattern).fullmatch)

    def accept(value: Any) -> bool:  # a set lookup: no regex to compile
        return isinstance(value, str) and value in words

    accept.select = lambda values: words.intersection(v for v in values if isinstance(v, str))  # type: ignore[attr-defined]
    return accept


def _value_key(value: Any, pattern: str | None, default: str) -> str | None:
    """The hit's key: the default when no value pattern is asked for, else the matched text."""
    return default if pattern is None else value_matches(value, pattern)


def match_assign(p: AssignParams, index: FactIndex) -> list[Hit]:
    hits = []
    for file, fact in index.facts_where("assign", "target", _fullmatch(p.target), p.roles(), _PY):
        if p.op is not None and fact["op"] != p.op:
            continue
        if p.ann and not any(name_matches(a, p.ann) for a in fact["ann"]):
            continue
        key = _value_key(fact["value"], p.value, fact["target"])
        if key is not None:
            hits.append(Hit(file.path, fact["line"], key, fact["scope"]))
    return hits


class DictKeyParams(Params):
    """A string key in a dict literal (settings dicts such as ``DATABASES``, ``LOGGING``)."""

    key: Regex = Field(description="regex, full match")
    value: Regex | None = None


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
    _n = field_validator("op", mode="before")(_names)


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


class PowerParams(Params):
    """A ``**`` with a non-constant exponent (``2 ** attempt``)."""


def match_power(p: PowerParams, index: FactIndex) -> list[Hit]:
    return [Hit(f.path, x["line"], "**", x["scope"]) for f, x in index.facts("power", p.roles(), frozenset({"python"}))]


# -- config matchers ------------------------------------------------------------------------

class KeyParams(Params):
    """A key in a structured config file (YAML/TOML/JSON), by dotted path glob and value."""

    kind: list[str] = Field(description="compose, workflow, k8s, prometheus, helm, yaml, toml, json")
    path: str = Field(description="dotted path glob: services.*.healthcheck, jobs.*.steps.*.uses")
    value: Regex | None = None
    _n = field_validator("kind", mode="before")(_names)


def match_key(p: KeyParams, index: FactIndex) -> list[Hit]:
    hits = []
    def accept(path: Any) -> bool:
        return isinstance(path, str) and key_matches(path, p.path)

    for file, fact in index.facts_where("key", "path", accept, p.roles(), frozenset(p.kind)):
        if p.file and not path_matches(file.path, p.file):
            continue
        key = fact["path"]
        if p.value is not None:
            if fact["value"] is None:
                continue
            found = value_matches(fact["value"], p.value)
            if found is None:
                continue
            key = found
        hits.append(Hit(file.path, fact["line"], key, f"doc{fact.get('doc', 0)}"))
    return hits


class InstructionParams(Params):
    """A Dockerfile instruction (``FROM``, ``HEALTHCHECK``, ``COPY --from``, ``RUN --mount``)."""

    name: list[str]
    args: Regex | None = Field(default=None, description="regex searched in the arguments")
    flag: str | None = Field(default=None, description="an option such as from, mount")
    flag_value: Regex | None = None
    _n = field_validator("name", mode="before")(_names)


def match_instruction(p: InstructionParams, index: FactIndex) -> list[Hit]:
    names = {n.upper() for n in p.name}
    hits = []
    for file, fact in index.facts("instruction", p.roles(), frozenset({"dockerfile"})):
        if fact["name"] not in names:
            continue
        key = fact["name"]
        if p.args is not None:
            m = _regex(p.args).search(fact["args"])
            if not m:
                continue
            key = m.group(0)
        if p.flag is not None:
            if p.flag not in fact["flags"]:
                continue
            if p.flag_value is not None and not _regex(p.flag_value).search(fact["flags"][p.flag]):
                continue
        hits.append(Hit(file.path, fact["line"], key, f"stage{fact['stage']}"))
    return hits


class TextParams(Params):
    """Text search in non-Python files (Markdown, nginx, ini, Makefile, scripts...). A last
    resort: each use says why no structured matcher fits."""

    kind: list[str] = Field(default_factory=list, description="file kinds; empty = all text kinds")
    pattern: Regex
    ignore_case: bool = False
    _n = field_validator("kind", mode="before")(_names)


def match_text(p: TextParams, index: FactIndex) -> list[Hit]:
    flags = re.M | (re.I if p.ignore_case else 0)
    regex = _flagged_regex(p.pattern, flags)
    kinds = frozenset(p.kind) if p.kind else None
    hits = []
    for file in index.iter_files(p.roles(), kinds):
        if file.text is None or (p.file and not path_matches(file.path, p.file)):
            continue
        text = file.text
        line, counted = 1, 0  # matches come in order: count newlines since the previous one only
        in_file = 0
        for m in regex.finditer(text):
            start = m.start()
            line_start = text.rfind("\n", 0, start) + 1
            line_end = text.find("\n", start)
            line_text = text[line_start:line_end if line_end >= 0 else None]
            if line_text.lstrip().startswith("#") and file.kind not in ("markdown",):
                continue  # commented-out config does not count
            line += text.count("\n", counted, start)
            counted = start
            hits.append(Hit(file.path, line, m.group(0)[:120], ""))
            in_file += 1
            if in_file >= 200:  # per file, so a file's hits never depend on other files
                break
    return hits


class FileParams(Params):
    """A file exists whose path matches a glob (``**/alembic/versions/*.py``)."""

    path: list[str]
    _n = field_validator("path", mode="before")(_names)


def match_file(p: FileParams, index: FactIndex) -> list[Hit]:
    return [Hit(f.path, 1, f.path, "") for f in index.iter_files(p.roles()) if path_matches(f.path, p.path)]


class DependencyParams(Params):
    """A declared dependency (pyproject, requirements*.txt, setup.cfg). Declared only: at most
    partial on its own (ground rule 3)."""

    name: list[str]
    role: list[str] = Field(default_factory=lambda: ["any"])
    _n = field_validator("name", mode="before")(_names)


def match_dependency(p: DependencyParams, index: FactIndex) -> list[Hit]:
    wanted = [n.lower() for n in p.name]
    return [Hit(f.path, x["line"], x["name"], "") for f, x in index.facts("dependency", p.roles())
            if name_matches(x["name"], wanted)]


# -- bandit and radon (evidence from other analysers) ----------------------------------------

BANDIT_LEVELS = {"LOW": 1, "MEDIUM": 2, "HIGH": 3}


class BanditParams(Params):
    """A bandit finding in a runtime Python file (only the checks in ``auditor.facts.bandit``
    run). Usually counter-evidence: ``{bandit: {test: [B105, B106]}}``. ``severity`` and
    ``confidence`` are minimums (LOW, MEDIUM, HIGH). A file bandit could not parse has no
    findings and a scan warning."""

    test: list[str] = Field(default_factory=list, description="bandit test ids (B105); empty = any")
    severity: str = "LOW"
    confidence: str = "LOW"
    not_text: str | None = Field(default=None, description="regex: skip findings whose message matches")
    _n = field_validator("test", mode="before")(_names)

    @field_validator("severity", "confidence")
    @classmethod
    def _level(cls, value: str) -> str:
        if value.upper() not in BANDIT_LEVELS:
            raise ValueError(f"unknown level {value!r} (LOW, MEDIUM, HIGH)")
        return value.upper()


def match_bandit(p: BanditParams, index: FactIndex) -> list[Hit]:
    hits = []
    wanted = {t.upper() for t in p.test}
    for file, fact in index.facts("bandit", p.roles(), frozenset({"python"})):
        if wanted and fact["test_id"] not in wanted:
            continue
        if BANDIT_LEVELS.get(fact["severity"], 0) < BANDIT_LEVELS[p.severity]:
            continue
        if BANDIT_LEVELS.get(fact["confidence"], 0) < BANDIT_LEVELS[p.confidence]:
            continue
        if p.not_text is not None and _regex(p.not_text).search(fact.get("text", "")):
            continue
        hits.append(Hit(file.path, fact["line"], fact["test_id"], fact["scope"]))
    return hits


class RadonParams(Params):
    """Code over a radon limit: functions whose cyclomatic complexity is above ``max_cc``,
    and/or files whose maintainability index is below ``min_mi`` (runtime Python files).
    Use under ``not:`` for "no function is too complex": ``{not: {radon: {max_cc: 20}}}``."""

    max_cc: int | None = Field(default=None, description="hit functions with complexity above this")
    min_mi: float | None = Field(default=None, description="hit files with maintainability index below this")

    @model_validator(mode="after")
    def _one_limit(self) -> RadonParams:
        if self.max_cc is None and self.min_mi is None:
            raise ValueError("radon needs max_cc and/or min_mi")
        return self


def match_radon(p: RadonParams, index: FactIndex) -> list[Hit]:
    hits = []
    if p.max_cc is not None:
        for file, fact in index.facts("radon_cc", p.roles(), frozenset({"python"})):
            if fact["cc"] > p.max_cc:
                hits.append(Hit(file.path, fact["line"], f"{fact['name']} cc={fact['cc']}", fact["scope"]))
    if p.min_mi is not None:
        for file, fact in index.facts("radon_mi", p.roles(), frozenset({"python"})):
            if fact["mi"] < p.min_mi:
                hits.append(Hit(file.path, fact["line"], f"mi={fact['mi']}", fact["scope"]))
    return hits


Matcher = tuple[type[Params], Callable[[Any, FactIndex], list[Hit]]]

MATCHERS: dict[str, Matcher] = {
    "python.import": (ImportParams, match_import),
    "python.call": (CallParams, match_call),
    "python.decorator": (DecoratorParams, match_decorator),
    "python.function": (FunctionParams, match_function),
    "python.class": (ClassParams, match_class),
    "python.except": (ExceptParams, match_except),
    "python.raise": (RaiseParams, match_raise),
    "python.with": (WithParams, match_with),
    "python.string": (StringParams, match_string),
    "python.uses": (UsesParams, match_uses),
    "python.assign": (AssignParams, match_assign),
    "python.dictkey": (DictKeyParams, match_dictkey),
    "python.power": (PowerParams, match_power),
    "python.compare": (CompareParams, match_compare),
    "config.key": (KeyParams, match_key),
    "dockerfile.instruction": (InstructionParams, match_instruction),
    "text.match": (TextParams, match_text),
    "file.exists": (FileParams, match_file),
    "dependency": (DependencyParams, match_dependency),
    "bandit": (BanditParams, match_bandit),
    "radon": (RadonParams, match_radon),
}


def run_matcher(name: str, params: Params, index: FactIndex, raw: list[Hit] | None = None) -> list[Hit]:
    """Run one matcher and apply the common file/min_count/distinct options.

    Every matcher is file-local (a file's hits depend on that file's facts only); ``raw``
    passes hits gathered elsewhere (per file, see ``auditor.leaves``) instead of running it."""
    hits = MATCHERS[name][1](params, index) if raw is None else raw
    if params.file and name not in ("config.key", "text.match"):
        hits = [h for h in hits if path_matches(h.path, params.file)]
    if params.min_count > 1:
        per_file: dict[str, set[int]] = defaultdict(set)
        for h in hits:
            per_file[h.path].add(h.line)
        keep = {path for path, lines in per_file.items() if len(lines) >= params.min_count}
        hits = [h for h in hits if h.path in keep]
    if params.distinct > 1:
        if params.distinct_by is not None:
            by = _regex(params.distinct_by)
            keys = {m.group(0) for h in hits if (m := by.search(h.key)) is not None}
        else:
            keys = {h.key for h in hits}
        if len(keys) < params.distinct:
            hits = []
    return hits

