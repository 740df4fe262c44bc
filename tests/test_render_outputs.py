"""One scan, several outputs: --output-FORMAT files, --format views on stdout, escaping end to end, progress."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

from click.testing import CliRunner

from auditor.cli import main
from auditor.render.progress import ProgressBar

MINI = Path(__file__).resolve().parent / "data" / "mini"
MINI_ARGS = ["--checklist", str(MINI / "checklist.yaml"), "--rules", str(MINI / "rules.yaml"), "--no-cache"]
HOSTILE_NAME = "app/<script>alert(1)<script>.py"


def hostile_tree(root: Path) -> Path:
    """A project whose file name and source contain <script>; db.pooling is partial with it as evidence."""
    files = {
        HOSTILE_NAME: 'import sqlalchemy\nengine = sqlalchemy.create_engine("sqlite:///<script>alert(1)</script>")\n',
        "Dockerfile": "FROM python:3.12\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def test_all_outputs_from_one_scan(tmp_path: Path) -> None:
    project = hostile_tree(tmp_path / "p")
    out = tmp_path / "out"
    files = {fmt: out / f"report.{fmt}" for fmt in ("html", "sarif", "junit", "json", "markdown", "checklist")}
    args = ["scan", str(project), *MINI_ARGS, "--link-base", "https://github.com/o/r/blob/c0ffee"]
    for fmt, path in files.items():
        args += [f"--output-{fmt}", str(path)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code in (0, 1), result.output
    assert "Connection pooling with proper settings" in result.output  # the text view still goes to stdout
    report = json.loads(files["json"].read_text())
    pooling = next(i for i in report["items"] if i["id"] == "db.pooling")
    assert pooling["status"] == "partial" and pooling["evidence"][0]["path"] == HOSTILE_NAME

    html = files["html"].read_text()
    assert "<script>alert" not in html
    assert "app/&lt;script&gt;alert(1)&lt;script&gt;.py:2" in html
    assert "&lt;/script&gt;" in html
    assert 'href="https://github.com/o/r/blob/c0ffee/app/%3Cscript%3Ealert%281%29%3Cscript%3E.py#L2"' in html

    md = files["markdown"].read_text()
    assert "<script>" not in md and "</script>" not in md
    assert "app/&lt;script&gt;alert&#40;1&#41;&lt;script&gt;.py:2" in md
    assert "&lt;/script&gt;" in md

    sarif = json.loads(files["sarif"].read_text())
    results = sarif["runs"][0]["results"]
    assert {r["ruleId"] for r in results} == {"db.pooling", "db.migrations", "docker.healthcheck", "docker.secrets"}
    no_evidence = next(r for r in results if r["ruleId"] == "db.migrations")
    # a missing item sits where its section's first evidence is (db.pooling's), not on a root file
    assert no_evidence["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
        "app/%3Cscript%3Ealert%281%29%3Cscript%3E.py"
    assert "Alembic migrations are kept." in sarif["runs"][0]["tool"]["driver"]["rules"][1]["fullDescription"]["text"]

    junit = ET.fromstring(files["junit"].read_bytes())
    assert [s.get("name") for s in junit] == ["Database Connection Handling", "Docker Configuration"]

    checklist = files["checklist"].read_text()
    assert checklist.startswith("# Mini Checklist\n") and "- [ ] Connection pooling with proper settings" in checklist


def test_format_choices_on_stdout(tmp_path: Path) -> None:
    project = hostile_tree(tmp_path / "p")
    runner = CliRunner()
    for fmt, marker in (("html", "<!DOCTYPE html>"), ("markdown", "## Mini Checklist"), ("sarif", '"2.1.0"'),
                        ("junit", "<testsuites"), ("checklist", "# Mini Checklist")):
        result = runner.invoke(main, ["scan", str(project), *MINI_ARGS, "--format", fmt])
        assert result.exit_code in (0, 1), result.output
        assert marker in result.output, fmt
    first = runner.invoke(main, ["scan", str(project), *MINI_ARGS, "--format", "html"]).output
    assert first == runner.invoke(main, ["scan", str(project), *MINI_ARGS, "--format", "html"]).output


def test_unwritable_output_is_a_usage_error(tmp_path: Path) -> None:
    project = hostile_tree(tmp_path / "p")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = CliRunner().invoke(main, ["scan", str(project), *MINI_ARGS, "--output-html", str(blocker / "r.html")])
    assert result.exit_code == 2


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_tty_and_for_big_scans() -> None:
    quiet = io.StringIO()
    bar = ProgressBar(quiet)
    bar(500, 1000)
    bar(1000, 1000)
    bar.close()
    assert quiet.getvalue() == ""

    tty = Tty()
    small = ProgressBar(tty)
    small(10, 20)
    small.close()
    assert tty.getvalue() == ""

    big = ProgressBar(tty)
    big(1000, 1000)
    big.close()
    assert tty.getvalue() == "\rscanning [" + "#" * 30 + "] 1000/1000 files\n"


def test_scan_reports_progress(tmp_path: Path) -> None:
    from auditor.engine.scan import ScanOptions, scan
    from auditor.rules.load import load_selected_checklist

    project = hostile_tree(tmp_path / "p")
    calls: list[tuple[int, int]] = []
    cl = load_selected_checklist(str(MINI / "checklist.yaml"), (str(MINI / "rules.yaml"),))
    scan(project, cl, ScanOptions(jobs=1), progress=lambda done, total: calls.append((done, total)))
    assert calls and calls[-1] == (2, 2)
