"""The command line: ``auditor scan``, ``auditor list``, ``auditor explain``.

Exit codes: 0 passed, 1 gate failed, 2 usage or config error, 3 internal error.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Any

import click

from auditor import __version__
from auditor.engine.process import tune_gc
from auditor.engine.provenance import repository_prefix
from auditor.engine.standby import Standby
from auditor.engine.workers import stop_all
from auditor.errors import EXIT_GATE_FAILED, EXIT_INTERNAL, AuditorError, Terminated, did_you_mean
from auditor.fleet.cli import fleet
from auditor.gatecli import GateFlags, baseline_cmd, finish, gate_options
from auditor.model import Report
from auditor.render.common import clean, clean_line
from auditor.render.outputs import (
    FORMAT_NAMES,
    RenderOptions,
    output_options,
    pop_output_options,
    render_report,
    write_outputs,
    write_text,
)
from auditor.render.progress import ProgressBar
from auditor.rules.explain import explain_item, explain_section
from auditor.safewrite import UnsafeWrite, write_atomic
from auditor.session import ScanRequest, Session
from auditor.store import default_cache_dir


def silence_stdout() -> None:
    """After the reader of stdout went away (``auditor list | head -1``): send the rest nowhere, quietly."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def echo_out(text: str, nl: bool = True) -> None:
    """Write to stdout; a closed pipe ends the output quietly (the command still exits with its own code)."""
    try:
        click.echo(text, nl=nl)
        sys.stdout.flush()
    except BrokenPipeError:
        silence_stdout()


