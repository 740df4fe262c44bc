"""Fleet benchmarks: scan throughput and coordinator memory, and the dashboard over a long history.

    python benchmarks/fleet_bench.py scan --sizes 20,40,80 [--scheduler tcp://127.0.0.1:8786] [--files 10]
    python benchmarks/fleet_bench.py dashboard --services 1000 --weeks 52 [--chromium]

``scan`` generates services with gen_tree.py (each a git repository with one commit), scans
them with ``run_fleet`` in this process (the coordinator) on local scan processes or a Dask
cluster, and prints services per minute and the coordinator's peak RSS for each size: a flat
RSS as the size doubles shows results stream into the store. Scans use no fact cache.

``dashboard`` fills a store with a synthetic history built from real reports (each week about
one service in ten changes commit; statuses drift), then times reading the history, rendering
the dashboard and the exports, and optionally opening it in headless Chromium.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from gen_tree import generate  # noqa: E402

from auditor.fleet import migrations as m  # noqa: E402
from auditor.fleet.coordinator import run_fleet  # noqa: E402
from auditor.fleet.fleetfile import load_fleet  # noqa: E402
from auditor.fleet.store import open_store, section_counts  # noqa: E402

GIT = ["git", "-c", "user.name=b", "-c", "user.email=b@example.com"]


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_services(base: Path, count: int, files: int) -> None:
    for i in range(len(list(base.glob("svc-*"))), count):
        d = base / f"svc-{i:04d}"
        generate(d, files, seed=i + 1)
        subprocess.run(["git", "init", "-q", str(d)], check=True)
        subprocess.run([*GIT, "-C", str(d), "add", "-A"], check=True)
        subprocess.run([*GIT, "-C", str(d), "commit", "-qm", "init"], check=True)


def bench_scan(args: argparse.Namespace) -> None:
    base = Path(args.keep or tempfile.mkdtemp(prefix="fleet-bench-"))
    base.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",")]
    make_services(base, max(sizes), args.files)
    where = args.scheduler or f"local, {args.workers or 'all'} cores"
    print(f"services of {args.files} generated Python files each; scanning on {where}")
    print("| services | wall | services/min | coordinator peak RSS |")
    print("|---|---|---|---|")
    for n in sizes:
        fleet_file = base / f"fleet-{n}.yaml"
        fleet_file.write_text("services:\n" + "".join(
            f"  - {{name: svc-{i:04d}, git: svc-{i:04d}, team: team-{i % 7}}}\n" for i in range(n)), encoding="utf-8")
        store_path = base / f"fleet-{n}-{int(time.time())}.db"
        store = open_store(str(store_path))
        start = time.monotonic()
        summary = run_fleet(load_fleet(fleet_file), store, base / "work", None, scheduler=args.scheduler,
                            workers=args.workers)
        wall = time.monotonic() - start
        store.close()
        assert not summary.failures, summary.failures[:3]
        print(f"| {n} | {wall:.1f} s | {60 * n / wall:.1f} | {_peak_mb():.0f} MB |", flush=True)
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)


def _templates() -> list[str]:
    """Real reports to vary: the reference service, the minimal service and a generated one."""
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        gen = Path(tmp) / "gen"
        generate(gen, 12, seed=7)
        for tree in (ROOT / "fixtures" / "reference-service", ROOT / "fixtures" / "minimal-service", gen):
            done = subprocess.run([sys.executable, "-m", "auditor.cli", "scan", str(tree), "--format", "json"],
                                  capture_output=True, text=True, check=False)
            out.append(done.stdout)
    return out


def fill_history(store_path: Path, services: int, weeks: int, seed: int = 1) -> None:
    """A synthetic store: ``weeks`` weekly scan runs of ``services`` services, ~10% changing each week."""
    rng = random.Random(seed)
    templates = [json.loads(t) for t in _templates()]
    store = open_store(str(store_path))
    eng = store.engine
    state: dict[int, dict[str, object]] = {}
    scan_id = 0
    with eng.begin() as conn:
        conn.execute(m.services.insert(), [{"id": i + 1, "name": f"svc-{i:04d}", "team": f"team-{i % 12}",
                                            "owner": f"owner-{i % 40}", "tags": json.dumps([f"tier-{i % 3}"]),
                                            "source": None} for i in range(services)])
    for week in range(weeks):
        started = f"2026-{1 + week * 7 // 30 % 12:02d}-{1 + week * 7 % 28:02d}T03:00:00+00:00"
        scans, items, links = [], [], []
        for sid in range(1, services + 1):
            if week == 0 or rng.random() < 0.1:
                report = json.loads(json.dumps(templates[sid % len(templates)]))
                for it in report["items"]:
                    r = rng.random()
                    if r < 0.05 + 0.004 * week:
                        it["status"] = "implemented"
                    elif r < 0.08:
                        it["status"] = "missing"
                impl = sum(1 for it in report["items"] if it["status"] == "implemented")
                na = sum(1 for it in report["items"] if it["status"] == "not_applicable")
                report["summary"]["score"] = round(impl / max(1, len(report["items"]) - na), 4)
                text = json.dumps(report, indent=2) + "\n"
                scan_id += 1
                commit = f"{sid:08x}{week:032x}"
                scans.append({"id": scan_id, "service_id": sid, "commit_sha": commit, "scanned_at": started,
                              "origin": "fleet", "fingerprint": "bench", "status": "ok", "reason": "",
                              "score": report["summary"]["score"], "implemented": impl,
                              "level": (report.get("level") or {}).get("name"),
                              "sections": json.dumps(section_counts(report["items"])),
                              "report": zlib.compress(text.encode(), 6)})
                items.extend({"scan_id": scan_id, "item_id": it["id"], "section": it["section"],
                              "status": it["status"], "severity": it.get("severity"), "waived": False,
                              "reason": it.get("reason", ""), "evidence": "[]"} for it in report["items"])
                state[sid] = {"scan": scan_id, "entry": "ok"}
            else:
                state[sid] = {"scan": state[sid]["scan"], "entry": "reused"}
            links.append({"run_id": week + 1, "service_id": sid, "scan_id": state[sid]["scan"],
                          "status": state[sid]["entry"]})
        with eng.begin() as conn:
            conn.execute(m.runs.insert().values(id=week + 1, kind="scan", started_at=started, finished_at=started,
                                                status="finished", services_total=services))
            conn.execute(m.scans.insert(), scans)
            conn.execute(m.items.insert(), items)
            conn.execute(m.run_services.insert(), links)
    store.close()


def bench_dashboard(args: argparse.Namespace) -> None:
    from auditor.fleet.dashboard import write_dashboard
    from auditor.fleet.exports import render_csv, render_json, render_markdown
    from auditor.fleet.history import load_view

    base = Path(args.keep or tempfile.mkdtemp(prefix="fleet-dash-"))
    base.mkdir(parents=True, exist_ok=True)
    db = base / f"history-{args.services}x{args.weeks}.db"
    if not db.exists():
        t = time.monotonic()
        fill_history(db, args.services, args.weeks)
        print(f"filled {db.name}: {db.stat().st_size / 1e6:.0f} MB in {time.monotonic() - t:.0f} s")
    t = time.monotonic()
    store = open_store(str(db))  # upgrades a store written by an older schema
    print(f"open (and migrate if older) {time.monotonic() - t:.2f} s")
    t0, c0 = time.monotonic(), time.process_time()
    view = load_view(store)
    t1 = time.monotonic()
    index = write_dashboard(view, base / "site", {}, "Fleet")
    t2, c2 = time.monotonic(), time.process_time()
    reports = {v.name: store.report_text(v.scan_id) or "" for v in view.services if v.scan_id is not None}
    write_dashboard(view, base / "site-pages", reports, "Fleet")
    t3 = time.monotonic()
    md, csv_text, js = render_markdown(view), render_csv(view), render_json(view)
    t4 = time.monotonic()
    store.close()
    print(f"{len(view.services)} services x {len(view.runs)} runs: read history {t1 - t0:.2f} s, "
          f"dashboard {t2 - t1:.2f} s ({index.stat().st_size / 1e6:.1f} MB), total {t2 - t0:.2f} s "
          f"({c2 - c0:.2f} s CPU); "
          f"with {len(reports)} service pages {t3 - t2 + t2 - t0:.1f} s; exports {t4 - t3:.2f} s "
          f"(md {len(md) // 1000} kB, csv {len(csv_text) // 1000} kB, json {len(js) // 1000} kB); "
          f"peak RSS {_peak_mb():.0f} MB")
    if args.chromium:
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        if chromium is None:
            print("chromium: not installed")
            return
        with tempfile.TemporaryDirectory() as profile:
            t = time.monotonic()
            done = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                   "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--dump-dom",
                                   index.as_uri()], capture_output=True, text=True, timeout=300, check=False)
            rows = done.stdout.count("<tr data-team=")
        counted = f'id="shown">{rows}<' in done.stdout
        print(f"chromium: opened in {time.monotonic() - t:.1f} s, {rows} service rows in the DOM, "
              f"filter script ran: {counted}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("scan")
    s.add_argument("--sizes", default="20,40,80")
    s.add_argument("--files", type=int, default=10)
    s.add_argument("--workers", type=int, default=0)
    s.add_argument("--scheduler")
    s.add_argument("--keep")
    d = sub.add_parser("dashboard")
    d.add_argument("--services", type=int, default=1000)
    d.add_argument("--weeks", type=int, default=52)
    d.add_argument("--chromium", action="store_true")
    d.add_argument("--keep")
    args = parser.parse_args()
    bench_scan(args) if args.cmd == "scan" else bench_dashboard(args)


if __name__ == "__main__":
    main()
