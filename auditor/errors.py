"""Errors the auditor reports to users as one line, with their exit codes."""

from __future__ import annotations

EXIT_OK = 0
EXIT_GATE_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


class AuditorError(Exception):
    """A problem with the user's input: printed as one line, exit code 2."""

    exit_code = EXIT_USAGE


class ConfigError(AuditorError):
    """A checklist, rule or config file that is malformed; the message names file, line and column."""