class AuditorGroup(click.Group):
    """Turns user errors into one line and exit 2, and anything unexpected into exit 3."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            silence_stdout()
            sys.exit(0)
        except AuditorError as exc:
            click.echo(f"auditor: error: {clean_line(str(exc))}", err=True)
            sys.exit(exc.exit_code)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt as exc:
            stop_all()
            terminated = isinstance(exc, Terminated)
            click.echo("auditor: terminated" if terminated else "auditor: interrupted", err=True)
            sys.exit(128 + (signal.SIGTERM if terminated else signal.SIGINT))
        except Exception as exc:
            click.echo(f"auditor: internal error: {type(exc).__name__}: {clean_line(str(exc), 500)} "
                       "(please report it with the command you ran)", err=True)
            sys.exit(EXIT_INTERNAL)


@click.group(cls=AuditorGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="auditor")
def main() -> None:
    """Audit a Python web service against a production best-practices checklist."""


def run(standby: Standby | None = None) -> None:
    """:func:`main` in a process of its own, with the GC tuned for it (the ``auditor`` command
    enters through :func:`auditor.launch.run`, which may fork a ``standby`` worker first and
    hands it here, for the scan to use). SIGTERM stops a scan as Ctrl-C does."""
    tune_gc()
    signal.signal(signal.SIGTERM, _terminate)
    main(obj=standby)


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise Terminated


def _standby() -> Standby | None:
    """The standby worker the command was started with, if any (for the one scan that uses it)."""
    ctx = click.get_current_context()
    root = ctx.find_root()
    standby, root.obj = root.obj, None
    return standby if isinstance(standby, Standby) else None


main.add_command(baseline_cmd)
main.add_command(fleet)


@main.command("scan")
@click.argument("path", default=".", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(list(FORMAT_NAMES)), default="text", show_default=True)
@click.option("--output", "-o", type=click.Path(path_type=Path), help="Write the report to this file.")
@output_options
@click.option("--checklist", type=click.Path(), help="A checklist YAML file instead of the bundled one.")
@click.option("--rules", multiple=True, type=click.Path(), help="Rule file or folder (repeatable).")
@click.option("--max-file-size", type=int, default=2_000_000, show_default=True,
              help="Bytes; larger files are skipped with a warning.")
@click.option("--exclude", multiple=True, help="Glob of paths to leave out (repeatable).")
@click.option("--select", help="Comma-separated item or section ids to evaluate (default: all).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes, at least 1 (default: number of cores).")
@click.option("--cache-dir", type=click.Path(path_type=Path), help="Fact cache folder (default: user cache dir).")
@click.option("--no-cache", is_flag=True, help="Extract every file afresh and write no cache.")
@click.option("--verbose", "-v", is_flag=True, help="Show every item's reason.")
@gate_options
def scan_cmd(path: Path, fmt: str, output: Path | None, checklist: str | None, rules: tuple[str, ...],
             max_file_size: int, exclude: tuple[str, ...], jobs: int | None, cache_dir: Path | None,
             no_cache: bool, select: str | None, verbose: bool, compact: bool, gate: GateFlags,
             **output_files: Any) -> None:
    """Scan PATH (default: the current folder) and report every checklist item.

    Reads PATH/.auditor.yaml or [tool.auditor] in PATH/pyproject.toml; flags override it.
    The gate's verdict and every failure reason are the last lines on stderr.
    Exit codes: 0 passed, 1 gate failed, 2 usage or config error, 3 internal error.
    """
    link_base, outputs = pop_output_options(output_files)
    wants_sarif = fmt == "sarif" or "sarif" in outputs
    session = Session(gate.request(path, checklist, rules, exclude, select, max_file_size, jobs or 0,
                                   None if no_cache else (cache_dir or default_cache_dir())))
    bar = ProgressBar()
    try:
        run = session.run(progress=bar, standby=_standby())
    finally:
        bar.close()
    report = run.report
    descriptions = {item.id: item.description for _, item in run.checklist.items()}
    render_options = RenderOptions(link_base=link_base, descriptions=descriptions, root=path,
                                   colour=output is None and sys.stdout.isatty(), verbose=verbose, compact=compact,
                                   prefix=repository_prefix(path) if wants_sarif else "")
    write_outputs(report, outputs, render_options)
    text = render_report(fmt, report, render_options)
    if output is not None:
        write_text(output, text)
    else:
        echo_out(text, nl=False)
    warn_if_empty(run.report, path)
    finish(run)


def warn_if_empty(report: Report, path: Path) -> None:
    """A scan that read no file, or no Python, says so: its verdicts say nothing about a service."""
    if report.project.files_scanned == 0:
        click.echo(f"auditor: warning: {path}: no file to scan (empty folder, or everything excluded)", err=True)
    elif not report.stats.get("files.python"):
        click.echo(f"auditor: warning: {path}: no Python file found; the checklist is about a Python service",
                   err=True)


def configured_session(path: Path, checklist: str | None, rules: tuple[str, ...],
                       cache_dir: Path | None = None) -> Session:
    """The session ``auditor scan PATH`` would make with these flags (the project's config included)."""
    return Session(ScanRequest(path=path, checklist=checklist, rules=rules, cache_dir=cache_dir))


@main.command("list")
@click.option("--path", "project", type=click.Path(path_type=Path), default=Path("."), show_default=True,
              help="The project whose config (.auditor.yaml / [tool.auditor]) chooses the checklist.")
@click.option("--checklist", type=click.Path())
@click.option("--rules", multiple=True, type=click.Path())
def list_cmd(project: Path, checklist: str | None, rules: tuple[str, ...]) -> None:
    """List the checklist's sections (with their ids) and items, and the rule each item uses."""
    cl = configured_session(project, checklist, rules).checklist
    out: list[str] = []
    for section in cl.spec.sections:
        out.append(f"{section.title} [{section.id}]")
        out.extend(f"  {item.id:<28} {item.severity:<8} {item.rule:<28} {item.title}" for item in section.items)
    echo_out(clean("\n".join(out)))


@main.command("explain")
@click.argument("item_id")
@click.option("--path", "project", type=click.Path(path_type=Path), default=Path("."), show_default=True,
              help="The project whose config (.auditor.yaml / [tool.auditor]) chooses the checklist.")
@click.option("--checklist", type=click.Path())
@click.option("--rules", multiple=True, type=click.Path())
def explain_cmd(item_id: str, project: Path, checklist: str | None, rules: tuple[str, ...]) -> None:
    """Explain one item: what counts, examples and remediation."""
    cl = configured_session(project, checklist, rules).checklist
    found = [(s, i) for s, i in cl.items() if i.id == item_id]
    sections = {s.id: s for s in cl.spec.sections}
    if not found and item_id in sections:
        echo_out(explain_section(sections[item_id]))
        return
    if not found:
        hint = did_you_mean(item_id, [*cl.item_ids(), *sections])
        raise AuditorError(f"unknown item or section id {item_id!r}{hint}")
    section, item = found[0]
    echo_out(explain_item(cl, section, item))


@main.command("verify")
@click.argument("document", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--path", "scan_path", type=click.Path(path_type=Path), default=Path("."), show_default=True,
              help="The project to scan.")
@click.option("--fix", is_flag=True, help="Rewrite the document's ticks to match the code (nothing else changes).")
@click.option("--checklist", type=click.Path(), help="A checklist YAML file instead of the bundled one.")
@click.option("--rules", multiple=True, type=click.Path(), help="Rule file or folder (repeatable).")
@click.option("--cache-dir", type=click.Path(path_type=Path), help="Fact cache folder (default: user cache dir).")
@click.option("--no-cache", is_flag=True, help="Extract every file afresh and write no cache.")
def verify_cmd(document: Path, scan_path: Path, fix: bool, checklist: str | None, rules: tuple[str, ...],
               cache_dir: Path | None, no_cache: bool) -> None:
    """Check a hand-kept status DOCUMENT ('- [x] Title' lines) against a scan of --path.

    Lists ticked items the code does not implement (false claims), unticked items it does, and
    lines that match no item. Exit 1 when there is a false claim (after --fix too: the document
    was wrong), 0 otherwise.
    """
    from auditor.adopt.verify import fix_document, render_verification, verify_document

    try:
        raw = document.read_bytes()
    except OSError as exc:
        raise AuditorError(f"{document}: cannot read: {exc.strerror or exc}") from None
    text = raw.decode("utf-8", errors="surrogateescape")
    session = configured_session(scan_path, checklist, rules, None if no_cache else (cache_dir or default_cache_dir()))
    bar = ProgressBar()
    try:
        report = session.scan(progress=bar, standby=_standby())
    finally:
        bar.close()
    result = verify_document(text, report)
    echo_out(render_verification(result, str(document)), nl=False)
    if fix and result.claims:
        fixed = fix_document(text, result).encode("utf-8", errors="surrogateescape")
        try:
            write_atomic(document, fixed)
        except UnsafeWrite as exc:
            raise AuditorError(str(exc)) from None
        except OSError as exc:
            raise AuditorError(f"{document}: cannot write: {exc.strerror or exc}") from None
        click.echo(f"{document}: {len(result.claims)} tick(s) rewritten", err=True)
    if result.false_claims:
        sys.exit(EXIT_GATE_FAILED)


@main.command("test-rules")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--quiet", "-q", is_flag=True, help="Print failing examples only.")
def test_rules_cmd(paths: tuple[Path, ...], quiet: bool) -> None:
    """Run the examples of rule files (or folders of them) as the auditor runs our own: each
    example's files are scanned and its rule evaluated, through the scan's path. Their rules may
    refer to the bundled conditions. Exit 1 when an example fails."""
    from auditor.rules.load import default_paths, load_rule_files, rule_files
    from auditor.testing import run_examples

    own = rule_files(paths)
    bundled = [p for p in default_paths()[1] if p.resolve() not in {o.resolve() for o in own}]
    rules, conditions = load_rule_files([*bundled, *own])
    sources = {str(p) for p in own}
    chosen = {rule_id for rule_id, rule in rules.items() if rule.source in sources}
    total = failed = 0
    for result in run_examples(rules, conditions, chosen):
        total += 1
        failed += not result.passed
        if not (quiet and result.passed):
            click.echo(result.line())
    bare = sorted(r for r in chosen if not rules[r].spec.examples)
    for rule_id in bare:
        click.echo(f"auditor: test-rules: {rule_id} has no examples", err=True)
    click.echo(f"auditor: test-rules: {total} example(s), {failed} failed", err=True)
    if failed:
        sys.exit(EXIT_GATE_FAILED)


@main.group("cache")
def cache_group() -> None:
    """The fact and report cache: what it holds, and pruning it to its size limit.

    The limit is 500 MB unless CHECKLIST_AUDITOR_CACHE_LIMIT says otherwise (500M, 2G, 800k);
    a scan that writes entries evicts the least recently used ones beyond it.
    """


_CACHE_DIR = click.option("--cache-dir", type=click.Path(path_type=Path, file_okay=False),
                          help="Cache folder (default: user cache dir).")


@cache_group.command("info")
@_CACHE_DIR
def cache_info(cache_dir: Path | None) -> None:
    """The cache folder, its entry count, size and limit."""
    from auditor.cachesize import configured_limit, human, usage

    folder = cache_dir or default_cache_dir()
    used = usage(folder)
    limit = configured_limit()
    echo_out(f"folder:  {folder}\nentries: {used.entries}\nsize:    {human(used.size)} ({used.size} bytes)\n"
             f"limit:   {human(limit)} ({limit} bytes)")


@cache_group.command("prune")
@_CACHE_DIR
@click.option("--max-size", help="Prune to this size (500M, 2G, 800k) instead of the configured limit.")
@click.option("--all", "everything", is_flag=True, help="Remove every entry.")
def cache_prune(cache_dir: Path | None, max_size: str | None, everything: bool) -> None:
    """Remove the least recently used entries until the cache fits its limit (or all with --all)."""
    from auditor.cachesize import configured_limit, human, parse_size, prune

    if everything and max_size is not None:
        raise click.UsageError("--all and --max-size exclude each other")
    limit = 0 if everything else parse_size(max_size, "--max-size") if max_size is not None else configured_limit()
    folder = cache_dir or default_cache_dir()
    removed = prune(folder, limit)
    echo_out(f"{folder}: removed {removed.entries} entries ({human(removed.size)})")


if __name__ == "__main__":  # pragma: no cover
    run()
