"""SARIF that code scanning places right: paths from the repository root, missing items where their section is."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _git(cwd: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org"}
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


@pytest.mark.slow  # git and the command, each in a process
@pytest.mark.skipif(shutil.which("git") is None, reason="git is needed")
def test_a_subfolder_scan_gives_paths_from_the_repository_root(tmp_path: Path) -> None:
    repo = tmp_path / "monorepo"
    service = repo / "services" / "api"
    shutil.copytree(ROOT / "fixtures" / "minimal-service", service)
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "x")
    proc = subprocess.run([sys.executable, "-m", "auditor.cli", "scan", str(service), "--format", "sarif",
                           "--no-cache", "-j", "1"], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    run = json.loads(proc.stdout)["runs"][0]
    assert "%SRCROOT%" in run["originalUriBaseIds"]
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in run["results"]]
    assert all(u["uriBaseId"] == "%SRCROOT%" and u["uri"].startswith("services/api/") for u in uris)
    assert all((repo / u["uri"]).is_file() for u in uris)  # each names a file of the checkout


def test_missing_items_sit_with_their_section_not_all_on_one_root_file() -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    from render_sample import sample_report

    from auditor.render.sarif import render_sarif

    report = sample_report()
    for item in report.items:
        if item.section == "Docker Configuration" and item.status == "missing":
            item.evidence = []
    run = json.loads(render_sarif(report))["runs"][0]
    anchors = Counter(r["properties"]["anchor"] for r in run["results"])
    assert anchors["section"] > 0
    docker = [r for r in run["results"] if r["properties"]["section"] == "Docker Configuration"
              and r["properties"]["anchor"] == "section"]
    first = next(i for i in report.items if i.section == "Docker Configuration" and i.evidence).evidence[0]
    assert docker and all(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == first.path
                          for r in docker)
    placed = Counter(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"])
    assert placed.most_common(1)[0][1] < len(run["results"]) / 2
