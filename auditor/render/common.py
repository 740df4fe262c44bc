"""Helpers the views share: per-section tallies, evidence links, text clean-up. No view logic here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from auditor.model import Evidence, ItemResult, Report

STATUS_LABEL = {
    "implemented": "implemented",
    "partial": "partial",
    "missing": "missing",
    "not_applicable": "not applicable",
}
SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}

# Characters no report carries raw, in any format: C0 and C1 controls (a terminal escape starts
# with ESC or CSI; XML 1.0 cannot carry most of them), bidirectional overrides and isolates
# (they make text read differently from what it is), surrogates and non-characters.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e"
                      "\u2066-\u2069\ud800-\udfff\ufffe\uffff]")
JSON_INVISIBLE = {ord(ch): f"\\u{ord(ch):04x}" for ch in
                  "\x7f\u0080\u0081\u0082\u0083\u0084\u0085\u0086\u0087\u0088\u0089\u008a\u008b\u008c\u008d"
                  "\u008e\u008f\u0090\u0091\u0092\u0093\u0094\u0095\u0096\u0097\u0098\u0099\u009a\u009b\u009c"
                  "\u009d\u009e\u009f\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
                  "\u2028\u2029"}
"""For JSON text: the characters ``_CONTROL`` names that ``json.dumps`` leaves raw, as ``\\uXXXX``
escapes (the data is unchanged; the file shows no bidi override or C1 control)."""
_LINE_BREAKS = re.compile("[\t\n\r\x0b\x0c\x85\u2028\u2029]")


OUTPUT_NAMES = frozenset({".auditor-baseline.yaml"})
"""Files this tool writes under a name of its own (``auditor baseline``): never evidence."""
REPORT_MARK = "<!-- written by checklist-auditor: a report, not evidence -->"
"""Ends every Markdown report, so a report committed into a tree is never read as its evidence."""
_TEXT_SUMMARY = re.compile(rb"^score \d+%  implemented \d+  partial \d+  missing \d+  not applicable \d+  "
                           rb"\(\d+ files\)$", re.MULTILINE)
_JSON_TOOL = b'"tool": {\n    "name": "checklist-auditor"'


def is_report(data: bytes) -> bool:
    """Whether a file's bytes are a report this tool wrote: a Markdown report (its mark), a text
    report (its closing score line) or a JSON report (its tool block). Such a file says what the
    auditor found, not what the service does, so a scan never takes it as evidence."""
    head, tail = data[:4096], data[-4096:]
    return (REPORT_MARK.encode() in tail or REPORT_MARK.encode() in head or _JSON_TOOL in head
            or _TEXT_SUMMARY.search(tail) is not None)


@dataclass(frozen=True)
class SectionTally:
    """Counts for one section, in checklist order."""

    title: str
    slug: str
    implemented: int
    partial: int
    missing: int
    not_applicable: int

    @property
    def applicable(self) -> int:
        return self.implemented + self.partial + self.missing

    @property
    def total(self) -> int:
        return self.applicable + self.not_applicable

    @property
    def score(self) -> float:
        return self.implemented / self.applicable if self.applicable else 0.0


def slugify(text: str) -> str:
    """A stable, markup-safe id for a section title (``API Design`` -> ``api-design``)."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug or "section"


def tallies(report: Report) -> list[SectionTally]:
    """Per-section counts, in checklist order; section slugs are made unique."""
    out: list[SectionTally] = []
    seen: set[str] = set()
    for title, items in report.sections():
        base = slugify(title)
        slug, n = base, 2
        while slug in seen:
            slug, n = f"{base}-{n}", n + 1
        seen.add(slug)
        counts = {s: sum(1 for i in items if i.status == s) for s in STATUS_LABEL}
        out.append(SectionTally(title=title, slug=slug, **counts))
    return out


def evidence_url(link_base: str | None, evidence: Evidence) -> str | None:
    """``link_base`` + path + ``#L`` + line, or None without a base. Only http(s) bases make links."""
    if not link_base or not re.match(r"^https?://", link_base, re.IGNORECASE):
        return None
    base = link_base if link_base.endswith("/") else link_base + "/"
    path = quote(evidence.path.lstrip("/"), safe="/-._~")
    return f"{base}{path}#L{evidence.line}"


def clean(text: str, limit: int | None = None) -> str:
    """Replace control and bidi characters (see ``_CONTROL``) with U+FFFD; keep line breaks and
    tabs; shorten to ``limit`` characters with an ellipsis. Every format's escaping starts here."""
    text = _CONTROL.sub("\ufffd", str(text))
    if limit is not None and len(text) > limit:
        text = text[: max(0, limit - 1)] + "…"
    return text


def clean_line(text: str, limit: int | None = None) -> str:
    """:func:`clean`, on one line: a line break or tab becomes a space (so text from the scanned
    repository cannot start a line of its own in a terminal, a log or a report)."""
    return clean(_LINE_BREAKS.sub(" ", str(text)), limit)


# -- Markdown (GitHub flavour): text from the scanned repository never becomes markup -------------

