"""One gated scan as the CLI runs it: config (CLI flags override it) -> checklist -> scan -> waivers -> gate.

Shared by ``auditor scan`` and ``auditor baseline`` so every mode reads the config the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

from auditor.adopt.baseline import DEFAULT_BASELINE, Baseline, load_baseline
from auditor.adopt.gate import GatePolicy, GateResult, apply_waivers, check_gate, gate_summary, parse_fail_under
from auditor.adopt.policy import EffectivePolicy, Overrides, resolve_policy
from auditor.config import (
    ChecklistIds,
    LoadedConfig,
    check_ids,
    checklist_ids,
    load_config,
    parse_fail_on,
    selected_items,
)
from auditor.engine.executors import executor_for
from auditor.engine.provenance import checklist_label
from auditor.engine.scan import DEFAULT_MAX_YAML_NODES, DEFAULT_PARSE_TIMEOUT, Progress, ScanOptions, scan
from auditor.engine.standby import Standby
from auditor.errors import EXIT_GATE_FAILED, EXIT_OK, AuditorError, ConfigError, did_you_mean
from auditor.levels import compute_level
from auditor.model import Report
from auditor.rules.load import default_paths
from auditor.rules.schema import Checklist

ChecklistLoader = Callable[[str | None, tuple[str, ...], str | None, Path | None], Checklist]


@dataclass
class ScanRequest:
    """What the command line asked for; empty/None values fall back to the config."""

    path: Path
    config: Path | None = None
    checklist: str | None = None
    rules: tuple[str, ...] = ()
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    select: str | None = None
    ignore: str | None = None
    max_file_size: int = 2_000_000
    max_yaml_nodes: int = DEFAULT_MAX_YAML_NODES
    parse_timeout: float = DEFAULT_PARSE_TIMEOUT
    jobs: int = 0
    cache_dir: Path | None = None
    fail_under: tuple[str, ...] = ()
    require: tuple[str, ...] = ()
    require_level: str | None = None
    fail_on: tuple[str, ...] = ()
    soft_fail: bool = False
    baseline: Path | None = None
    today: date | None = None
    policy: Path | None = None
    """A config file that pins the policy (the repository's config may then only tighten it)."""
    ignore_repo_policy: bool = False


@dataclass
class ScanRun:
    """A finished scan: the report (waivers applied), the gate's result and the config used."""

    report: Report
    gate: GateResult
    config: LoadedConfig
    checklist: Checklist
    soft_fail: bool = False
    baseline_path: Path | None = None
    notes: list[str] = field(default_factory=list)
    policy: EffectivePolicy | None = None

    def exit_code(self) -> int:
        return EXIT_OK if self.gate.passed or self.soft_fail else EXIT_GATE_FAILED


def _split(values: tuple[str, ...] | str | None) -> list[str]:
    if not values:
        return []
    raw = [values] if isinstance(values, str) else list(values)
    return [v.strip() for entry in raw for v in entry.split(",") if v.strip()]


def _check_flag(flag: str, values: list[str], valid: list[str]) -> None:
    for value in values:
        if valid and value not in valid:
            hint = did_you_mean(value, valid)
            raise AuditorError(f"{flag}: unknown id {value!r}{hint}")


def load_for_scan(req: ScanRequest,
                  loader: ChecklistLoader) -> tuple[LoadedConfig, Checklist, ChecklistIds, ScanOptions]:
    """Config, the selected checklist with severity overrides, its ids and the scan options."""
    loaded, ids, options, load = prepare_scan(req, loader)
    return loaded, load(), ids, options


def effective_policy(req: ScanRequest) -> EffectivePolicy:
    """The repository's config, or the pinned policy it may only tighten (``--policy``/``--ignore-repo-policy``)."""
    if not req.path.is_dir():
        raise AuditorError(f"{req.path}: not a directory" if req.path.exists() else f"{req.path}: no such directory")
    if req.policy is not None and not req.policy.is_file():
        raise ConfigError(f"{req.policy}: policy file not found")
    repository = load_config(req.path, req.config)
    given = Overrides(checklist=bool(req.checklist), rules=bool(req.rules), select=bool(req.select),
                      ignore=bool(req.ignore), include=bool(req.include), exclude=bool(req.exclude),
                      soft_fail=req.soft_fail, baseline=req.baseline is not None)
    cfg = repository.config
    label = checklist_label(repository.resolve(cfg.checklist), req.path) if cfg.checklist else None
    overall, sections = parse_fail_under(req.fail_under)
    flags = {"fail_under": overall, "fail_under_sections": sections, "require": _split(req.require),
             "fail_on": _split(req.fail_on), "soft_fail": req.soft_fail, "require_level": req.require_level}
    return resolve_policy(repository, given, req.policy, req.ignore_repo_policy, label, flags)


def prepare_scan(req: ScanRequest, loader: ChecklistLoader, effective: EffectivePolicy | None = None,
                 ) -> tuple[LoadedConfig, ChecklistIds, ScanOptions, Callable[[], Checklist]]:
    """Like :func:`load_for_scan`, with the checklist as a function that loads it on first call
    (so a scan can start its workers first); the config and the ids it names are checked now."""
    effective = effective or effective_policy(req)
    loaded = effective.loaded
    cfg = loaded.config
    checklist = req.checklist or (str(loaded.input_files("checklist", [cfg.checklist])[0]) if cfg.checklist else None)
    rules = req.rules or tuple(str(p) for p in loaded.input_files("rules", cfg.rules, folders=True))
    ids = checklist_ids(Path(checklist) if checklist else default_paths()[0])
    check_ids(effective.repository, ids)
    if effective.pinned:
        check_ids(loaded, ids)
    select, ignore = _split(req.select), _split(req.ignore)
    _check_flag("--select", select, ids.items + ids.sections)
    _check_flag("--ignore", ignore, ids.items + ids.sections)
    chosen = selected_items(ids, select or cfg.select, ignore or cfg.ignore)
    if chosen is not None and not chosen:
        raise ConfigError(f"{loaded.source or 'select/ignore'}: select and ignore leave no item to evaluate")

    @cache
    def load() -> Checklist:
        cl = loader(checklist, rules, ",".join(chosen) if chosen is not None else None, req.cache_dir)
        if cfg.severity:
            severity = cfg.severity
            sections = [s.model_copy(update={"items": [i.model_copy(update={"severity": severity.get(i.id, i.severity)})
                                                       for i in s.items]}) for s in cl.spec.sections]
            cl.spec = cl.spec.model_copy(update={"sections": sections})
        return cl

    options = ScanOptions(max_file_bytes=req.max_file_size, jobs=req.jobs, cache_dir=req.cache_dir,
                          max_yaml_nodes=req.max_yaml_nodes, parse_timeout=req.parse_timeout,
                          include=list(req.include) or list(cfg.include),
                          exclude=list(req.exclude) or list(cfg.exclude))
    return loaded, ids, options, load


def policy_for(req: ScanRequest, loaded: LoadedConfig, ids: ChecklistIds, pinned: bool = False) -> GatePolicy:
    """The gate policy: config values, each overridden by the CLI flag that sets it (a pinned
    policy's config already holds the flags, tightened by the repository's config)."""
    cfg = loaded.config
    overall, sections = parse_fail_under(req.fail_under)
    _check_flag("--fail-under", list(sections), ids.sections)
    require = _split(req.require)
    _check_flag("--require", require, ids.items)
    if req.require_level is not None and ids.items and req.require_level not in ids.levels:
        known = f"levels: {', '.join(ids.levels)}" if ids.levels else "the checklist defines no levels"
        hint = did_you_mean(req.require_level, ids.levels)
        raise AuditorError(f"--require-level: unknown level {req.require_level!r}{hint} ({known})")
    if pinned:
        return GatePolicy(fail_under=cfg.fail_under, fail_under_sections=dict(cfg.fail_under_sections),
                          require=list(cfg.require), fail_on=list(cfg.fail_on), soft_fail=cfg.soft_fail,
                          require_level=cfg.require_level)
    return GatePolicy(
        fail_under=overall if overall is not None else cfg.fail_under,
        fail_under_sections={**cfg.fail_under_sections, **sections},
        require=require or list(cfg.require),
        fail_on=_split(req.fail_on) or list(cfg.fail_on),
        soft_fail=req.soft_fail or cfg.soft_fail,
        require_level=req.require_level or cfg.require_level,
    )


def run_scan(req: ScanRequest, loader: ChecklistLoader, progress: Progress | None = None,
             standby: Standby | None = None) -> ScanRun:
    """Scan (with the ``standby`` worker, when the command started one), apply waivers (marked
    in the report) and check the gate."""
    effective = effective_policy(req)
    loaded, ids, options, load = prepare_scan(req, loader, effective)
    policy = policy_for(req, loaded, ids, effective.pinned)
    for entry in policy.fail_on:
        try:
            parse_fail_on(entry)
        except ValueError as exc:
            raise AuditorError(str(exc)) from None
    baseline_path = req.baseline or (loaded.resolve_inside(loaded.config.baseline, "baseline")
                                     if loaded.config.baseline else None)
    baseline: Baseline | None = load_baseline(baseline_path) if baseline_path is not None else None
    with executor_for(options.jobs, standby) as executor:
        report = scan(req.path, load, options, progress, executor)
    cl = load()
    today = req.today or date.today()
    waiver_failures = apply_waivers(report, loaded.config.waivers, today, ids.items, loaded.source or "config")
    report.level = compute_level(report, cl.spec)
    result = check_gate(report, policy, ids.section_of, baseline, waiver_failures)
    report.gate = gate_summary(result, policy, effective, loaded.config.waivers, today, baseline_path, req.path,
                               [i.id for i in report.items])
    return ScanRun(report=report, gate=result, config=loaded, checklist=cl, soft_fail=policy.soft_fail,
                   baseline_path=baseline_path, policy=effective)


def default_baseline_path(req: ScanRequest, loaded: LoadedConfig) -> tuple[Path, Path | None]:
    """Where ``auditor baseline`` writes, and the folder it must stay in: none for ``--output``
    (the user's choice), the scanned root for the config's ``baseline`` and the default name."""
    if req.baseline is not None:
        return req.baseline, None
    if loaded.config.baseline:
        return loaded.resolve_inside(loaded.config.baseline, "baseline"), loaded.root
    return req.path / DEFAULT_BASELINE, req.path
