"""Dispatch from a format name to its view, and writing several outputs from one scan.

``render_report`` is the one place the CLI asks for a format; ``OUTPUT_OPTIONS`` lists the
``--output-FORMAT FILE`` options of ``auditor scan``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from auditor.errors import AuditorError
from auditor.model import Report
from auditor.render.checklist import render_checklist
from auditor.render.html import render_html
from auditor.render.jsonout import render_json
from auditor.render.junit import render_junit
from auditor.render.markdown import render_markdown
from auditor.render.sarif import render_sarif
from auditor.render.text import render_text
from auditor.safewrite import UnsafeWrite, write_text_atomic

FORMAT_NAMES = ("text", "json", "html", "markdown", "sarif", "junit", "checklist")
OUTPUT_OPTIONS = ("html", "sarif", "junit", "json", "markdown", "checklist")


@dataclass
class RenderOptions:
    """What some views need beyond the Report."""

    link_base: str | None = None
    descriptions: dict[str, str] | None = None
    root: Path | None = None
    colour: bool = False
    verbose: bool = False
    compact: bool = False
    prefix: str = ""
    """SARIF: the scanned folder's path in its repository (``services/api/``), put before every path."""
    """Markdown: only the items that changed since the baseline or failed the gate."""


def render_report(fmt: str, report: Report, options: RenderOptions | None = None) -> str:
    """The report in format ``fmt`` (one of FORMAT_NAMES)."""
    o = options or RenderOptions()
    if fmt == "text":
        return render_text(report, colour=o.colour, verbose=o.verbose)
    if fmt == "json":
        return render_json(report)
    if fmt == "html":
        return render_html(report, link_base=o.link_base)
    if fmt == "markdown":
        return render_markdown(report, link_base=o.link_base, compact=o.compact)
    if fmt == "sarif":
        return render_sarif(report, descriptions=o.descriptions, root=o.root, prefix=o.prefix)
    if fmt == "junit":
        return render_junit(report)
    if fmt == "checklist":
        return render_checklist(report)
    raise AuditorError(f"unknown format {fmt!r} (choose from {', '.join(FORMAT_NAMES)})")


def write_text(path: Path, text: str) -> None:
    """Write one output file atomically, never through a symlink; a failure is a one-line
    AuditorError and leaves any previous file as it was."""
    try:
        write_text_atomic(path, text, make_parents=True, streams=True)
    except UnsafeWrite as exc:
        raise AuditorError(str(exc)) from None
    except OSError as exc:
        raise AuditorError(f"{path}: cannot write: {exc.strerror or exc}") from None


def write_outputs(report: Report, outputs: dict[str, Path], options: RenderOptions | None = None) -> None:
    """Write each requested format to its file (formats from OUTPUT_OPTIONS)."""
    for fmt, path in outputs.items():
        write_text(path, render_report(fmt, report, options))


def output_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--link-base`` and one ``--output-FORMAT FILE`` option per format in OUTPUT_OPTIONS (as ``output_FORMAT``)."""
    for fmt in reversed(OUTPUT_OPTIONS):
        func = click.option(f"--output-{fmt}", f"output_{fmt}", type=click.Path(path_type=Path),
                            help=f"Also write the {fmt} report to this file.")(func)
    func = click.option("--compact", is_flag=True,
                        help="Markdown: list only the items that changed since the baseline or fail the gate "
                             "(for a pull-request comment on every push).")(func)
    return click.option("--link-base", metavar="URL",
                        help="Make evidence links in HTML and Markdown: URL + path + '#L' + line "
                             "(e.g. https://github.com/OWNER/REPO/blob/COMMIT).")(func)


def pop_output_options(values: dict[str, Any]) -> tuple[str | None, dict[str, Path]]:
    """Take ``link_base`` and the given ``--output-FORMAT`` files out of a command's keyword arguments."""
    link_base = values.pop("link_base", None)
    outputs = {}
    for fmt in OUTPUT_OPTIONS:
        value = values.pop(f"output_{fmt}", None)
        if value:
            outputs[fmt] = Path(value)
    return link_base, outputs
