"""Settings of a process that scans: the garbage collector's, and a worker's signals and life.

A worker forked by a scan (a pool worker or the standby) holds copies of its parent's stdout
and stderr. If the parent is killed (``kill -9``, an out-of-memory kill, a CI timeout), a
worker left running would keep those pipes open, so whoever reads the report would wait for
ever. On Linux the kernel sends a worker SIGKILL when its parent dies (``PR_SET_PDEATHSIG``);
a worker whose parent died before that was set up exits at once.

Standard library only: the standby worker loads it before anything else.
"""

from __future__ import annotations

import gc
import os
import signal
import sys

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def tune_gc() -> None:
    """Collect cyclic garbage less often, as mypy does: a scan allocates millions of small,
    acyclic objects (facts, hits), and the default thresholds rescan them over and over (see
    ``benchmarks/README.md``). Objects from the imports are frozen out of collection, which
    also keeps forked workers from copying their pages."""
    gc.freeze()
    gc.set_threshold(100_000, 50, 50)


def die_with_parent(parent: int) -> None:
    """Have this process killed when ``parent`` (the pid that forked it) ends."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):  # no libc to call: the parent's shutdown still ends us
            pass
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)


def worker_init(parent: int | None = None) -> None:
    """Signals in a worker process; it dies with ``parent``, the process that forked it."""
    if parent is not None:
        die_with_parent(parent)
    signal.signal(signal.SIGPROF, signal.SIG_DFL)  # the hard limit ends the worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the parent's handler is not ours
