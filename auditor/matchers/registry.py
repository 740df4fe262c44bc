"""The matcher registry: the options every matcher shares, the ``@matcher`` decorator with which
each matcher registers itself next to its code, and :func:`run_matcher`, which applies the
shared options to a matcher's hits."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from functools import lru_cache
from typing import Any, NamedTuple, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from auditor.matchers.index import FactIndex, Hit
from auditor.matchers.patterns import Regex, compiled_regex, listify, path_matches
from auditor.resources import code_digest

ROLES = ("runtime", "test", "docs", "tooling", "migration", "meta")


class Params(BaseModel):
    """Options shared by every matcher."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    role: list[str] = Field(default_factory=lambda: ["runtime"])
    file: list[str] = Field(default_factory=list)
    min_count: int = 1
    distinct: int = 1
    distinct_by: Regex | None = None
    strength: int | None = Field(
        default=None, ge=0, le=2,
        description="what this condition's hits prove for its rule, overriding the matcher's: 0 the "
                    "decisive line, 1 a definition, 2 presence (evidence cites stronger first)")

    @field_validator("role", "file", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        return listify(value)

    @field_validator("role")
    @classmethod
    def _roles(cls, value: list[str]) -> list[str]:
        for role in value:
            if role not in (*ROLES, "any"):
                raise ValueError(f"unknown role {role!r} ({', '.join(ROLES)}, any)")
        return value

    def roles(self) -> frozenset[str] | None:
        return None if "any" in self.role else frozenset(self.role)


class Matcher(NamedTuple):
    """A registered matcher: its options model and function, the fact types it reads, what its
    hits prove (a practice at work, a definition, or mere presence: imported, declared, a file
    that exists) and whether it applies the ``file`` option itself."""

    params: type[Params]
    run: Callable[[Any, FactIndex], list[Hit]]
    reads: tuple[str, ...]
    presence: bool = False
    definition: bool = False
    own_file_filter: bool = False
    decisive: Callable[[Any], bool] | None = None


MATCHERS: dict[str, Matcher] = {}
"""Every matcher by the name rules use, filled by :func:`matcher` as the matcher modules load."""

M = TypeVar("M", bound=Callable[..., list[Hit]])


def matcher(name: str, params: type[Params], reads: tuple[str, ...] = (), presence: bool = False,
            definition: bool = False, own_file_filter: bool = False,
            decisive: Callable[[Any], bool] | None = None) -> Callable[[M], M]:
    """Register the decorated function as the matcher ``name`` with its options model.

    ``reads``: the fact types (``t``, declared in :mod:`auditor.facts.schema`) it queries;
    ``presence``: its hits show something is there
    (imported, declared), ``definition``: its hits are definitions (a function's or class's first
    line), and both are cited after those of conditions that show the practice at work;
    ``decisive``: given a condition's options, whether its hits then cite the line that does the
    job after all (a definition matcher asked to cite a statement inside the definition);
    ``own_file_filter``: it applies ``file`` itself (to something other than the hit's path)."""

    def register(func: M) -> M:
        if name in MATCHERS:
            raise ValueError(f"matcher {name!r} registered twice")
        MATCHERS[name] = Matcher(params, func, reads, presence, definition, own_file_filter, decisive)
        return func

    return register


def run_matcher(name: str, params: Params, index: FactIndex) -> list[Hit]:
    """Run one matcher over an index and apply the shared options (see :func:`shared_options`)."""
    return shared_options(name, params, MATCHERS[name].run(params, index))


def shared_options(name: str, params: Params, hits: list[Hit]) -> list[Hit]:
    """A matcher's hits after the options every matcher shares: ``file``, ``min_count`` and
    ``distinct``. Every matcher is file-local (a file's hits depend on that file's facts only),
    so ``hits`` may be gathered file by file (see :mod:`auditor.engine.plan`)."""
    if params.file and not MATCHERS[name].own_file_filter:
        hits = [h for h in hits if path_matches(h.path, params.file)]
    if params.min_count > 1:
        per_file: dict[str, set[int]] = defaultdict(set)
        for h in hits:
            per_file[h.path].add(h.line)
        keep = {path for path, lines in per_file.items() if len(lines) >= params.min_count}
        hits = [h for h in hits if h.path in keep]
    if params.distinct > 1:
        if params.distinct_by is not None:
            by = compiled_regex(params.distinct_by)
            keys = {m.group(0) for h in hits if (m := by.search(h.key)) is not None}
        else:
            keys = {h.key for h in hits}
        if len(keys) < params.distinct:
            hits = []
    return hits


@lru_cache(maxsize=1)
def matchers_version() -> str:
    """Changes whenever the matchers or the fact index change (what kept matcher hits depend on)."""
    from auditor import __version__

    return f"{__version__}:{code_digest('matchers/*.py')}"
