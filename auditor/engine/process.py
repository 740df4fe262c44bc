"""Settings of a process that scans: the garbage collector's, and a worker's signals.

Standard library only: the standby worker loads it before anything else.
"""

from __future__ import annotations

import gc
import signal


def tune_gc() -> None:
    """Collect cyclic garbage less often, as mypy does: a scan allocates millions of small,
    acyclic objects (facts, hits), and the default thresholds rescan them over and over (see
    ``benchmarks/README.md``). Objects from the imports are frozen out of collection, which
    also keeps forked workers from copying their pages."""
    gc.freeze()
    gc.set_threshold(100_000, 50, 50)


def worker_init() -> None:
    """Signals in a worker process."""
    signal.signal(signal.SIGPROF, signal.SIG_DFL)  # the hard limit ends the worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
