"""Who sets the gate: the scanned repository's own config, or a policy pinned by CI.

The scanned repository is untrusted input on pull requests: its config can waive items, turn on
soft-fail, narrow the selection or bring its own checklist. By default it may (it is the team's
config), and every report says what it changed. With ``--ignore-repo-policy`` or ``--policy
FILE`` the policy is pinned: the command line and the policy file decide, and the repository's
config may only tighten it (raise a threshold, require more items, fail on more); anything it
would loosen is ignored and listed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.config import AuditorConfig, LoadedConfig, load_config


@dataclass
class Overrides:
    """Which settings the command line gave (those the repository's config no longer decides)."""

    checklist: bool = False
    rules: bool = False
    select: bool = False
    ignore: bool = False
    include: bool = False
    exclude: bool = False
    soft_fail: bool = False
    baseline: bool = False


@dataclass(frozen=True)
class EffectivePolicy:
    """The config a scan uses, and what the repository's config changed in it or was refused."""

    loaded: LoadedConfig
    repository: LoadedConfig
    pinned: bool = False
    pinned_by: str = ""
    changed: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def repository_changes(cfg: AuditorConfig, given: Overrides, checklist_label: str | None = None) -> list[str]:
    """What a config changes in the policy, phrased for a reviewer (settings the CLI gave are left out)."""
    out: list[str] = []
    if cfg.waivers:
        out.append(f"{_plural(len(cfg.waivers), 'item')} waived")
    if cfg.soft_fail and not given.soft_fail:
        out.append("soft-fail (a failed gate exits 0)")
    narrowed = [k for k, on in (("select", cfg.select and not given.select),
                                ("ignore", cfg.ignore and not given.ignore)) if on]
    if narrowed:
        out.append(f"items narrowed ({' and '.join(narrowed)})")
    files = [k for k, on in (("include", cfg.include and not given.include),
                             ("exclude", cfg.exclude and not given.exclude)) if on]
    if files:
        out.append(f"files narrowed ({' and '.join(files)})")
    if cfg.checklist and not given.checklist:
        out.append(f"custom checklist {checklist_label or cfg.checklist}")
    if cfg.rules and not given.rules:
        out.append(f"own rules ({', '.join(cfg.rules)})")
    if cfg.severity:
        out.append(f"severity changed for {_plural(len(cfg.severity), 'item')}")
    if cfg.baseline and not given.baseline:
        out.append(f"baseline {cfg.baseline}")
    return out


def _tighten(base: AuditorConfig, repo: AuditorConfig) -> tuple[AuditorConfig, list[str]]:
    """``base`` with whatever in ``repo`` makes the gate stricter, and a line for each such change."""
    changed: list[str] = []
    update: dict[str, object] = {}
    if repo.fail_under is not None and (base.fail_under is None or repo.fail_under > base.fail_under):
        update["fail_under"] = repo.fail_under
        changed.append(f"fail_under raised to {repo.fail_under:.2f}")
    sections = dict(base.fail_under_sections)
    for name, value in sorted(repo.fail_under_sections.items()):
        if value > sections.get(name, -1.0):
            sections[name] = value
            changed.append(f"section {name} threshold raised to {value:.2f}")
    update["fail_under_sections"] = sections
    extra = [r for r in repo.require if r not in base.require]
    if extra:
        update["require"] = [*base.require, *extra]
        changed.append(f"requires {', '.join(extra)}")
    more = [f for f in repo.fail_on if f not in base.fail_on]
    if more:
        update["fail_on"] = [*base.fail_on, *more]
        changed.append(f"fails on {', '.join(more)}")
    if repo.require_level is not None and base.require_level is None:
        update["require_level"] = repo.require_level
        changed.append(f"requires level {repo.require_level}")
    return base.model_copy(update=update), changed


def _loosening(base: AuditorConfig, repo: AuditorConfig) -> list[str]:
    """What in ``repo`` a pinned policy refuses."""
    out: list[str] = []
    if repo.waivers:
        out.append(f"waivers ({len(repo.waivers)})")
    for key in ("soft_fail", "select", "ignore", "include", "exclude", "checklist", "rules", "severity", "baseline"):
        if getattr(repo, key):
            out.append(key)
    if repo.fail_under is not None and base.fail_under is not None and repo.fail_under < base.fail_under:
        out.append(f"fail_under {repo.fail_under:.2f}")
    if repo.require_level is not None and base.require_level not in (None, repo.require_level):
        out.append(f"require_level {repo.require_level}")
    lower = sorted(k for k, v in repo.fail_under_sections.items() if k in base.fail_under_sections
                   and v < base.fail_under_sections[k])
    if lower:
        out.append(f"lower section thresholds ({', '.join(lower)})")
    return out


def resolve_policy(repository: LoadedConfig, given: Overrides, policy_file: Path | None = None,
                   ignore_repo_policy: bool = False, checklist_label: str | None = None,
                   flags: dict[str, Any] | None = None) -> EffectivePolicy:
    """The config to scan with. Not pinned: the repository's config, with what it changed listed.
    Pinned: the policy file's config (or none) with the gate ``flags`` of the command line over it
    (``fail_under``, ``fail_under_sections``, ``require``, ``fail_on``, ``soft_fail``), tightened by
    the repository's config; what it would loosen is ignored."""
    if policy_file is None and not ignore_repo_policy:
        return EffectivePolicy(loaded=repository, repository=repository,
                               changed=repository_changes(repository.config, given, checklist_label))
    if policy_file is not None:
        base = load_config(policy_file.parent, policy_file)
        by = f"--policy {base.source}"
    else:
        base = LoadedConfig(root=repository.root)
        by = "--ignore-repo-policy"
    pinned = base.config
    if flags:
        update = {k: v for k, v in flags.items() if v not in (None, [], {}, False)}
        if "fail_under_sections" in update:
            update["fail_under_sections"] = {**pinned.fail_under_sections, **update["fail_under_sections"]}
        pinned = pinned.model_copy(update=update)
    config, changed = _tighten(pinned, repository.config)
    loaded = LoadedConfig(config=config, source=base.source, root=base.root, marks=base.marks,
                          toml_text=base.toml_text)
    return EffectivePolicy(loaded=loaded, repository=repository, pinned=True, pinned_by=by, changed=changed,
                           ignored=_loosening(pinned, repository.config))
