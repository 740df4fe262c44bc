"""The ``auditor`` command's entry point: fork the standby worker for a scan, then run the CLI.

Imports only the standard library before the fork; the CLI's imports come after it, so they
run alongside the standby's (see :mod:`auditor.standby`).
"""

from __future__ import annotations

import gc
import sys


def tune_gc() -> None:
    """Collect cyclic garbage less often, as mypy does: a scan allocates millions of small,
    acyclic objects (facts, hits), and the default thresholds rescan them over and over
    (a one-file re-scan of a 4,300-file tree: 4.9 s -> 3.2 s). Objects from the imports are
    frozen out of collection, which also keeps forked workers from copying their pages."""
    gc.freeze()
    gc.set_threshold(100_000, 50, 50)


def run() -> None:
    """The ``auditor`` command."""
    from auditor import standby

    if standby.wanted(sys.argv[1:]):
        standby.start()
    from auditor.cli import run as cli_run

    cli_run()
