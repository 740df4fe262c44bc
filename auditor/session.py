"""One configured audit: the command line's request and the project's config (or the policy that
pins it) become frozen settings once; the checklist is read once; then scan, waivers, baseline
and gate.

Every command that needs a checklist or a scan (``scan``, ``verify``, ``baseline``, ``list``,
``explain``) and the fleet's per-service scans go through :class:`Session`, so each reads the
config, checks the ids it names and loads the checklist the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from types import MappingProxyType

from auditor.adopt.baseline import DEFAULT_BASELINE, Baseline, load_baseline
from auditor.adopt.gate import GatePolicy, GateResult, apply_waivers, check_gate, gate_summary, parse_fail_under
from auditor.adopt.policy import EffectivePolicy, Overrides, resolve_policy
from auditor.config import ChecklistIds, LoadedConfig, check_ids, load_config, parse_fail_on, selected_items
from auditor.engine.executors import executor_for
from auditor.engine.provenance import checklist_label
from auditor.engine.scan import DEFAULT_MAX_YAML_NODES, DEFAULT_PARSE_TIMEOUT, Progress, ScanOptions, scan
from auditor.engine.standby import Standby
from auditor.errors import EXIT_GATE_FAILED, EXIT_OK, AuditorError, ConfigError, did_you_mean
from auditor.levels import compute_level
from auditor.model import Report
from auditor.rules.load import ChecklistFile, build_checklist, default_paths, read_checklist, rule_files
from auditor.rules.schema import Checklist, ChecklistSpec


@dataclass(frozen=True)
class ScanRequest:
    """What the command line asked for; empty/None values fall back to the config. ``select``,
    ``ignore``, ``require`` and ``fail_on`` entries may each hold comma-separated ids."""

    path: Path
    config: Path | None = None
    checklist: str | None = None
    rules: tuple[str, ...] = ()
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
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


@dataclass(frozen=True)
class Settings:
    """What one audit does, settled: each flag over its config value (or the pinned policy over
    both), every id they name checked against the checklist."""

    root: Path
    checklist: Path
    """The checklist file (the bundled one unless the flags or the config name another)."""
    rules: tuple[str, ...]
    """Rule files or folders added to the bundled rules."""
    items: tuple[str, ...] | None
    """The item ids evaluated (None: all of them)."""
    severity: Mapping[str, str]
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    max_file_size: int
    max_yaml_nodes: int
    parse_timeout: float
    jobs: int
    cache_dir: Path | None
    gate: GatePolicy
    policy: EffectivePolicy
    ids: ChecklistIds
    today: date

    @property
    def config(self) -> LoadedConfig:
        """The config the audit uses (the repository's, or the pinned policy's)."""
        return self.policy.loaded

    def scan_options(self) -> ScanOptions:
        """The engine's options for a scan with these settings (a fresh object each time)."""
        return ScanOptions(max_file_bytes=self.max_file_size, jobs=self.jobs, cache_dir=self.cache_dir,
                           max_yaml_nodes=self.max_yaml_nodes, parse_timeout=self.parse_timeout,
                           include=list(self.include), exclude=list(self.exclude))


@dataclass
class ScanRun:
    """A finished scan: the report (waivers applied), the gate's result and the config used."""

    report: Report
    gate: GateResult
    config: LoadedConfig
    checklist: Checklist
    soft_fail: bool = False
    baseline_path: Path | None = None
    policy: EffectivePolicy | None = None

    def exit_code(self) -> int:
        return EXIT_OK if self.gate.passed or self.soft_fail else EXIT_GATE_FAILED


