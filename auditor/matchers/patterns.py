"""Pattern machinery shared by the matchers: regexes compiled once, segment globs over paths and
dotted names, fnmatch glob sets tested as set and prefix/suffix lookups, and value texts.

Patterns in rule files other than the bundled ones (a project's own, or ``--rules``) are
matched by RE2, in time linear in the text, so no pattern can make a scan hang on a file:
RE2 has no look-arounds or back-references, and a pattern that uses them is a config error.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from typing import Annotated, Any, cast

from pydantic import AfterValidator, ValidationInfo


class LinearPattern(str):
    """A regular expression from a rule file outside the bundled set (the scanned repository's
    or the user's). It is matched by RE2, whose time is linear in the text, so no pattern can
    make a scan hang; RE2 has no look-arounds or back-references, and such a pattern is refused
    when its file is loaded. Bundled patterns are plain ``str`` and use :mod:`re`."""

    __slots__ = ()


class _Linear:
    """An RE2 pattern with the ``re.Pattern`` methods the matchers use. Text with lone
    surrogates (undecodable bytes kept by ``surrogateescape``) is matched with each replaced by
    ``?``, which keeps every offset."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        import re2  # here: only rule files from outside the bundled set and many-wildcard globs load it

        inline = "".join(c for f, c in ((re.I, "i"), (re.M, "m"), (re.S, "s")) if flags & f)
        options = re2.Options()
        options.log_errors = False  # a refused pattern is our one-line error, not RE2's log
        self.pattern = pattern
        self._regex = re2.compile(f"(?{inline}){pattern}" if inline else pattern, options)

    @staticmethod
    def _text(text: str) -> str:
        if text.isascii():
            return text
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return text.encode("utf-8", "replace").decode("utf-8")
        return text

    def search(self, text: str) -> Any:
        return self._regex.search(self._text(text))

    def match(self, text: str) -> Any:
        return self._regex.match(self._text(text))

    def fullmatch(self, text: str) -> Any:
        return self._regex.fullmatch(self._text(text))

    def finditer(self, text: str) -> Iterator[Any]:
        return self._regex.finditer(self._text(text))


@lru_cache(maxsize=4096)
def _re_regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


@lru_cache(maxsize=1024)
def _linear_regex(pattern: str, flags: int) -> _Linear:
    return _Linear(pattern, flags)


@lru_cache(maxsize=1024)
def _re_flagged_regex(pattern: str, flags: int) -> re.Pattern[str]:
    return re.compile(pattern, flags)


def compiled_regex(pattern: str) -> re.Pattern[str]:
    """Compiled once per process: rule loading compiles each pattern to check it, matchers reuse it
    (and worker processes forked after loading inherit it). A :class:`LinearPattern` gets RE2."""
    if type(pattern) is LinearPattern:
        return cast("re.Pattern[str]", _linear_regex(str(pattern), 0))
    return _re_regex(pattern)


def flagged_regex(pattern: str, flags: int) -> re.Pattern[str]:
    if type(pattern) is LinearPattern:
        return cast("re.Pattern[str]", _linear_regex(str(pattern), flags))
    return _re_flagged_regex(pattern, flags)


LINEAR_CONTEXT = "linear_patterns"
"""Validation context key: when true, every regex field becomes a :class:`LinearPattern`."""


def _check_regex(value: str, info: ValidationInfo) -> str:
    if info.context and info.context.get(LINEAR_CONTEXT):
        try:
            _linear_regex(value, 0)
        except Exception as exc:  # re2.error; the module is imported on first use
            detail = str(exc).strip("b'\"")
            raise ValueError(f"regular expression {value!r} is not supported in rule files outside the bundled "
                             f"set, which are matched in linear time (RE2: {detail}; no look-arounds or "
                             "back-references)") from None
        return LinearPattern(value)
    try:
        _re_regex(value)
    except re.error as exc:
        raise ValueError(f"invalid regular expression {value!r}: {exc}") from None
    return value


def linear(params: Any) -> bool:
    """Whether a matcher's parameters hold a pattern matched by RE2 (see :class:`LinearPattern`)."""
    for value in params.__dict__.values():
        if type(value) is LinearPattern:
            return True
        if isinstance(value, dict) and any(type(v) is LinearPattern for v in value.values()):
            return True
    return False


Regex = Annotated[str, AfterValidator(_check_regex)]


def listify(value: Any) -> Any:
    """A single value or None as a list (options accept one pattern or several)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return value


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
    if sum(part.endswith("*") for part in out) > 1:
        # two wildcards or more: a backtracking engine can take time exponential in the name
        # (``*a*a*a*a*a*a*a*a*a*a*a*a*y`` on a long path that almost matches took minutes); RE2 is linear
        return cast("re.Pattern[str]", _linear_regex("".join(out) + r"\z", 0))
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
def glob_set(patterns: tuple[str, ...]) -> _GlobSet:
    """The glob set for a list of fnmatch globs (same meaning as ``fnmatchcase`` on each)."""
    return _GlobSet(patterns)


def name_matches(name: str | None, patterns: Iterable[str]) -> bool:
    if not name:
        return False
    return glob_set(tuple(patterns)).match(name) is not None


@lru_cache(maxsize=4096)
def _below_re(patterns: tuple[str, ...], separators: str) -> _GlobSet:
    """A glob's match, or a name that starts with a pattern and one of ``separators``."""
    return _GlobSet(patterns, separators)


def below_accept(patterns: list[str], separators: str, empty: bool = False) -> Callable[[Any], bool]:
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
    regex = compiled_regex(pattern)
    for text in value_texts(value):
        if regex.search(text):
            return text
    return None

