"""Matchers over other analysers' findings: bandit's security checks and radon's complexity."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from auditor.facts.sqlvalues import any_variable, literal_names
from auditor.matchers.index import FactIndex, Hit
from auditor.matchers.patterns import compiled_regex, listify
from auditor.matchers.registry import Params, matcher

BANDIT_LEVELS = {"LOW": 1, "MEDIUM": 2, "HIGH": 3}


class BanditParams(Params):
    """A bandit finding in a runtime Python file (only the checks in ``auditor.facts.bandit``
    run). Usually counter-evidence: ``{bandit: {test: [B105, B106]}}``. ``severity`` and
    ``confidence`` are minimums (LOW, MEDIUM, HIGH). A file bandit could not parse has no
    findings and a scan warning."""

    test: list[str] = Field(default_factory=list, description="bandit test ids (B105); empty = any")
    severity: str = "LOW"
    confidence: str = "LOW"
    not_text: str | None = Field(default=None, description="regex: skip findings whose message matches")
    variable: bool | None = Field(
        default=None,
        description="B608 only: true = some value formatted into the SQL may come from input (it is not a "
                    "constant, a literal, a name the file only ever assigns a literal to, a list of bind "
                    "placeholders, or a table's name read off a model such as _meta.db_table); a finding "
                    "whose formatting is not found counts as variable")
    _n = field_validator("test", mode="before")(listify)

    @field_validator("severity", "confidence")
    @classmethod
    def _level(cls, value: str) -> str:
        if value.upper() not in BANDIT_LEVELS:
            raise ValueError(f"unknown level {value!r} (LOW, MEDIUM, HIGH)")
        return value.upper()


@matcher("bandit", BanditParams, reads=("bandit",))
def match_bandit(p: BanditParams, index: FactIndex) -> list[Hit]:
    hits = []
    literals: dict[str, frozenset[str]] = {}  # per file, read once
    wanted = {t.upper() for t in p.test}
    for file, fact in index.facts("bandit", p.roles(), frozenset({"python"})):
        if wanted and fact["test_id"] not in wanted:
            continue
        if BANDIT_LEVELS.get(fact["severity"], 0) < BANDIT_LEVELS[p.severity]:
            continue
        if BANDIT_LEVELS.get(fact["confidence"], 0) < BANDIT_LEVELS[p.confidence]:
            continue
        if p.not_text is not None and compiled_regex(p.not_text).search(fact.get("text", "")):
            continue
        if p.variable is not None:
            formatted = fact.get("formatted")
            if formatted is not None and file.path not in literals:
                literals[file.path] = literal_names(file.facts)
            if (formatted is None or any_variable(formatted, literals[file.path])) != p.variable:
                continue
        hits.append(Hit(file.path, fact["line"], fact["test_id"], fact["scope"]))
    return hits


class RadonParams(Params):
    """Code over a radon limit: functions whose cyclomatic complexity is above ``max_cc``,
    and/or files whose maintainability index is below ``min_mi`` (runtime Python files).
    Use under ``not:`` for "no function is too complex": ``{not: {radon: {max_cc: 20}}}``."""

    max_cc: int | None = Field(default=None, description="hit functions with complexity above this")
    min_mi: float | None = Field(default=None, description="hit files with maintainability index below this")

    @model_validator(mode="after")
    def _one_limit(self) -> RadonParams:
        if self.max_cc is None and self.min_mi is None:
            raise ValueError("radon needs max_cc and/or min_mi")
        return self


@matcher("radon", RadonParams, reads=("radon_cc", "radon_mi"))
def match_radon(p: RadonParams, index: FactIndex) -> list[Hit]:
    hits = []
    if p.max_cc is not None:
        for file, fact in index.facts("radon_cc", p.roles(), frozenset({"python"})):
            if fact["cc"] > p.max_cc:
                hits.append(Hit(file.path, fact["line"], f"{fact['name']} cc={fact['cc']}", fact["scope"]))
    if p.min_mi is not None:
        for file, fact in index.facts("radon_mi", p.roles(), frozenset({"python"})):
            if fact["mi"] < p.min_mi:
                hits.append(Hit(file.path, fact["line"], f"mi={fact['mi']}", fact["scope"]))
    return hits

