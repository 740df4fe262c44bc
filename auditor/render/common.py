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

# Characters XML 1.0 cannot carry at all (and that have no business in a report).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


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
    """Drop control characters; shorten to ``limit`` characters with an ellipsis."""
    text = _CONTROL.sub("\ufffd", text)
    if limit is not None and len(text) > limit:
        text = text[: max(0, limit - 1)] + "…"
    return text


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
