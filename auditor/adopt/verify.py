"""``auditor verify``: check a hand-kept status document (the seed's Markdown format) against a scan.

The document is a Markdown file with ``## Section`` headings and ``- [x] Title`` lines. Each line
is matched to a checklist item (exact title within its section first, then tolerant matching for
reworded lines: difflib ratio and token overlap), and its tick is compared with the item's
verdict. A ticked line whose item is not implemented is a false claim; an unticked line whose item
is implemented is an unclaimed item. ``fix_document`` rewrites only the tick characters.

Parsing never raises on arbitrary text; only a document with no checklist lines at all is an
``AuditorError``.
"""

from __future__ import annotations

import difflib
import html
import re
from dataclasses import dataclass, field

from auditor.errors import AuditorError
from auditor.model import ItemResult, Report

_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")
_CHECK = re.compile(r"^([ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+\[)([ xX])(\][ \t]+)(.*?)[ \t]*$")
_WORD = re.compile(r"[a-z0-9]+")
# Words that say little about which item a line means.
_STOP = frozenset("a an and the of for to with in on by using use usage proper implement implementation add "
                  "all per".split())
MIN_SCORE = 0.6


@dataclass
class DocLine:
    """One checklist line of the document."""

    number: int  # 1-based line number
    section: str  # the heading above it ("" when none)
    title: str
    ticked: bool
    tick_offset: int  # character offset of the tick in the line


@dataclass
class Match:
    """A document line and the checklist item it was matched to."""

    line: DocLine
    item: ItemResult
    how: str  # "exact" or "fuzzy"
    score: float


@dataclass
class Claim:
    """A line whose tick the code contradicts."""

    match: Match
    kind: str  # "false-claim" (ticked, not implemented) or "unclaimed" (unticked, implemented)


@dataclass
class Verification:
    """The outcome of checking a document against a report."""

    lines: list[DocLine]
    matches: list[Match]
    unmatched: list[DocLine]
    duplicates: list[DocLine]
    not_in_document: list[ItemResult]
    claims: list[Claim] = field(default_factory=list)

    @property
    def false_claims(self) -> list[Claim]:
        return [c for c in self.claims if c.kind == "false-claim"]

    @property
    def unclaimed(self) -> list[Claim]:
        return [c for c in self.claims if c.kind == "unclaimed"]


def _split_lines(text: str) -> list[str]:
    # Keep line endings so a rewrite is byte-identical except for the ticks.
    return text.splitlines(keepends=True)


def _strip_eol(line: str) -> str:
    return line.rstrip("\r\n")


def parse_document(text: str) -> list[DocLine]:
    """The checklist lines of a status document, with the heading each falls under.

    Lines inside fenced code blocks are ignored. The first level-1 heading is the document title,
    not a section. Never raises.
    """
    out: list[DocLine] = []
    section = ""
    fence: str | None = None
    for number, raw in enumerate(_split_lines(text), start=1):
        line = _strip_eol(raw)
        stripped = line.lstrip(" ")
        if fence is not None:
            if stripped.startswith(fence):
                fence = None
            continue
        if stripped.startswith("```") or stripped.startswith("~~~"):
            fence = stripped[:3]
            continue
        heading = _HEADING.match(line)
        if heading:
            if len(heading.group(1)) >= 2:
                section = heading.group(2).strip()
            continue
        check = _CHECK.match(line)
        if check and check.group(4).strip():
            out.append(DocLine(number=number, section=section, title=html.unescape(check.group(4).strip()),
                               ticked=check.group(2) in "xX", tick_offset=len(check.group(1))))
    return out


def _norm(text: str) -> str:
    text = re.sub(r"[`*_~]", "", text.lower())
    return " ".join(_WORD.findall(text))


def _stem(word: str) -> str:
    """A crude stem so that rotating/rotation and logs/log meet."""
    if len(word) > 4:
        for suffix in ("ions", "ion", "ings", "ing", "ed", "es", "s"):
            if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
                word = word[: -len(suffix)]
                break
    return word.rstrip("e") if len(word) > 3 else word


def _tokens(text: str) -> set[str]:
    words = set(_WORD.findall(text.lower()))
    words = (words - _STOP) or words
    return {_stem(w) for w in words}


def similarity(a: str, b: str) -> float:
    """How alike two titles are, 0..1: the better of difflib's ratio and token overlap."""
    na, nb = _norm(a), _norm(b)
    if not na or not nb:
        return 0.0
    if na == nb:
        return 1.0
    ratio = difflib.SequenceMatcher(None, na, nb, autojunk=False).ratio()
    ta, tb = _tokens(a), _tokens(b)
    overlap = len(ta & tb) / max(len(ta), len(tb)) if ta and tb else 0.0
    return max(ratio, overlap)


def _section_of(heading: str, sections: list[str]) -> str | None:
    if not heading:
        return None
    norm = _norm(heading)
    for s in sections:
        if _norm(s) == norm:
            return s
    best = max(sections, key=lambda s: similarity(heading, s), default=None)
    if best is not None and similarity(heading, best) >= MIN_SCORE:
        return best
    return None