_MD_ESCAPES = {ord(ch): f"&#{ord(ch)};" for ch in "\\`*_[]|#~!()"}
_MD_ESCAPES.update({ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;", ord('"'): "&quot;", ord("'"): "&#39;"})
_PRE_ESCAPES = {ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;", ord("@"): "&#64;"}
_WORD = re.compile(r"\S+")


def _live(word: str) -> bool:
    """Whether a word is a mention, an e-mail address or a URL (has ``@``, ``://`` or ``www.``)."""
    return "@" in word or "://" in word or "www." in word.lower()


def md_code(text: str, limit: int | None = None) -> str:
    """One line of text as inline code (an HTML ``<code>`` element): shown as written, and never
    markup, a link or an ``@`` mention (GitHub mentions nobody inside code; every character that
    could start a tag, an entity, an autolink or Markdown syntax is an HTML entity)."""
    text = clean_line(text, limit).translate(_MD_ESCAPES).replace("@", "&#64;")
    return f"<code>{text.replace('://', '&#58;//').replace('www.', 'www&#46;')}</code>"


def md_inline(text: str, limit: int | None = None) -> str:
    """One line of text made inert for Markdown: HTML-escaped, Markdown punctuation neutralised,
    and each word with an ``@`` or a URL as inline code (:func:`md_code`), so it cannot mention
    a user or a team or become a link."""
    text = clean_line(text, limit)
    out: list[str] = []
    last = 0
    for found in _WORD.finditer(text):  # word by word: linear in the text, however long a word
        if not _live(found.group(0)):
            continue
        out.append(text[last:found.start()].translate(_MD_ESCAPES))
        out.append(md_code(found.group(0)))
        last = found.end()
    out.append(text[last:].translate(_MD_ESCAPES))
    return "".join(out)


def md_block(text: str) -> str:
    """Several lines of text (a remediation) as inert Markdown: prose lines escaped as by
    :func:`md_inline`, blank lines kept, and code (indented runs, see :func:`fence_code`, and
    fenced blocks) as ``<pre>`` blocks (an HTML block: Markdown leaves it alone, GitHub mentions
    and links nobody inside it)."""
    out: list[str] = []
    code: list[str] = []

    def flush() -> None:
        while code and not code[-1].strip():
            code.pop()
        if code:  # a <pre> block: HTML-escaped, so no line of it can close or open a tag
            body = "\n".join(line.translate(_PRE_ESCAPES) for line in code)
            out.extend([*([""] if out and out[-1] else []), f"<pre><code>{body}</code></pre>", ""])
            code.clear()

    fence: list[str] | None = None  # inside a fenced block: its info string, then its lines
    for line in fence_code(clean(text)).strip("\n").splitlines():
        if fence is not None:
            if _FENCE_LINE.match(line):
                code.extend(fence[1:])
                flush()
                fence = None
            else:
                fence.append(line)
            continue
        if _FENCE_LINE.match(line) and not code:
            fence = [line]
            continue
        if line.startswith(("    ", "\t")) and (code or not out or not out[-1]):
            code.append(line[4:] if line.startswith("    ") else line[1:])
            continue
        if code and not line.strip():
            code.append("")
            continue
        flush()
        out.append(md_inline(line) if line.strip() else "")
    flush()
    if fence is not None:  # never closed: still code, never prose
        code.extend(fence[1:])
        flush()
    return "\n".join(out).strip("\n")


def ordered_problems(report: Report) -> list[ItemResult]:
    """Missing and partial items, most severe and missing first, then checklist order."""
    problems = [i for i in report.items if i.status in ("missing", "partial")]
    index = {id(item): n for n, item in enumerate(report.items)}
    return sorted(problems, key=lambda i: (SEVERITY_ORDER.get(i.severity, 9), i.status != "missing", index[id(i)]))


_FENCE_LINE = re.compile(r"^\s*```")


def fence_code(text: str) -> str:
    """Remediation text with every indented code run (two spaces or more, with or without a blank
    line before it) turned into a fenced block, so Markdown and HTML both show it as code."""
    lines = text.strip("\n").splitlines()
    out: list[str] = []
    i = 0
    in_fence = False
    while i < len(lines):
        line = lines[i]
        if _FENCE_LINE.match(line):
            in_fence = not in_fence
            out.append(line)
            i += 1
            continue
        if in_fence or not line.startswith("  ") or not line.strip():
            out.append(line)
            i += 1
            continue
        run: list[str] = []
        while i < len(lines) and (lines[i].startswith("  ") or (not lines[i].strip() and i + 1 < len(lines)
                                                                and lines[i + 1].startswith("  "))):
            run.append(lines[i])
            i += 1
        indent = min(len(r) - len(r.lstrip(" ")) for r in run if r.strip())
        while out and not out[-1].strip():
            out.pop()
        body = [r[indent:] for r in run]
        longest = max((len(m) for r in body for m in re.findall(r"`+", r)), default=0)
        fence = "`" * max(3, longest + 1)
        out += ["", fence, *body, fence, ""]
    while out and not out[-1].strip():
        out.pop()
    return "\n".join(out)
