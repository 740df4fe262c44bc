"""A tiny checklist, its rules and generated projects for the adoption tests (config, gate, baseline)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from auditor.cli import main

CHECKLIST = """\
version: 1
name: Tiny checklist
sections:
- id: sec
  title: Security
  items:
  - id: sec.timeouts
    title: Outbound calls have timeouts
    description: requests calls pass timeout=
    severity: high
    remediation: pass timeout=
    rule: tiny-timeouts
  - id: sec.hashing
    title: Passwords are hashed with bcrypt
    description: bcrypt is used
    severity: medium
    remediation: use bcrypt
    rule: tiny-hashing
- id: ops
  title: Operations
  items:
  - id: ops.docker
    title: A Dockerfile
    description: a Dockerfile exists
    severity: high
    remediation: add one
    rule: tiny-docker
  - id: ops.uploads
    title: Uploads are saved safely
    description: uploads saved with save()
    severity: low
    remediation: save them
    rule: tiny-uploads
"""

RULES = """\
rules:
  tiny-timeouts:
    summary: requests with timeout
    implemented: {reason: every call has a timeout, when: {python.call: {name: requests.get, kwargs: [timeout]}}}
    partial: {reason: requests used without timeout, when: {python.call: {name: requests.get}}}
    missing: {reason: no requests}
  tiny-hashing:
    summary: bcrypt
    implemented: {reason: bcrypt imported, when: {python.import: {name: bcrypt}}}
    missing: {reason: no bcrypt}
  tiny-docker:
    summary: dockerfile
    implemented: {reason: a Dockerfile, when: {file.exists: {path: Dockerfile}}}
    missing: {reason: no Dockerfile}
  tiny-uploads:
    summary: uploads
    applies_when: {reason: no upload handling, when: {python.import: {name: multipart}}}
    implemented: {reason: saved, when: {python.call: {name: "*.save"}}}
    missing: {reason: not saved}
"""

ALL_ITEMS = ["sec.timeouts", "sec.hashing", "ops.docker", "ops.uploads"]


def write_checklist(base: Path) -> tuple[Path, Path]:
    """The tiny checklist and its rule file, written under ``base``."""
    base.mkdir(parents=True, exist_ok=True)
    checklist = base / "tiny-checklist.yaml"
    rules = base / "tiny-rules.yaml"
    checklist.write_text(CHECKLIST, encoding="utf-8")
    rules.write_text(RULES, encoding="utf-8")
    return checklist, rules


def make_project(root: Path, timeouts: str = "implemented", hashing: bool = True, docker: bool = True,
                 uploads: str = "not_applicable") -> Path:
    """A project whose tiny-checklist verdicts are the given ones."""
    root.mkdir(parents=True, exist_ok=True)
    app = root / "app"
    app.mkdir(exist_ok=True)
    lines = ["import requests"]
    if hashing:
        lines.append("import bcrypt")
    if uploads != "not_applicable":
        lines.append("import multipart")
    if timeouts == "implemented":
        lines.append("requests.get('https://example.org', timeout=5)")
    elif timeouts == "partial":
        lines.append("requests.get('https://example.org')")
    if uploads == "implemented":
        lines.append("def store(f):\n    f.save('/tmp/x')")
    (app / "main.py").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if docker:
        (root / "Dockerfile").write_text("FROM python:3.12-slim\n", encoding="utf-8")
    elif (root / "Dockerfile").exists():
        (root / "Dockerfile").unlink()
    return root


def run_cli(args: list[str]) -> Result:
    """Run the CLI in-process; stdout and stderr are kept apart."""
    return CliRunner().invoke(main, args, catch_exceptions=False)


def scan_args(root: Path, checklist: Path, rules: Path, *extra: str) -> list[str]:
    return ["scan", str(root), "--checklist", str(checklist), "--rules", str(rules), "--no-cache", "-j", "1",
            "--today", "2025-06-01", *extra]
