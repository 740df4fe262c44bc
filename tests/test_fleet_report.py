"""The fleet dashboard and exports over a store fed by `auditor fleet ingest`: heat map, adoption weakest
first, levels, trends, regressions with commits, drill-down pages; the dashboard in headless Chromium."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

pytest.importorskip("sqlalchemy")

from auditor.fleet.exports import render_csv, render_markdown, to_json
from auditor.fleet.history import load_view
from auditor.fleet.store import open_store
from tests.adoption_helpers import run_cli

pytestmark = pytest.mark.slow  # processes, whole-tree scans or generated cases

BASE = Path(__file__).parent / "data" / "fleet-report.json"
CHROMIUM = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")) if p), None)


def _variant(path: Path, name: str, changes: dict[str, str], commit: str) -> Path:
    data = json.loads(BASE.read_text(encoding="utf-8"))
    data["project"]["name"], data["project"]["commit"] = name, commit
    for item in data["items"]:
        item["status"] = changes.get(item["id"], item["status"])
        if item["status"] in ("implemented", "partial") and not item.get("evidence"):
            item["evidence"] = [{"path": "app.py", "line": 1, "detail": "x"}]
    counts = {s: sum(1 for i in data["items"] if i["status"] == s)
              for s in ("implemented", "partial", "missing", "not_applicable")}
    applicable = len(data["items"]) - counts["not_applicable"]
    data["summary"] = {**counts, "score": round(counts["implemented"] / applicable, 4)}
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path


@pytest.fixture()
def store_path(tmp_path: Path) -> Path:
    """Two ingest runs of three services; 'billing' regresses on config.struct between them."""
    db = tmp_path / "fleet.db"
    both = {"config.struct": "implemented", "config.validation": "implemented"}
    week1 = [_variant(tmp_path / "b1.json", "billing", both, "a1"),
             _variant(tmp_path / "s1.json", "search", {}, "b1")]
    week2 = [_variant(tmp_path / "b2.json", "billing", {"config.validation": "implemented"}, "a2"),
             _variant(tmp_path / "s2.json", "search", {"config.validation": "partial"}, "b2")]
    for files, team in ((week1, "payments"), (week2, "payments")):
        for f in files:
            result = run_cli(["fleet", "ingest", str(f), "--store", str(db),
                              "--team", team if "billing" in f.read_text() else "search-team"])
            assert result.exit_code == 0, result.stderr
    other = _variant(tmp_path / "o.json", "other", {"config.struct": "implemented"}, "c1")
    assert run_cli(["fleet", "ingest", str(other), "--store", str(db), "--team", "data"]).exit_code == 0
    return db


def test_view_trends_adoption_and_regressions(store_path: Path) -> None:
    store = open_store(str(store_path))
    view = load_view(store)
    store.close()
    assert [v.name for v in view.services] == ["billing", "other", "search"]
    billing = view.services[0]
    assert billing.commit == "a2" and billing.team == "payments"
    assert len(billing.trend) == len(view.runs) == 5
    assert billing.trend[0] is not None and billing.trend[-1] is not None and billing.trend[-1] < billing.trend[0]
    assert view.services[1].trend[:4] == [None] * 4  # 'other' arrived in the last run
    # the newest run holds only 'other', new: nothing regressed since the previous run
    store = open_store(str(store_path))
    assert [(r.service, r.item, r.before, r.after) for r in load_view(store).regressions] == []
    store.close()
    latest = [v.score for v in view.services if v.score is not None]
    assert view.fleet_trend[-1] == round(sum(latest) / len(latest), 4)  # the running totals agree
    assert view.team_trends["payments"][-1] == billing.score
    rates = [a.rate for a in view.adoption]
    assert rates == sorted(rates)  # weakest practices first
    pooling = next(a for a in view.adoption if a.item == "config.struct")
    assert pooling.counts["implemented"] == 1  # 'other' only, billing lost it
    data = to_json(view)
    assert data["services"][0]["sections"]["Configuration Management"]["implemented"] >= 1
    assert set(data["trends"]["teams"]) == {"payments", "search-team", "data"}
    rows = list(csv.DictReader(io.StringIO(render_csv(view))))
    assert [r["service"] for r in rows] == ["billing", "other", "search"] and rows[0]["commit"] == "a2"
    md = render_markdown(view)
    assert "## Weakest practices" in md and "| billing | payments |" in md


def test_regressions_name_the_commits(tmp_path: Path) -> None:
    db = tmp_path / "fleet.db"
    one = _variant(tmp_path / "1.json", "billing", {"config.struct": "implemented"}, "aaa1")
    two = _variant(tmp_path / "2.json", "billing", {}, "aaa2")
    for f in (one, two):
        assert run_cli(["fleet", "ingest", str(f), "--store", str(db)]).exit_code == 0
    store = open_store(str(db))
    view = load_view(store)
    store.close()
    assert [(r.service, r.item, r.old_commit, r.new_commit) for r in view.regressions] == [
        ("billing", "config.struct", "aaa1", "aaa2")]
    assert view.regressions[0].before == "implemented" and view.regressions[0].after != "implemented"


class Dom(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[str, bool]] = []
        self.svgs = 0
        self.links: list[str] = []
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "tr" and "data-name" in a:
            self.rows.append((a["data-name"] or "", "hidden" in a))
        if tag == "svg":
            self.svgs += 1
        if tag == "a":
            self.links.append(a.get("href") or "")
        for key in ("src", "href"):
            if (a.get(key) or "").startswith(("http:", "https:", "//")):
                self.external.append(a[key] or "")


def test_dashboard_files_and_chromium(store_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    result = run_cli(["fleet", "report", "--store", str(store_path), "-o", str(out), "--markdown",
                      str(tmp_path / "f.md"), "--csv", str(tmp_path / "f.csv"), "--json", str(tmp_path / "f.json")])
    assert result.exit_code == 0, result.stderr
    html = (out / "index.html").read_text(encoding="utf-8")
    dom = Dom()
    dom.feed(html)
    assert [n for n, _ in dom.rows] == ["billing", "other", "search"] and dom.external == []
    assert "services/billing.html" in dom.links and (out / "services" / "billing.html").is_file()
    assert dom.svgs >= 3 and "Regressions since the previous run" in html
    assert json.loads((tmp_path / "f.json").read_text())["services"][0]["name"] == "billing"
    missing = run_cli(["fleet", "report", "--store", str(tmp_path / "nope.db"), "-o", str(out)])
    assert missing.exit_code == 2 and "no results store" in missing.stderr
    if CHROMIUM is None:
        pytest.skip("chromium is not installed")
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                               "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--dump-dom",
                               (out / "index.html").as_uri() + "#team=payments"],
                              capture_output=True, text=True, timeout=180, check=False)
    shown = Dom()
    shown.feed(done.stdout)
    assert [(n, hidden) for n, hidden in shown.rows] == [("billing", False), ("other", True), ("search", True)]
    assert 'id="shown">1<' in done.stdout
