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

Patterns in rule files other than the bundled ones (a project's own, or ``--rules``) are
matched by RE2, in time linear in the text, so no pattern can make a scan hang on a file:
RE2 has no look-arounds or back-references, and a pattern that uses them is a config error.
"""

from __future__ import annotations

import importlib
import pkgutil

from auditor.matchers.registry import (
    MATCHERS,
    Matcher,
    Params,
    matcher,
    matchers_version,
    run_matcher,
    shared_options,
)

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_module}")  # each matcher module registers its matchers

__all__ = ["MATCHERS", "Matcher", "Params", "matcher", "matchers_version", "run_matcher", "shared_options"]
