"""A progress bar on stderr for large scans, drawn only when stderr is a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO

MIN_FILES = 300


class ProgressBar:
    """``progress(done, total)`` callable for ``scan``: draws ``[####....] done/total files`` on one line.

    Silent when the stream is not a TTY or the scan has fewer than ``min_files`` files; redraws
    at most ten times a second; ``close()`` ends the line.
    """

    def __init__(self, stream: TextIO | None = None, min_files: int = MIN_FILES, width: int = 30,
                 force: bool = False) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.min_files = min_files
        self.width = width
        self.enabled = force or bool(getattr(self.stream, "isatty", lambda: False)())
        self.drawn = False
        self._last = 0.0

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total < self.min_files:
            return
        now = time.monotonic()
        if done < total and now - self._last < 0.1:
            return
        self._last = now
        filled = int(self.width * done / total) if total else self.width
        bar = "#" * filled + "." * (self.width - filled)
        self.stream.write(f"\rscanning [{bar}] {done}/{total} files")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False
