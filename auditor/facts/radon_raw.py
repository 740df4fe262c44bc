"""Radon's raw metrics (``radon.raw.analyze``) in one tokenize pass over the whole file.

``radon.raw.analyze`` re-tokenizes every statement on its own, and a statement spanning n
lines n times over, which made it three quarters of the time spent on radon. This gives the
same numbers (loc, lloc, sloc, comments, multi, blank, single_comments), radon's quirks
included (any ``:`` outside the end of a statement, such as a dict's or a slice's, makes it
two logical lines), from the one token stream. Whenever the single pass could disagree with
radon (line breaks that ``str.splitlines`` and the tokenizer see differently, error tokens,
a tokenizer failure, a line count that does not add up) it returns radon's own result.
The tests compare both on every Python file of this repository and on targeted snippets.
"""

from __future__ import annotations

import io
import tokenize

from radon.raw import Module, analyze

# str.splitlines() breaks lines on these too; the tokenizer does not
_OTHER_BREAKS = ("\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")
_COMMENT, _NL, _NEWLINE, _OP, _STRING = tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.OP, tokenize.STRING
_SKIPPED = frozenset({tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING, tokenize.ENDMARKER})


def _has_other_breaks(text: str) -> bool:
    if not any(c in text for c in _OTHER_BREAKS):
        return False
    text = text.replace("\r\n", "\n")
    return any(c in text for c in _OTHER_BREAKS)


def raw_metrics(text: str) -> Module:
    """``radon.raw.analyze(text)``, computed in one pass; raises SyntaxError where radon does."""
    if _has_other_breaks(text):
        return analyze(text)
    lines = text.splitlines()
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return analyze(text)
    lloc = comments = single = multi = blank = sloc = 0
    depth = 0
    start = 1          # first row of the current statement (radon's group of lines)
    first = -1         # type of the statement's first token
    alone = True       # nothing but newlines follows that first token
    count = 0          # tokens of the current ';'-separated part, comments and newlines left out
    colon = -1         # position of the part's last ':' among those tokens
    for tok in tokens:
        kind = tok[0]
        if kind in _SKIPPED:
            continue
        if kind == tokenize.ERRORTOKEN:
            return analyze(text)
        if first == -1:
            first = kind
        elif kind != _NL and kind != _NEWLINE:
            alone = False
        if kind == _COMMENT:
            comments += 1
            continue
        if kind == _OP:
            value = tok[1]
            if value == ";":  # radon: a part before ';' has no end marker after it
                lloc += (2 - (colon == count - 2)) if colon >= 0 else (1 if count else 0)
                count, colon = 0, -1
                continue
            if value == ":":
                colon = count
            elif value in "([{":
                depth += 1
            elif value in ")]}":
                depth -= 1
        if kind == _NEWLINE or (kind == _NL and depth <= 0):
            end = tok[2][0]
            rows = lines[start - 1:end]
            if first == _COMMENT and alone:
                single += 1
            elif first == _STRING and alone:
                if end == start:
                    single += 1
                else:  # a docstring: its lines count as multi, its empty lines as blank
                    filled = sum(1 for row in rows if row.strip())
                    multi += filled
                    blank += len(rows) - filled
            else:
                filled = sum(1 for row in rows if row.strip())
                sloc += filled
                blank += len(rows) - filled
            # the last part is followed by radon's end marker: a ':' right before it is one line
            lloc += (2 - (colon == count - 1)) if colon >= 0 else (1 if count else 0)
            count, colon, first, alone, start = 0, -1, -1, True, end + 1
            continue
        if kind != _NL:
            count += 1
    if first != -1:
        return analyze(text)
    for row in lines[start - 1:]:  # rows after the last token: trailing whitespace
        if row.strip():
            return analyze(text)
        blank += 1
    result = Module(sloc + blank + multi + single, lloc, sloc, comments, multi, blank, single)
    return result if result.loc == len(lines) else analyze(text)
