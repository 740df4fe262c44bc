"""The ``auditor fleet`` commands: ``scan``, ``ingest`` and ``report``.

Only click is imported here; the store (SQLAlchemy), Dask and the engine are imported by the
command that needs them, so ``auditor scan`` stays as light as before.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from auditor.errors import EXIT_GATE_FAILED, AuditorError

DEFAULT_STORE = "fleet.db"

store_option = click.option(
    "--store", "store_arg", metavar="PATH|URL",
    help=f"Results store: a SQLite file or a postgresql:// URL (default: the fleet file's 'store' or {DEFAULT_STORE}).")


@click.group("fleet")
def fleet() -> None:
    """Audit many services: scan a fleet file, ingest reports, and report on the history."""


@fleet.command("scan")
@click.argument("fleet_file", type=click.Path(path_type=Path, dir_okay=False))
@store_option
@click.option("--scheduler", metavar="tcp://HOST:PORT", help="Run on this Dask cluster, one task per service.")
@click.option("--workers", "-j", type=click.IntRange(min=0), default=0,
              help="Services scanned at once on this machine (default: number of cores).")
@click.option("--workdir", type=click.Path(path_type=Path, file_okay=False),
              help="Where git services are checked out and kept for the next run.")
@click.option("--cache-dir", type=click.Path(path_type=Path), help="Fact cache folder (default: user cache dir).")
@click.option("--no-cache", is_flag=True, help="Extract every file afresh and write no cache.")
@click.option("--rescan", is_flag=True, help="Scan every service, even at a commit already scanned.")
@click.option("--only", multiple=True, metavar="NAME", help="Scan only these services (repeatable).")
def scan_cmd(fleet_file: Path, store_arg: str | None, scheduler: str | None, workers: int, workdir: Path | None,
             cache_dir: Path | None, no_cache: bool, rescan: bool, only: tuple[str, ...]) -> None:
    """Fetch and scan every service of FLEET_FILE and record the results.

    Exit 0 when every service was scanned (or unchanged), 1 when any failed (each failure is
    recorded with its reason), 2 for a bad fleet file or store.
    """
    from auditor.fleet.coordinator import Progress, default_workdir, run_fleet
    from auditor.fleet.fleetfile import load_fleet
    from auditor.fleet.store import open_store
    from auditor.store import default_cache_dir

    fl = load_fleet(fleet_file)
    if only:
        unknown = sorted(set(only) - {s.name for s in fl.services})
        if unknown:
            raise AuditorError(f"--only: no service named {unknown[0]!r} in {fleet_file}")
        fl = type(fl)(source=fl.source, services=[s for s in fl.services if s.name in only], workdir=fl.workdir,
                      store=fl.store)
    if scheduler is not None and "://" not in scheduler:
        raise AuditorError(f"--scheduler {scheduler!r}: expected an address like tcp://HOST:8786")
    store = open_store(store_arg or fl.store or DEFAULT_STORE)
    progress = Progress(len(fl.services))
    try:
        summary = run_fleet(fl, store, workdir or fl.workdir or default_workdir(),
                            None if no_cache else (cache_dir or default_cache_dir()), scheduler=scheduler,
                            workers=workers, rescan=rescan, progress=progress)
    finally:
        progress.close()
        store.close()
    click.echo(summary.line(), err=True)
    if summary.failures:
        sys.exit(EXIT_GATE_FAILED)


@fleet.command("ingest")
@click.argument("reports", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@store_option
@click.option("--service", help="The service the report is of (default: the report's project.name or file name).")
@click.option("--team", help="The service's team.")
@click.option("--commit", help="The commit the report was made at (default: the report's project.commit).")
def ingest_cmd(reports: tuple[Path, ...], store_arg: str | None, service: str | None, team: str | None,
               commit: str | None) -> None:
    """Add JSON reports made elsewhere (`auditor scan --format json`) to the store, as one run."""
    from auditor.fleet.ingest import IngestOptions, ingest
    from auditor.fleet.store import open_store

    store = open_store(store_arg or DEFAULT_STORE)
    try:
        run_id, names = ingest(store, list(reports), IngestOptions(service=service, team=team, commit=commit))
    finally:
        store.close()
    click.echo(f"fleet: ingested {len(names)} report(s) as run {run_id}: {', '.join(names)}", err=True)


@fleet.command("report")
@store_option
@click.option("--output", "-o", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              default=Path("fleet-report"), show_default=True, help="Folder for index.html and services/NAME.html.")
@click.option("--title", default="Fleet", show_default=True, help="The dashboard's title.")
@click.option("--no-service-pages", is_flag=True, help="Write the dashboard only, without each service's report.")
@click.option("--markdown", "md_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Also write Markdown here.")
@click.option("--csv", "csv_file", type=click.Path(path_type=Path, dir_okay=False), help="Also write CSV here.")
@click.option("--json", "json_file", type=click.Path(path_type=Path, dir_okay=False), help="Also write JSON here.")
def report_cmd(store_arg: str | None, out_dir: Path, title: str, no_service_pages: bool, md_file: Path | None,
               csv_file: Path | None, json_file: Path | None) -> None:
    """Write the fleet dashboard (one self-contained HTML file) and optional Markdown, CSV and JSON exports."""
    from auditor.fleet.dashboard import write_dashboard
    from auditor.fleet.exports import render_csv, render_json, render_markdown
    from auditor.fleet.history import load_view
    from auditor.fleet.store import open_store
    from auditor.render.outputs import write_text

    target = store_arg or DEFAULT_STORE
    if "://" not in target and not Path(target).is_file():
        raise AuditorError(f"{target}: no results store (run `auditor fleet scan` or `auditor fleet ingest` first)")
    store = open_store(target)
    try:
        view = load_view(store)
        reports: dict[str, str] = {}
        if not no_service_pages:
            for v in view.services:
                text = store.report_text(v.scan_id) if v.scan_id is not None else None
                if text is not None:
                    reports[v.name] = text
    finally:
        store.close()
    try:
        index = write_dashboard(view, out_dir, reports, title)
    except OSError as exc:
        raise AuditorError(f"{out_dir}: cannot write: {exc.strerror or exc}") from None
    for path, render in ((md_file, lambda: render_markdown(view, title)), (csv_file, lambda: render_csv(view)),
                         (json_file, lambda: render_json(view))):
        if path is not None:
            write_text(path, render())
    click.echo(f"fleet: dashboard written: {index} ({len(view.services)} services, {len(view.runs)} runs)", err=True)