def match_lines(lines: list[DocLine], items: list[ItemResult], min_score: float = MIN_SCORE) -> Verification:
    """Match document lines to items: exact title in the line's section, exact title anywhere (if unique),
    then the best fuzzy pairs above ``min_score`` (same-section pairs preferred)."""
    sections = list(dict.fromkeys(i.section for i in items))
    taken: set[str] = set()
    matches: list[Match] = []
    pending: list[DocLine] = []
    duplicates: list[DocLine] = []
    by_title: dict[str, list[ItemResult]] = {}
    for item in items:
        by_title.setdefault(_norm(item.title), []).append(item)
    line_section = {ln.number: _section_of(ln.section, sections) for ln in lines}
    for ln in lines:
        candidates = by_title.get(_norm(ln.title), [])
        sec = line_section[ln.number]
        in_section = [i for i in candidates if i.section == sec]
        chosen = in_section or (candidates if len(candidates) == 1 or sec is None else [])
        free = [i for i in chosen if i.id not in taken]
        if free:
            taken.add(free[0].id)
            matches.append(Match(ln, free[0], "exact", 1.0))
        elif chosen:
            duplicates.append(ln)
        else:
            pending.append(ln)
    scored: list[tuple[float, int, int, DocLine, ItemResult]] = []
    for ln in pending:
        sec = line_section[ln.number]
        for n, item in enumerate(items):
            if item.id in taken:
                continue
            score = similarity(ln.title, item.title)
            if sec is not None and item.section != sec:
                score -= 0.15
            if score >= min_score:
                scored.append((score, -ln.number, -n, ln, item))
    scored.sort(key=lambda t: (t[0], t[1], t[2]), reverse=True)
    used_lines: set[int] = set()
    for score, _, _, ln, item in scored:
        if ln.number in used_lines or item.id in taken:
            continue
        used_lines.add(ln.number)
        taken.add(item.id)
        matches.append(Match(ln, item, "fuzzy", round(score, 3)))
    unmatched = [ln for ln in pending if ln.number not in used_lines]
    matches.sort(key=lambda m: m.line.number)
    not_in_doc = [i for i in items if i.id not in taken]
    return Verification(lines=lines, matches=matches, unmatched=unmatched, duplicates=duplicates,
                        not_in_document=not_in_doc)


def verify_document(text: str, report: Report) -> Verification:
    """Parse, match and compare a status document with a report."""
    lines = parse_document(text)
    if not lines:
        raise AuditorError("no checklist lines ('- [x] Title' or '- [ ] Title') found in the document")
    result = match_lines(lines, report.items)
    for m in result.matches:
        implemented = m.item.status == "implemented"
        if m.line.ticked and not implemented and m.item.status != "not_applicable":
            result.claims.append(Claim(m, "false-claim"))
        elif not m.line.ticked and implemented:
            result.claims.append(Claim(m, "unclaimed"))
    return result


def fix_document(text: str, result: Verification) -> str:
    """The document with each contradicted tick flipped; every other character is kept as it was."""
    flips = {c.match.line.number: c for c in result.claims}
    out = []
    for number, raw in enumerate(_split_lines(text), start=1):
        claim = flips.get(number)
        if claim is not None:
            at = claim.match.line.tick_offset
            mark = " " if claim.kind == "false-claim" else "x"
            raw = raw[:at] + mark + raw[at + 1:]
        out.append(raw)
    return "".join(out)


def render_verification(result: Verification, doc_name: str) -> str:
    """The human-readable outcome: contradictions first, then lines that matched nothing (every
    line through ``clean_line``: the document and the checklist may come from the scanned tree)."""
    from auditor.render.common import clean_line

    out: list[str] = []
    for c in result.false_claims:
        m = c.match
        out.append(f"{doc_name}:{m.line.number}: ticked but {m.item.status.replace('_', ' ')}: "
                   f"{m.item.id} \"{m.line.title}\"")
        if m.item.reason:
            out.append(f"    {m.item.reason}")
        if m.item.evidence:
            ev = m.item.evidence[0]
            out.append(f"    see {ev.path}:{ev.line}")
    for c in result.unclaimed:
        m = c.match
        at = f" ({m.item.evidence[0].path}:{m.item.evidence[0].line})" if m.item.evidence else ""
        out.append(f"{doc_name}:{m.line.number}: unticked but implemented: {m.item.id} \"{m.line.title}\"{at}")
    for m in result.matches:
        if m.how == "fuzzy":
            out.append(f"{doc_name}:{m.line.number}: note: \"{m.line.title}\" read as {m.item.id} "
                       f"\"{m.item.title}\" (similarity {m.score:.2f})")
    for ln in result.unmatched:
        out.append(f"{doc_name}:{ln.number}: unmatched line: \"{ln.title}\" (no checklist item is close)")
    for ln in result.duplicates:
        out.append(f"{doc_name}:{ln.number}: duplicate line: \"{ln.title}\" (its item is already matched)")
    if result.not_in_document:
        out.append(f"items not in the document ({len(result.not_in_document)}):")
        out.extend(f"  {i.id:<28} {i.status.replace('_', ' '):<14} {i.title}" for i in result.not_in_document)
    out.append(f"{len(result.matches)} line(s) matched, {len(result.false_claims)} false claim(s), "
               f"{len(result.unclaimed)} unticked but implemented, {len(result.unmatched)} unmatched")
    return "\n".join(clean_line(line) for line in out) + "\n"
