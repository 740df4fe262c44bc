"""CallParams options added for configuration rules: ``min_args`` and glob ``kwargs``."""

from __future__ import annotations

from auditor.facts import FileFacts
from auditor.facts.python import extract_python
from auditor.matchers.index import FactIndex
from auditor.matchers.python import CallParams, match_call


def _index(source: str) -> FactIndex:
    facts = extract_python(source.encode())
    return FactIndex([FileFacts(path="app/settings.py", kind="python", role="runtime", facts=facts)])


def test_min_args_counts_positional_arguments() -> None:
    index = _index('import os\nA = os.getenv("A")\nB = os.getenv("B", "x")\nC = os.environ.get("C", 1)\n')
    p = CallParams(name=["os.getenv", "os.environ.get"], min_args=2)
    assert [h.line for h in match_call(p, index)] == [3, 4]
    assert len(match_call(CallParams(name=["os.getenv"]), index)) == 2


def test_kwargs_are_globs() -> None:
    index = _index("import environ\nenv = environ.Env(DEBUG=(bool, False))\nplain = environ.Env()\n")
    hits = match_call(CallParams(name=["environ.Env"], kwargs=["*"]), index)
    assert [(h.line, h.key) for h in hits] == [(2, "DEBUG")]
    assert [h.line for h in match_call(CallParams(name=["environ.Env"], kwargs=["DEBUG"]), index)] == [2]
    assert match_call(CallParams(name=["environ.Env"], kwargs=["SECRET*"]), index) == []
