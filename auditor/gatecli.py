"""Command-line pieces of adoption: the gate flags of ``auditor scan``, its verdict lines, and ``auditor baseline``.

The verdict and every failure reason are printed last, on stderr, so a report on stdout (or
in a file) stays clean and CI logs end with the reason.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date
from pathlib import Path
from typing import Any, TypeVar, cast

import click

from auditor.adopt.baseline import from_report, load_baseline, tighten, write_baseline
from auditor.adopt.gate import verdict_lines
from auditor.engine.scan import DEFAULT_MAX_YAML_NODES, DEFAULT_PARSE_TIMEOUT
from auditor.errors import AuditorError, ConfigError
from auditor.render.common import clean_line
from auditor.safewrite import UnsafeWrite, check_target
from auditor.session import ScanRequest, ScanRun, Session
from auditor.store import default_cache_dir

F = TypeVar("F", bound=Callable[..., Any])


def _today(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


@dataclass(frozen=True)
class GateFlags:
    """The flags of :func:`gate_options`, as the command receives them (one typed value, not a
    bag of keyword arguments)."""

    config: Path | None
    include: tuple[str, ...]
    ignore: str | None
    fail_under: tuple[str, ...]
    require: tuple[str, ...]
    require_level: str | None
    fail_on: tuple[str, ...]
    soft_fail: bool
    policy: Path | None
    ignore_repo_policy: bool
    baseline: Path | None
    today: date | None
    max_yaml_nodes: int
    parse_timeout: float

    def request(self, path: Path, checklist: str | None, rules: tuple[str, ...], exclude: tuple[str, ...],
                select: str | None, max_file_size: int, jobs: int, cache_dir: Path | None) -> ScanRequest:
        """The scan's request: these flags with the scan command's own."""
        return ScanRequest(
            path=path, config=self.config, checklist=checklist, rules=rules, include=self.include,
            exclude=exclude, select=(select,) if select else (), ignore=(self.ignore,) if self.ignore else (),
            max_file_size=max_file_size, max_yaml_nodes=self.max_yaml_nodes, parse_timeout=self.parse_timeout,
            jobs=jobs, cache_dir=cache_dir, fail_under=self.fail_under, require=self.require,
            require_level=self.require_level, fail_on=self.fail_on, soft_fail=self.soft_fail,
            baseline=self.baseline, today=self.today, policy=self.policy, ignore_repo_policy=self.ignore_repo_policy)


def gate_options(func: F) -> F:
    """The config and gate flags of ``auditor scan``, handed to the command as one ``gate: GateFlags``."""
    options = [
        click.option("--config", "config", type=click.Path(path_type=Path),
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
        click.option("--policy", "policy", type=click.Path(path_type=Path, dir_okay=False),
                     help="Pin the policy to this config file: the scanned repository's config may then only "
                          "tighten it (recommended for pull requests)."),
        click.option("--ignore-repo-policy", is_flag=True, default=False,
                     help="Pin the policy to the command line: the repository's config may not waive, soft-fail, "
                          "narrow, lower a threshold or change the checklist, only tighten."),
        click.option("--baseline", "baseline", type=click.Path(path_type=Path),
                     help="Fail only on regressions against this baseline file."),
        click.option("--today", callback=_today, hidden=True, help="Date used for waiver expiry (tests)."),
        click.option("--max-yaml-nodes", type=click.IntRange(min=1), default=DEFAULT_MAX_YAML_NODES,
                     show_default=True, help="YAML/TOML/JSON nodes per file; beyond it the file is skipped "
                                             "with a warning (alias bombs)."),
        click.option("--parse-timeout", type=click.FloatRange(min=0), default=DEFAULT_PARSE_TIMEOUT,
                     show_default=True, help="Seconds one file's parsing may take before it is skipped "
                                             "with a warning (0: no limit)."),
    ]
    names = [f.name for f in fields(GateFlags)]

    @functools.wraps(func)
    def command(*args: Any, **kwargs: Any) -> Any:
        gate = GateFlags(**{name: kwargs.pop(name) for name in names})
        return func(*args, gate=gate, **kwargs)

    for option in reversed(options):
        command = option(command)
    return cast(F, command)


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
    session = Session(ScanRequest(path=path, config=config_file, checklist=checklist, rules=rules, jobs=jobs or 0,
                                  cache_dir=None if no_cache else default_cache_dir(), baseline=output))
    cl = session.checklist
    target, confined_to = session.baseline_target()
    try:
        check_target(target, confined_to)  # refuse before scanning, not after
    except UnsafeWrite as exc:
        raise ConfigError(str(exc)) from None
    if target.exists() and not update:
        raise AuditorError(f"{target}: baseline exists; use --update to tighten it")
    if update and not target.exists():
        raise AuditorError(f"{target}: no baseline to update; run `auditor baseline` first")
    report = session.scan()
    if update:
        new, changes = tighten(load_baseline(target), report, cl.spec.version)
        write_baseline(target, new, confined_to)
        for change in changes:
            click.echo(f"auditor: baseline: {change.item}: {change.before} -> {change.after}", err=True)
        click.echo(f"auditor: baseline updated: {target} ({len(changes)} change(s))", err=True)
        return
    write_baseline(target, from_report(report, cl.spec.version), confined_to)
    click.echo(f"auditor: baseline written: {target} ({len(report.items)} items)", err=True)