class Session:
    """One configured audit of ``request.path``. Making it reads the config, reads the checklist
    file and checks every id the flags and the config name (ConfigError or AuditorError, one line,
    before anything is scanned). The checklist's rules are loaded on first use and kept: a scan
    without cache starts its workers first."""

    def __init__(self, request: ScanRequest) -> None:
        self.request = request
        self._read: ChecklistFile | None = None
        self._unread: ConfigError | None = None  # reported when the checklist is loaded, with its line
        self.settings = self._settle(request)

    def _settle(self, req: ScanRequest) -> Settings:
        effective = effective_policy(req)
        loaded = effective.loaded
        cfg = loaded.config
        checklist = Path(req.checklist) if req.checklist else \
            loaded.input_files("checklist", [cfg.checklist])[0] if cfg.checklist else default_paths()[0]
        rules = req.rules or tuple(str(p) for p in loaded.input_files("rules", cfg.rules, folders=True))
        try:
            self._read = read_checklist(checklist)
        except ConfigError as exc:
            self._unread = exc
        ids = ChecklistIds.of(self._read.spec) if self._read is not None else ChecklistIds([], [], {})
        check_ids(effective.repository, ids)
        if effective.pinned:
            check_ids(loaded, ids)
        select, ignore = _split(req.select), _split(req.ignore)
        _check_flag("--select", select, ids.items + ids.sections)
        _check_flag("--ignore", ignore, ids.items + ids.sections)
        chosen = selected_items(ids, select or cfg.select, ignore or cfg.ignore)
        if chosen is not None and not chosen:
            raise ConfigError(f"{loaded.source or 'select/ignore'}: select and ignore leave no item to evaluate")
        gate = gate_policy(req, loaded, ids, effective.pinned)
        return Settings(
            root=req.path, checklist=checklist, rules=rules, items=tuple(chosen) if chosen is not None else None,
            severity=MappingProxyType(dict(cfg.severity)),
            include=req.include or tuple(cfg.include), exclude=req.exclude or tuple(cfg.exclude),
            max_file_size=req.max_file_size, max_yaml_nodes=req.max_yaml_nodes, parse_timeout=req.parse_timeout,
            jobs=req.jobs, cache_dir=req.cache_dir, gate=gate, policy=effective, ids=ids,
            today=req.today or date.today())

    @cached_property
    def checklist(self) -> Checklist:
        """The selected checklist with its rules, severity overrides applied (loaded once)."""
        s = self.settings
        rule_paths = [*default_paths()[1], *rule_files(s.rules)]  # --rules adds to the bundled rules
        if self._read is None:
            assert self._unread is not None
            raise self._unread
        cl = build_checklist(self._read, rule_paths, select=list(s.items) if s.items is not None else None,
                             cache_dir=s.cache_dir)
        if s.severity:
            cl.spec = _with_severity(cl.spec, s.severity)
        return cl

    def _checklist(self) -> Checklist:
        return self.checklist

    def scan(self, progress: Progress | None = None, standby: Standby | None = None) -> Report:
        """Scan the project on the executor for ``--jobs`` (with the ``standby`` worker, when the
        command started one)."""
        options = self.settings.scan_options()
        with executor_for(options.jobs, standby) as executor:
            return scan(self.request.path, self._checklist, options, progress, executor)

    def run(self, progress: Progress | None = None, standby: Standby | None = None) -> ScanRun:
        """Scan, apply waivers (marked in the report), compute the level and check the gate
        (against the baseline, when one is given or configured)."""
        s, req = self.settings, self.request
        loaded = s.config
        baseline_path = req.baseline or (loaded.resolve_inside(loaded.config.baseline, "baseline")
                                         if loaded.config.baseline else None)
        baseline: Baseline | None = load_baseline(baseline_path) if baseline_path is not None else None
        report = self.scan(progress, standby)
        cl = self.checklist
        waiver_failures = apply_waivers(report, loaded.config.waivers, s.today, s.ids.items,
                                        loaded.source or "config")
        report.level = compute_level(report, cl.spec)
        result = check_gate(report, s.gate, s.ids.section_of, baseline, waiver_failures)
        report.gate = gate_summary(result, s.gate, s.policy, loaded.config.waivers, s.today, baseline_path, req.path,
                                   [i.id for i in report.items])
        return ScanRun(report=report, gate=result, config=loaded, checklist=cl, soft_fail=s.gate.soft_fail,
                       baseline_path=baseline_path, policy=s.policy)

    def baseline_target(self) -> tuple[Path, Path | None]:
        """Where ``auditor baseline`` writes, and the folder it must stay in: none for ``--output``
        (the user's choice), the scanned root for the config's ``baseline`` and the default name."""
        req, loaded = self.request, self.settings.config
        if req.baseline is not None:
            return req.baseline, None
        if loaded.config.baseline:
            return loaded.resolve_inside(loaded.config.baseline, "baseline"), loaded.root
        return req.path / DEFAULT_BASELINE, req.path


def _with_severity(spec: ChecklistSpec, severity: Mapping[str, str]) -> ChecklistSpec:
    """The checklist with the config's severity overrides."""
    sections = [sec.model_copy(update={"items": [i.model_copy(update={"severity": severity.get(i.id, i.severity)})
                                                 for i in sec.items]}) for sec in spec.sections]
    return spec.model_copy(update={"sections": sections})


def _split(values: tuple[str, ...]) -> list[str]:
    return [v.strip() for entry in values for v in entry.split(",") if v.strip()]


def _check_flag(flag: str, values: list[str], valid: list[str]) -> None:
    for value in values:
        if valid and value not in valid:
            hint = did_you_mean(value, valid)
            raise AuditorError(f"{flag}: unknown id {value!r}{hint}")


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


def gate_policy(req: ScanRequest, loaded: LoadedConfig, ids: ChecklistIds, pinned: bool = False) -> GatePolicy:
    """The gate policy: config values, each overridden by the CLI flag that sets it (a pinned
    policy's config already holds the flags, tightened by the repository's config); the ids and
    ``--fail-on`` entries the flags give are checked."""
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
        policy = GatePolicy(fail_under=cfg.fail_under, fail_under_sections=dict(cfg.fail_under_sections),
                            require=list(cfg.require), fail_on=list(cfg.fail_on), soft_fail=cfg.soft_fail,
                            require_level=cfg.require_level)
    else:
        policy = GatePolicy(
            fail_under=overall if overall is not None else cfg.fail_under,
            fail_under_sections={**cfg.fail_under_sections, **sections},
            require=require or list(cfg.require),
            fail_on=_split(req.fail_on) or list(cfg.fail_on),
            soft_fail=req.soft_fail or cfg.soft_fail,
            require_level=req.require_level or cfg.require_level,
        )
    for entry in policy.fail_on:
        try:
            parse_fail_on(entry)
        except ValueError as exc:
            raise AuditorError(str(exc)) from None
    return policy
