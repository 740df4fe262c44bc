"""The text ``auditor explain`` prints: what an item counts, its outcomes, remediation and the
rule's examples, or the items of a section."""

from __future__ import annotations

from auditor.render.common import clean
from auditor.rules.schema import Checklist, ItemSpec, SectionSpec


def explain_section(section: SectionSpec) -> str:
    """A section's id, title and items, with how to use the id on the command line."""
    lines = [f"{section.id}: {section.title} ({len(section.items)} items; use the id with --select, "
             f"--ignore and --fail-under {section.id}=SCORE)", ""]
    lines += [f"  {i.id:<28} {i.severity:<8} {i.title}" for i in section.items]
    return "\n".join(lines)


def explain_item(checklist: Checklist, section: SectionSpec, item: ItemSpec) -> str:
    """One item: its section, severity and rule, what each outcome means, how to fix it and the
    rule's examples."""
    rule = checklist.rules[item.rule]
    spec = rule.spec
    out = [
        f"{item.id}: {item.title}",
        f"section:   {section.title} [{section.id}]",
        f"severity:  {item.severity}",
        f"rule:      {rule.id} ({rule.source})",
        "",
        item.description.strip(),
        "",
        f"implemented: {spec.implemented.reason}",
    ]
    if spec.partial is not None:
        out.append(f"partial:     {spec.partial.reason}")
    out.append(f"missing:     {spec.missing.reason}")
    if spec.applies_when is not None:
        out.append(f"n/a:         {spec.applies_when.reason}")
    if spec.text_search:
        out.append(f"text search: {spec.text_search}")
    out += ["", "How to fix:", item.remediation.strip(), ""]
    for example in spec.examples:
        out.append(f"Example ({example.expect}): {example.name}")
        for fname, content in sorted(example.files.items()):
            out.append(f"  --- {fname}")
            out.extend(f"  {line}" for line in content.rstrip("\n").splitlines())
        out.append("")
    return clean("\n".join(out).rstrip("\n"))
