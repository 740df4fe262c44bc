"""The ``python.middleware_metrics`` matcher: per-request metrics recorded by hand in HTTP middleware.

A team that does not use an exporter library often writes the middleware itself: a function
or class registered as HTTP middleware that counts each request and times it. The matcher
finds, in one file, the code registered as middleware and the metric recordings inside it:

- FastAPI/Starlette: ``@app.middleware("http")`` functions; classes passed to
  ``app.add_middleware(...)``, ``BaseHTTPMiddleware`` subclasses and pure ASGI middleware
  (``__call__(self, scope, receive, send)``);
- Flask: ``@app.before_request``/``after_request``/``teardown_request`` functions (or the same
  hooks called with the function, ``app.before_request(fn)``);
- Django: middleware factories and classes (a ``get_response`` parameter) and
  ``MiddlewareMixin`` subclasses.

A hit is a recording call inside such a function or one of such a class's methods: a
Prometheus metric's ``.inc()``/``.observe()``/``.labels(...).inc()``/``.time()``, statsd
``timing``/``incr``, OpenTelemetry ``record``, or any metrics client the service wraps itself
(``provider.counter("http.requests", tags=...)``, ``metrics.timer(...)``, ``.gauge(...)``): in
code that runs for every request, a call named like a metric kind is a recording, whatever
object receives it. Calls into the standard library's clocks and counters are not recordings.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from pydantic import Field, field_validator

from auditor.facts import Fact
from auditor.matchers.index import FactIndex, Hit
from auditor.matchers.patterns import glob_set, listify
from auditor.matchers.registry import Params, matcher

_PY = frozenset({"python"})

DECORATOR_HOOKS = ("*.before_request", "*.after_request", "*.teardown_request", "*.before_app_request",
                   "*.after_app_request")
"""Decorators (and calls) that register a function as a per-request hook (Flask and blueprints)."""
REGISTERING_CALLS = ("*.add_middleware", *DECORATOR_HOOKS)
"""Calls whose first argument is registered as HTTP middleware."""
MIDDLEWARE_BASES = ("*.BaseHTTPMiddleware", "*.MiddlewareMixin")
"""Base classes that make a class HTTP middleware."""
DEFAULT_RECORDS = ("*.inc", "*.observe", "*.labels().inc", "*.labels().observe", "*.time", "*.labels().time",
                   "*.timing", "*.incr", "*.increment", "*.histogram", "*.distribution", "*.record",
                   "*.counter", "*.timer", "*.gauge", "*.labels().set")
"""Recording calls: Prometheus, statsd and OpenTelemetry methods, and the metric kinds of a
metrics client the service wraps itself (``counter``, ``timer``, ``gauge``)."""
NOT_RECORDS = ("time.*", "datetime.*", "asyncio.*", "*loop.time", "*loop().time", "collections.*", "itertools.*",
               "threading.*")
"""Clock readings and standard-library objects whose names look like recordings (``time.time``,
``loop.time``, ``threading.Timer``)."""


class MiddlewareMetricsParams(Params):
    """A metric recorded for each request inside code registered as HTTP middleware (FastAPI/Starlette
    ``@app.middleware("http")``, ``add_middleware``, ``BaseHTTPMiddleware``, ASGI middleware; Flask
    ``before_request``/``after_request``; Django middleware): ``REQUESTS.inc()``, ``LATENCY.observe(...)``,
    ``with LATENCY.time():``, or the service's own metrics client (``provider.counter(...)``,
    ``provider.timer(...)``)."""

    records: list[str] = Field(default_factory=lambda: list(DEFAULT_RECORDS),
                               description="globs on the recording call (receiver text and method)")
    ignore: list[str] = Field(default_factory=lambda: list(NOT_RECORDS),
                              description="globs on calls that are never recordings")
    _n = field_validator("records", "ignore", mode="before")(listify)


def _local_name(value: Any) -> str | None:
    """The name a registering call passes (``add_middleware(Timing)``), when it is a plain name."""
    if isinstance(value, dict) and set(value) == {"ref"} and isinstance(value["ref"], str):
        return value["ref"].rsplit(".", 1)[-1]
    return None


def _middleware_scopes(facts: list[tuple[str, Fact]]) -> set[str]:
    """The scopes (functions, classes) of one file that are registered as HTTP middleware."""
    hooks = glob_set(DECORATOR_HOOKS)
    registering = glob_set(REGISTERING_CALLS)
    bases = glob_set(MIDDLEWARE_BASES)
    scopes: set[str] = set()
    named: set[str] = set()
    defined: dict[str, str] = {}
    for t, fact in facts:
        if t == "decorator":
            name = fact["name"]
            if (name.endswith(".middleware") and fact["args"][:1] == ["http"]) or hooks.match(name):
                scopes.add(fact["scope"])
        elif t == "call" and registering.match(fact["name"]) and fact["args"]:
            local = _local_name(fact["args"][0])
            if local is not None:
                named.add(local)
        elif t == "class":
            defined.setdefault(fact["name"], fact["scope"])
            if any(bases.match(base) for base in fact["bases"] if isinstance(base, str)):
                scopes.add(fact["scope"])
        elif t == "function":
            defined.setdefault(fact["name"], fact["scope"])
            params = [p["name"] for p in fact["params"]]
            if "get_response" in params:  # a Django middleware factory, or a class's __init__
                scopes.add(fact["scope"].rsplit(".", 1)[0] if fact["name"] == "__init__" else fact["scope"])
            elif fact["name"] == "__call__" and params[-3:] == ["scope", "receive", "send"]:
                scopes.add(fact["scope"].rsplit(".", 1)[0])
    scopes.update(defined[name] for name in named if name in defined)
    return scopes


def _inside(scope: str, scopes: set[str]) -> bool:
    """Whether a scope is one of these functions or classes, or nested in one."""
    return any(scope == s or scope.startswith(s + ".") for s in scopes)


@matcher("python.middleware_metrics", MiddlewareMetricsParams, reads=("decorator", "call", "class", "function"))
def match_middleware_metrics(p: MiddlewareMetricsParams, index: FactIndex) -> list[Hit]:
    roles = p.roles()
    by_file: dict[str, list[tuple[str, Fact]]] = defaultdict(list)
    for t in ("decorator", "call", "class", "function"):
        for file, fact in index.facts(t, roles, _PY):
            by_file[file.path].append((t, fact))
    records = glob_set(tuple(p.records))
    ignore = glob_set(tuple(p.ignore))
    hits = []
    for path in sorted(by_file):
        facts = by_file[path]
        scopes = _middleware_scopes(facts)
        if not scopes:
            continue
        found = [Hit(path, fact["line"], fact["name"], fact["scope"]) for t, fact in facts
                 if t == "call" and records.match(fact["name"]) and not ignore.match(fact["name"])
                 and _inside(fact["scope"], scopes)]
        hits.extend(sorted(found, key=lambda h: (h.line, h.key)))
    return hits
