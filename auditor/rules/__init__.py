"""Checklist and rule files: the schema, loading with file:line:col errors, and condition trees.

A checklist (``checklist.yaml``) lists sections and items; each item names a rule. Rule files
(``rules/*.yaml``) define named ``conditions`` and ``rules``. A condition is one of

- ``{any: [cond, ...]}`` - some child holds; evidence is every holding child's hits;
- ``{all: [cond, ...], within: repo|file|scope|line}`` - every child holds (in one file, in one
  function/class scope, or on one source line, when ``within`` says so);
- ``{not: cond}`` - the child does not hold;
- ``{ref: name}`` - a named condition from any loaded rule file;
- ``{MATCHER: {params}}`` - a leaf matcher from ``auditor.matchers.MATCHERS``.

Nothing in these files is evaluated as code. Conditions and refs nest at most ``MAX_CONDITION_DEPTH`` deep.
"""
