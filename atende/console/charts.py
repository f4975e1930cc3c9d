"""Charts drawn on the server as inline SVG: bar, stacked bar and line.

Why ours and not a JavaScript chart library: the console has no JS build and a strict CSP (``script-src
'self'``, no inline styles), an SVG is printable and readable without scripts, and a chart is a string a test
can parse. Colours and sizes are SVG presentation attributes, which the CSP allows (inline ``style=`` is
not used). Every chart carries ``<title>`` and ``<desc>`` (``role="img"``, ``aria-labelledby``), axis labels,
and a legend for its series; the numbers themselves are one click away in the chart's CSV.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from itertools import count

#: Colour-blind-safe categorical palette (Okabe-Ito), in series order.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
           "#999999", "#8C564B", "#7F3C8D", "#11A579")
WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 64
_ids = count(1)


@dataclass(frozen=True, slots=True)
class Axes:
    """The words around a chart: its title and description (for screen readers) and the axis labels."""

    title: str
    desc: str
    x_label: str
    y_label: str


def bar(
    axes: Axes, labels: Sequence[str], values: Sequence[float | None], *, percent: bool = False,
    missing: str = "n/a",
) -> str:
    """One bar per label; a ``None`` value (a rate without a denominator) is marked ``missing``, not 0."""
    return stacked_bar(axes, labels, {"": values}, percent=percent, legend=False, missing=missing)


def stacked_bar(
    axes: Axes,
    labels: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    *,
    percent: bool = False,
    legend: bool = True,
    missing: str = "n/a",
) -> str:
    """One bar per label, the series stacked in it (in the mapping's order). A label whose every value is
    ``None`` has no data at all: it gets the ``missing`` mark instead of an empty slot that reads as 0."""
    totals = [sum(float(s[i] or 0) for s in series.values()) for i in range(len(labels))]
    top = 1.0 if percent else _nice(max(totals, default=0.0))
    plot = _Plot(axes, labels, top, percent)
    slot = plot.w / max(len(labels), 1)
    width = max(slot * 0.7, 1.0)
    parts: list[str] = []
    for i in range(len(labels)):
        base = 0.0
        if series and all(s[i] is None for s in series.values()):
            parts.append(
                f'<text x="{plot.x0 + (i + 0.5) * slot:.1f}" y="{plot.y0 - 6}" text-anchor="middle" '
                f'font-size="11" class="chart-missing">{escape(missing)}</text>'
            )
            continue
        for n, (name, values) in enumerate(series.items()):
            v = float(values[i] or 0)
            if v <= 0:
                continue
            y0, y1 = plot.y(base), plot.y(base + v)
            label = f"{name + ', ' if name else ''}{labels[i]}: {_fmt(v, percent)}"
            parts.append(
                f'<rect x="{plot.x0 + i * slot + (slot - width) / 2:.1f}" y="{y1:.1f}" width="{width:.1f}" '
                f'height="{max(y0 - y1, 0.5):.1f}" fill="{PALETTE[n % len(PALETTE)]}">'
                f"<title>{escape(label)}</title></rect>"
            )
            base += v
    return plot.svg("chart-bar", parts, list(series) if legend else [])


def line(
    axes: Axes, labels: Sequence[str], series: Mapping[str, Sequence[float | None]], *, percent: bool = False
) -> str:
    """One line per series; a ``None`` value (a rate without a denominator) breaks the line."""
    peak = max((float(v) for s in series.values() for v in s if v is not None), default=0.0)
    top = 1.0 if percent else _nice(peak)
    plot = _Plot(axes, labels, top, percent)
    slot = plot.w / max(len(labels), 1)
    parts: list[str] = []
    for n, (name, values) in enumerate(series.items()):
        colour = PALETTE[n % len(PALETTE)]
        runs: list[list[str]] = [[]]
        for i, v in enumerate(values):
            if v is None:
                runs.append([])
                continue
            x, y = plot.x0 + (i + 0.5) * slot, plot.y(float(v))
            runs[-1].append(f"{x:.1f},{y:.1f}")
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}">'
                f"<title>{escape(f'{name}, {labels[i]}: {_fmt(float(v), percent)}')}</title></circle>"
            )
        for run in runs:
            if len(run) > 1:
                parts.append(
                    f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" stroke-width="2"/>'
                )
    return plot.svg("chart-line", parts, list(series))


class _Plot:
    """The frame every chart shares: axes, grid, ticks, labels and legend."""

    def __init__(self, axes: Axes, labels: Sequence[str], top: float, percent: bool) -> None:
        self.axes, self.labels, self.top, self.percent = axes, labels, top or 1.0, percent
        self.x0, self.y0 = LEFT, HEIGHT - BOTTOM
        self.w, self.h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y(self, value: float) -> float:
        return self.y0 - self.h * value / self.top

    def svg(self, kind: str, body: list[str], legend: list[str]) -> str:
        uid = next(_ids)
        title_id, desc_id = f"chart-{uid}-title", f"chart-{uid}-desc"
        keys, x, row = [], float(self.x0), 0
        for n, name in enumerate(legend):  # the legend wraps onto more rows; the picture grows to fit
            width = 24 + 7 * len(name)
            if x + width > WIDTH - RIGHT and x > self.x0:
                x, row = float(self.x0), row + 1
            y = HEIGHT - 14 + 14 * row
            keys.append(
                f'<rect x="{x:.1f}" y="{y}" width="10" height="10" fill="{PALETTE[n % len(PALETTE)]}"/>'
                f'<text x="{x + 14:.1f}" y="{y + 9}" font-size="11">{escape(name)}</text>'
            )
            x += width
        out = [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {kind}" '
            f'viewBox="0 0 {WIDTH} {HEIGHT + 14 * row}" '
            f'role="img" aria-labelledby="{title_id} {desc_id}">',
            f'<title id="{title_id}">{escape(self.axes.title)}</title>',
            f'<desc id="{desc_id}">{escape(self.axes.desc)}</desc>',
        ]
        for k in range(5):
            value = self.top * k / 4
            y = self.y(value)
            out.append(
                f'<line x1="{self.x0}" x2="{self.x0 + self.w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d0d7de"/>'
                f'<text x="{self.x0 - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">'
                f"{escape(_fmt(value, self.percent))}</text>"
            )
        slot = self.w / max(len(self.labels), 1)
        every = max(1, math.ceil(len(self.labels) / 12))  # at most ~12 labels under the axis
        for i, label in enumerate(self.labels):
            if i % every == 0:
                x = self.x0 + (i + 0.5) * slot
                out.append(
                    f'<text x="{x:.1f}" y="{self.y0 + 16}" text-anchor="middle" font-size="11">'
                    f"{escape(_short(label))}</text>"
                )
        out.extend(body)
        out.append(
            f'<line x1="{self.x0}" x2="{self.x0 + self.w}" y1="{self.y0}" y2="{self.y0}" stroke="#57606a"/>'
            f'<text x="{self.x0 + self.w / 2:.1f}" y="{self.y0 + 34}" text-anchor="middle" font-size="12" '
            f'class="axis-label">{escape(self.axes.x_label)}</text>'
            f'<text x="14" y="{TOP + self.h / 2:.1f}" text-anchor="middle" font-size="12" class="axis-label" '
            f'transform="rotate(-90 14 {TOP + self.h / 2:.1f})">{escape(self.axes.y_label)}</text>'
        )
        out.extend(keys)
        out.append("</svg>")
        return "".join(out)


def _nice(peak: float) -> float:
    """A round top for the y axis: four ticks of 1, 2, 2.5 or 5 x 10^n (at least 1) reaching ``peak``."""
    exponent = 10 ** max(0, math.floor(math.log10(peak / 4))) if peak > 4 else 1
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if 4 * step * exponent >= peak:
            return 4 * step * exponent
    return 40.0 * exponent


def _fmt(value: float, percent: bool) -> str:
    if percent:
        return f"{value * 100:.0f}%"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _short(label: str) -> str:
    """Dates print as MM-DD under the axis (the title says the year); other labels are cut at 12."""
    if len(label) == 10 and label[4] == "-" and label[7] == "-":
        return label[5:]
    return label if len(label) <= 12 else label[:11] + "…"
