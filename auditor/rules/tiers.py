"""Where a file stands for evidence: the running service first, then its scripts, commands and
migration revisions, then tooling and tests, docs last."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable
from pathlib import Path

from auditor.facts import FileFacts

# How close a file is to the service's own runtime, for ordering evidence: the running service
# first, then its scripts and migration revisions, then tooling and tests, docs last.
_ROLE_TIERS = {"runtime": 0, "migration": 1, "tooling": 2, "test": 2, "docs": 3, "meta": 3}
SCRIPT_DIRS = frozenset({"scripts", "script", "bin", "tools"})
# Settings modules for an environment other than production (config/settings/local.py,
# settings/dev.py, conf/testing.py): what they set is not what the running service uses.
_SETTINGS_DIRS = frozenset({"settings", "config", "configs", "conf"})
_NON_PRODUCTION = re.compile(
    r"(?i)^(?:(?:settings|config)_)?(?:dev|devel|development|local|local_dev|dev_local|test|tests|testing|ci)"
    r"(?:_(?:settings|config))?\.py$")


def evidence_tier(rel: str, role: str, deployed: Collection[str] = ()) -> int:
    """0 for the service's runtime code and configuration, 1 for its scripts, management commands,
    migration revisions and settings for development, test or CI, 2 for tooling and tests, 3 for docs.
    A management command named in ``deployed`` (one the deployment runs) is runtime."""
    tier = _ROLE_TIERS.get(role, 3)
    if tier != 0:
        return tier
    folders = [d.lower() for d in rel.split("/")[:-1]]
    if any(d in SCRIPT_DIRS for d in folders):
        return 1
    if folders[-2:] == ["management", "commands"]:
        # a Django management command: run by an operator beside the service, like a script,
        # unless the deployment runs it (a worker or daemon the container or process manager starts)
        return 0 if rel.rpartition("/")[2].removesuffix(".py") in deployed else 1
    if any(d in _SETTINGS_DIRS for d in folders[-2:]) and _NON_PRODUCTION.match(rel.rpartition("/")[2]):
        return 1
    return tier


# Files that start the service's processes: container images, compose files, manifests, process
# managers (uwsgi.ini attach-daemon, supervisord), Procfiles and shell entrypoints
_DEPLOY_KINDS = frozenset({"dockerfile", "compose", "yaml", "ini", "conf"})
_MANAGE_COMMAND = re.compile(r"(?:manage\.py|django-admin(?:\.py)?)\s+([a-z_]\w*)")
_MAX_DEPLOY_BYTES = 200_000


def _starts_processes(f: FileFacts) -> bool:
    if f.role != "runtime":
        return False
    if f.kind in _DEPLOY_KINDS:
        return True
    name = f.path.rpartition("/")[2].lower()
    return f.kind == "text" and (name.endswith(".sh") or name.startswith("procfile"))


def deployed_commands(files: Iterable[FileFacts], root: Path | None = None) -> frozenset[str]:
    """The Django management commands the deployment runs (``manage.py sendalerts`` in a
    uwsgi.ini, a compose command, a Procfile or an entrypoint script); a file's text is read
    from ``root`` where the facts do not carry it."""
    names: set[str] = set()
    if not any(f.path.endswith(".py") and "/management/commands/" in f.path for f in files):
        return frozenset()
    for f in files:
        if not _starts_processes(f):
            continue
        text = f.text
        if text is None and root is not None:
            try:
                with (root / f.path).open("rb") as handle:
                    text = handle.read(_MAX_DEPLOY_BYTES).decode("utf-8", errors="replace")
            except OSError:
                continue
        if text:
            names.update(m.group(1) for m in _MANAGE_COMMAND.finditer(text))
    return frozenset(names)


def file_tiers(files: list[FileFacts], root: Path | None = None) -> Callable[[str], int]:
    """The evidence tier of each scanned file (see :func:`evidence_tier`)."""
    deployed = deployed_commands(files, root)
    tiers = {f.path: evidence_tier(f.path, f.role, deployed) for f in files}
    return lambda path: tiers.get(path, 0)
