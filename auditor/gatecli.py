"""Command-line pieces of adoption: the gate flags of ``auditor scan``, its verdict lines, and ``auditor baseline``.

The verdict and every failure reason are printed last, on stderr, so a report on stdout (or
in a file) stays clean and CI logs end with the reason.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import click

from auditor.adopt.baseline import from_report, load_baseline, tighten, write_baseline
from auditor.adopt.gate import verdict_lines
from auditor.engine.scan import DEFAULT_MAX_YAML_NODES, DEFAULT_PARSE_TIMEOUT, scan
from auditor.errors import AuditorError, ConfigError
from auditor.render.common import clean_line
from auditor.rules.load import load_selected_checklist
from auditor.safewrite import UnsafeWrite, check_target
from auditor.session import ScanRequest, ScanRun, default_baseline_path, load_for_scan
from auditor.store import default_cache_dir

F = TypeVar("F", bound=Callable[..., Any])


def _today(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


def gate_options(func: F) -> F:
    """The config and gate flags shared by ``auditor scan``."""
    options = [
        click.option("--config", "config_file", type=click.Path(path_type=Path),
                     help="Config file (default: PATH/.auditor.yaml or [tool.auditor] in PATH/pyproject.toml)."),
        click.option("--include", multiple=True, help="Glob of paths to scan; others are left out (repeatable)."),
        click.option("--ignore", help="Comma-separated item or section ids to leave out."),
        click.option("--fail-under", multiple=True, metavar="SCORE|SECTION=SCORE",
                     help="Fail when the score (0-1, waived items left out) is below SCORE; "
                          "SECTION=SCORE for one section (repeatable)."),
        click.option("--require", multiple=True, metavar="ID,...", help="Items that must be implemented."),
        click.option("--require-level", metavar="LEVEL",
                     help="Fail unless the service reaches this level of the checklist (e.g. silver)."),
        click.option("--fail-on", multiple=True, metavar="missing|partial[:SEVERITY]",
                     help="Fail when an item is missing (or partial or worse) at SEVERITY or above."),
        click.option("--soft-fail", is_flag=True, default=False, help="Report the gate's verdict but exit 0."),
        click.option("--policy", "policy_file", type=click.Path(path_type=Path, dir_okay=False),
                     help="Pin the policy to this config file: the scanned repository's config may then only "
                          "tighten it (recommended for pull requests)."),
        click.option("--ignore-repo-policy", is_flag=True, default=False,
                     help="Pin the policy to the command line: the repository's config may not waive, soft-fail, "
                          "narrow, lower a threshold or change the checklist, only tighten."),
        click.option("--baseline", "baseline_file", type=click.Path(path_type=Path),
                     help="Fail only on regressions against this baseline file."),
        click.option("--today", callback=_today, hidden=True, help="Date used for waiver expiry (tests)."),
        click.option("--max-yaml-nodes", type=click.IntRange(min=1), default=DEFAULT_MAX_YAML_NODES,
                     show_default=True, help="YAML/TOML/JSON nodes per file; beyond it the file is skipped "
                                             "with a warning (alias bombs)."),
        click.option("--parse-timeout", type=click.FloatRange(min=0), default=DEFAULT_PARSE_TIMEOUT,
                     show_default=True, help="Seconds one file's parsing may take before it is skipped "
                                             "with a warning (0: no limit)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def scan_request(path: Path, checklist: str | None, rules: tuple[str, ...], exclude: tuple[str, ...],
                 select: str | None, max_file_size: int, jobs: int, cache_dir: Path | None,
                 gate: dict[str, Any]) -> ScanRequest:
    """A ScanRequest from the scan command's flags (``gate`` holds the flags of ``gate_options``)."""
    return ScanRequest(
        path=path, config=gate.get("config_file"), checklist=checklist, rules=rules,
        include=tuple(gate.get("include") or ()), exclude=exclude, select=select, ignore=gate.get("ignore"),
        max_file_size=max_file_size, jobs=jobs, cache_dir=cache_dir,
        fail_under=tuple(gate.get("fail_under") or ()), require=tuple(gate.get("require") or ()),
        require_level=gate.get("require_level"),
        fail_on=tuple(gate.get("fail_on") or ()), soft_fail=bool(gate.get("soft_fail")),
        baseline=gate.get("baseline_file"), today=gate.get("today"),
        max_yaml_nodes=int(gate.get("max_yaml_nodes") or DEFAULT_MAX_YAML_NODES),
        parse_timeout=float(gate.get("parse_timeout", DEFAULT_PARSE_TIMEOUT)),
        policy=gate.get("policy_file"), ignore_repo_policy=bool(gate.get("ignore_repo_policy")),
    )


def finish(run: ScanRun) -> None:
    """Print the verdict lines to stderr and exit with the gate's code."""
    for line in verdict_lines(run.gate, run.soft_fail, run.report.gate):
        click.echo(clean_line(line), err=True)  # names and reasons from the repository's config
    code = run.exit_code()
    if code:
        sys.exit(code)


@click.command("baseline")
@click.argument("path", default=".", type=click.Path(path_type=Path))
@click.option("--output", "-o", type=click.Path(path_type=Path),
              help="Baseline file (default: config 'baseline' or PATH/.auditor-baseline.yaml).")
@click.option("--update", is_flag=True, help="Tighten an existing baseline: record improvements, never loosen.")
@click.option("--config", "config_file", type=click.Path(path_type=Path), help="Config file (default: found in PATH).")
@click.option("--checklist", type=click.Path(), help="A checklist YAML file instead of the bundled one.")
@click.option("--rules", multiple=True, type=click.Path(), help="Rule file or folder (repeatable).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes, at least 1 (default: number of cores).")
@click.option("--no-cache", is_flag=True, help="Extract every file afresh and write no cache.")
def baseline_cmd(path: Path, output: Path | None, update: bool, config_file: Path | None, checklist: str | None,
                 rules: tuple[str, ...], jobs: int | None, no_cache: bool) -> None:
    """Write every item's current verdict to a baseline file, for `auditor scan --baseline`."""
    req = ScanRequest(path=path, config=config_file, checklist=checklist, rules=rules, jobs=jobs or 0,
                      cache_dir=None if no_cache else default_cache_dir(), baseline=output)
    loaded, cl, _ids, options = load_for_scan(req, load_selected_checklist)
    target, confined_to = default_baseline_path(req, loaded)
    try:
        check_target(target, confined_to)  # refuse before scanning, not after
    except UnsafeWrite as exc:
        raise ConfigError(str(exc)) from None
    if target.exists() and not update:
        raise AuditorError(f"{target}: baseline exists; use --update to tighten it")
    if update and not target.exists():
        raise AuditorError(f"{target}: no baseline to update; run `auditor baseline` first")
    report = scan(path, cl, options)
    if update:
        new, changes = tighten(load_baseline(target), report, cl.spec.version)
        write_baseline(target, new, confined_to)
        for change in changes:
            click.echo(f"auditor: baseline: {change.item}: {change.before} -> {change.after}", err=True)
        click.echo(f"auditor: baseline updated: {target} ({len(changes)} change(s))", err=True)
        return
    write_baseline(target, from_report(report, cl.spec.version), confined_to)
    click.echo(f"auditor: baseline written: {target} ({len(report.items)} items)", err=True)
