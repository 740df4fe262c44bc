"""Inline SVG charts for the dashboard: score lines over runs and per-service sparklines (no scripts, no CDN)."""

from __future__ import annotations

from html import escape

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#393b79", "#637939")


def _points(values: list[float | None], width: float, height: float, left: float, top: float) -> list[str]:
    """Polyline segments (runs of known values) scaled into the plot box."""
    n = len(values)
    step = width / (n - 1) if n > 1 else 0.0
    segments: list[str] = []
    current: list[str] = []
    for i, v in enumerate(values):
        if v is None:
            if current:
                segments.append(" ".join(current))
                current = []
            continue
        x = left + (i * step if n > 1 else width / 2)
        y = top + height * (1 - v)
        current.append(f"{x:.1f},{y:.1f}")
    if current:
        segments.append(" ".join(current))
    return segments


def sparkline(values: list[float | None], width: int = 90, height: int = 18) -> str:
    """A small score line (0 to 100%) over the runs; empty when there is nothing to draw."""
    if not any(v is not None for v in values):
        return ""
    lines = "".join(f'<polyline points="{p}"/>' if " " in p else
                    f'<circle cx="{p.split(",")[0]}" cy="{p.split(",")[1]}" r="1.5"/>'
                    for p in _points(values, width - 2, height - 2, 1, 1))
    return (f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'role="img" aria-label="score trend">{lines}</svg>')


def line_chart(title: str, series: dict[str, list[float | None]], labels: list[str], width: int = 560,
               height: int = 220) -> str:
    """Score lines (0 to 100%) per series over the runs, with axes and a legend."""
    left, top, right, bottom = 40, 24, 10, 28
    pw, ph = width - left - right, height - top - bottom
    parts = [f'<svg class="chart" width="{width}" height="{height + 16 * ((len(series) + 2) // 3)}" '
             f'role="img" aria-label="{escape(title)}"><text x="{left}" y="14" class="ct">{escape(title)}</text>']
    for frac in (0, 0.5, 1):
        y = top + ph * (1 - frac)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + pw}" y2="{y:.1f}" class="grid"/>'
                     f'<text x="{left - 4}" y="{y + 4:.1f}" class="ax" text-anchor="end">{frac:.0%}</text>')
    if labels:
        for i in sorted({0, len(labels) - 1}):
            x = left + (pw * i / (len(labels) - 1) if len(labels) > 1 else pw / 2)
            parts.append(f'<text x="{x:.1f}" y="{top + ph + 16}" class="ax" text-anchor="middle">'
                         f'{escape(labels[i])}</text>')
    for k, (name, values) in enumerate(series.items()):
        colour = PALETTE[k % len(PALETTE)]
        for seg in _points(values, pw, ph, left, top):
            if " " in seg:
                parts.append(f'<polyline points="{seg}" fill="none" stroke="{colour}" stroke-width="1.6"/>')
            else:
                cx, cy = seg.split(",")
                parts.append(f'<circle cx="{cx}" cy="{cy}" r="2.5" fill="{colour}"/>')
        lx, ly = left + (k % 3) * (pw / 3), height + 12 + 16 * (k // 3)
        last = next((v for v in reversed(values) if v is not None), None)
        shown = f" {last:.0%}" if last is not None else ""
        parts.append(f'<rect x="{lx:.1f}" y="{ly - 9}" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{lx + 14:.1f}" y="{ly}" class="lg">{escape(name[:28])}{shown}</text>')
    parts.append("</svg>")
    return "".join(parts)
