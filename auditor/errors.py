"""Errors the auditor reports to users as one line, with their exit codes."""

from __future__ import annotations

from collections.abc import Iterable

EXIT_OK = 0
EXIT_GATE_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


class AuditorError(Exception):
    """A problem with the user's input: printed as one line, exit code 2."""

    exit_code = EXIT_USAGE


class ConfigError(AuditorError):
    """A checklist, rule or config file that is malformed; the message names file, line and column."""


def did_you_mean(value: object, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` naming the valid choice closest to a wrong value, or "" when none is close."""
    import difflib

    close = difflib.get_close_matches(str(value), list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled as Ctrl-C is: the scan stops and its worker processes with it."""
