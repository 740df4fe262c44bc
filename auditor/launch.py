"""The ``auditor`` command's entry point: fork the standby worker for a scan, then run the CLI.

Imports only the standard library before the fork; the CLI's imports come after it, so they
run alongside the standby's (see :mod:`auditor.engine.standby`). The standby is handed to the
CLI, and from it to the scan inside the executor the scan runs on.
"""

from __future__ import annotations

import sys


def run() -> None:
    """The ``auditor`` command."""
    from auditor.engine import standby

    worker = standby.start() if standby.wanted(sys.argv[1:]) else None
    from auditor.cli import run as cli_run

    cli_run(worker)
