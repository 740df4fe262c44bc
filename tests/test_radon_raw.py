"""The one-pass raw metrics give radon.raw.analyze's numbers, quirks included."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from radon.raw import analyze

from auditor.facts.radon_raw import raw_metrics

REPO = Path(__file__).resolve().parent.parent

SNIPPETS = {
    "empty": "",
    "blank lines": "\n\n\n",
    "trailing spaces": "x = 1\n   \n  ",
    "no final newline": "x = 1",
    "comments": "# one\nx = 1  # two\n\n    # three\n",
    "docstrings": '"""Module.\n\nMore.\n"""\n\n\ndef f():\n    """One line."""\n    return 1\n',
    "dict and slice colons": "d = {1: 2}\ny = a[1:2]\nz = a[::2]\n",
    "semicolons": "a = 1; b = 2\nif x: y; z\nif x: y = {1: 2}; w\nfor i in r: pass; q = 1\n",
    "compound headers": "if a:\n    pass\nelif b: c()\nelse:\n    d()\ntry: 1/0\nexcept E: pass\n",
    "brackets over lines": "x = f(\n    1,\n\n    # inside\n    2,\n)\n",
    "backslash": "x = 1 + \\\n    2\n",
    "multi-line string in code": 'x = """a\n\nb"""\ny = f("""\n  q\n""")\n',
    "lambda and annotations": "f = lambda x: x\nn: int = 1\ndef g(a: int, b: str = 'x') -> None: ...\n",
    "walrus": "if (n := len(a)) > 10:\n    pass\n",
    "decorators and classes": "@dec(a=1)\nclass A(B):\n    x: int\n    def m(self): return {'k': 1}\n",
    "form feed": "x = 1\n\x0c\ny = 2\n",
    "carriage returns": "x = 1\r\ny = 2\r\n",
    "crlf": "x = 1\r\ny = {1: 2}\r\n",
    "error token": "x = 1 $ 2\n",
    "f-strings": "s = f'{a!r:>10}'\nt = f\"\"\"\n{b}\n\"\"\"\n",
    "match": "match x:\n    case {'a': 1}:\n        pass\n    case _: pass\n",
}


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_snippets_agree_with_radon(name: str) -> None:
    text = SNIPPETS[name]
    try:
        expected = analyze(text)
    except SyntaxError:
        with pytest.raises(SyntaxError):
            raw_metrics(text)
        return
    assert raw_metrics(text) == expected


@pytest.mark.slow  # the whole repository
def test_every_python_file_of_this_repository_agrees_with_radon() -> None:
    paths = sorted(p for top in ("auditor", "tests", "fixtures", "benchmarks")
                   for p in (REPO / top).rglob("*.py"))
    assert len(paths) > 100
    differ = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        if raw_metrics(text) != analyze(text):
            differ.append(str(path.relative_to(REPO)))
    assert differ == []


def test_unterminated_statement_fails_as_radon_does() -> None:
    with pytest.raises(SyntaxError):
        analyze("x = (1,\n")
    with pytest.raises(SyntaxError):
        raw_metrics("x = (1,\n")


CORPUS = Path(os.environ.get("AUDITOR_CORPUS", "/tmp/corpus"))


@pytest.mark.slow
@pytest.mark.skipif(not CORPUS.is_dir(), reason="no labelled corpus trees (set AUDITOR_CORPUS)")
def test_every_python_file_of_the_corpus_agrees_with_radon() -> None:
    """The one-pass metrics stay only while they equal radon's on real repositories."""
    checked = 0
    differ = []
    for path in sorted(CORPUS.rglob("*.py")):
        try:
            text = path.read_text(encoding="utf-8")
            expected = analyze(text)
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
            continue  # radon itself cannot read it: the extractor warns instead
        checked += 1
        if raw_metrics(text) != expected:
            differ.append(str(path.relative_to(CORPUS)))
    assert checked > 1000
    assert differ == []
