"""Charts drawn on the server as SVG markup: no JavaScript, nothing fetched, every label escaped.

Each function is pure (numbers and words in, :class:`~markupsafe.Markup` out) so the same chart can go
into a console page or a PDF. Every chart is an ``<svg role="img">`` named by its ``<title>`` and
``<desc>``; every bar carries its own ``<title>``, which browsers show as a tooltip.

The Content-Security-Policy forbids ``style`` attributes, so colours are presentation attributes
(``fill``), which it allows, and sizes come from the ``viewBox`` (the stylesheet scales the SVG to its box).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from markupsafe import Markup, escape

MUTED = "#5c6578"
GRID = "#e6e9ef"
TRACK = "#eef1f6"


@dataclass(frozen=True, slots=True)
class Series:
    """One stacked layer: its key in each bucket's values, its name in the legend and its colour."""

    key: str
    label: str
    color: str


@dataclass(frozen=True, slots=True)
class Bucket:
    """One bar: the short label under it, the full name in its tooltip, and a value per series key."""

    label: str
    title: str
    values: Mapping[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.values.values())


@dataclass(frozen=True, slots=True)
class BarItem:
    """One row of a horizontal bar chart; ``note`` is added to its tooltip (for example a rate)."""

    label: str
    value: float
    note: str = ""


def nice_scale(value: float, max_ticks: int = 6) -> tuple[int, int]:
    """An axis maximum and a whole tick step for counts up to ``value``: the step is 1, 2 or 5 times a power
    of ten, the smallest that needs at most ``max_ticks`` steps; the maximum is the first step at or above
    ``value``."""
    value = max(value, 1.0)
    power = 10 ** max(math.floor(math.log10(value / max_ticks)), 0) if value > max_ticks else 1
    for multiplier in (1, 2, 5, 10, 20, 50):
        step = multiplier * power
        if math.ceil(value / step) <= max_ticks:
            return step * math.ceil(value / step), step
    return 100 * power * math.ceil(value / (100 * power)), 100 * power  # pragma: no cover - unreachable


def format_number(value: float) -> str:
    """Integers without decimals, thousands grouped; other numbers with one decimal."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}"


def _svg(ident: str, title: str, description: str, width: float, height: float, body: list[str]) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:g} {height:g}" role="img" '
        f'aria-labelledby="{escape(ident)}-title {escape(ident)}-desc" class="chart-svg">'
        f'<title id="{escape(ident)}-title">{escape(title)}</title>'
        f'<desc id="{escape(ident)}-desc">{escape(description)}</desc>'
    )
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704 -- every text and attribute was escaped


def _text(x: float, y: float, text: str, *, anchor: str = "start", css: str = "", weight: str = "") -> str:
    extra = f' class="{escape(css)}"' if css else ""
    extra += f' font-weight="{escape(weight)}"' if weight else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{extra}>{escape(text)}</text>'


def text_width(text: str, size: float = 11.0) -> float:
    """About how wide ``text`` is drawn at ``size`` px: CJK characters are about square, Latin about half."""
    return sum(size if ord(ch) > 0x2E80 else size * 0.58 for ch in text)


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 1, 1)] + "…"


def stacked_bars(
    buckets: Sequence[Bucket],
    series: Sequence[Series],
    *,
    ident: str,
    title: str,
    description: str = "",
    width: int = 720,
    height: int = 260,
    max_labels: int = 12,
) -> Markup:
    """A stacked bar per bucket (one ``<g class="bar">`` each, empty buckets included), with a y axis,
    gridlines, a legend and a tooltip per bar and per layer."""
    left, right, top, bottom = 44.0, 8.0, 30.0, 26.0
    plot_w = width - left - right
    plot_h = height - top - bottom
    peak, step = nice_scale(max((bucket.total for bucket in buckets), default=0))
    body: list[str] = []
    # Legend across the top, in stacking order.
    x = left
    for layer in series:
        body.append(f'<rect x="{x:.1f}" y="8" width="10" height="10" rx="2" fill="{escape(layer.color)}"/>')
        body.append(_text(x + 14, 17, layer.label, css="legend"))
        x += 14 + text_width(layer.label) + 16
    # Gridlines and y ticks at whole steps.
    for tick in range(peak // step + 1):
        value = tick * step
        y = top + plot_h - plot_h * value / peak
        body.append(
            f'<line x1="{left:.1f}" x2="{width - right:.1f}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        body.append(_text(left - 6, y + 4, format_number(value), anchor="end", css="axis"))
    count = max(len(buckets), 1)
    slot = plot_w / count
    bar_w = max(slot * 0.72, 1.0)
    every = max(math.ceil(len(buckets) / max_labels), 1)
    for index, bucket in enumerate(buckets):
        x = left + index * slot + (slot - bar_w) / 2
        parts = [f'<g class="bar" data-bucket="{index}" data-total="{bucket.total}">']
        parts.append(f"<title>{escape(bucket.title)}: {escape(format_number(bucket.total))}</title>")
        base = top + plot_h
        for layer in series:
            value = bucket.values.get(layer.key, 0)
            if value <= 0:
                continue
            h = plot_h * value / peak
            base -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{base:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{escape(layer.color)}">'
                f"<title>{escape(bucket.title)} · {escape(layer.label)}: {escape(format_number(value))}</title></rect>"
            )
        parts.append("</g>")
        body.append("".join(parts))
        if index % every == 0:
            body.append(_text(x + bar_w / 2, height - 8, bucket.label, anchor="middle", css="axis"))
    body.append(
        f'<line x1="{left:.1f}" x2="{width - right:.1f}" y1="{top + plot_h:.1f}" y2="{top + plot_h:.1f}" '
        f'stroke="{MUTED}" stroke-width="1"/>'
    )
    return _svg(ident, title, description, width, height, body)


def horizontal_bars(
    items: Sequence[BarItem],
    *,
    ident: str,
    title: str,
    description: str = "",
    color: str = "#1f5fbf",
    width: int = 440,
    row_height: int = 26,
    label_width: int = 170,
    max_label_chars: int = 24,
) -> Markup:
    """One labelled bar per item, longest first as given, with its value at the bar's end."""
    value_w = 56.0
    bar_room = width - label_width - value_w - 8
    height = max(len(items), 1) * row_height + 8
    peak = max((item.value for item in items), default=0) or 1
    body: list[str] = []
    for index, item in enumerate(items):
        y = 4 + index * row_height
        bar_w = max(bar_room * item.value / peak, 2.0 if item.value > 0 else 0.0)
        tooltip = f"{item.label}: {format_number(item.value)}" + (f" ({item.note})" if item.note else "")
        body.append(
            f'<g class="hbar" data-value="{escape(format_number(item.value))}"><title>{escape(tooltip)}</title>'
            + _text(label_width - 8, y + row_height / 2 + 4, _truncate(item.label, max_label_chars), anchor="end")
            + f'<rect x="{label_width:.1f}" y="{y + 4:.1f}" width="{bar_room:.1f}" height="{row_height - 8:.1f}" '
            f'rx="3" fill="{TRACK}"/>'
            + f'<rect x="{label_width:.1f}" y="{y + 4:.1f}" width="{bar_w:.1f}" height="{row_height - 8:.1f}" '
            f'rx="3" fill="{escape(color)}"/>'
            + _text(label_width + bar_room + 6, y + row_height / 2 + 4, format_number(item.value), css="value")
            + "</g>"
        )
    return _svg(ident, title, description, width, height, body)


def time_bar(
    fraction: float,
    *,
    ident: str,
    title: str,
    description: str = "",
    start_label: str = "",
    end_label: str = "",
    marker_label: str = "",
    color: str = "#1f5fbf",
    width: int = 640,
) -> Markup:
    """How much of a span of time has passed (``fraction`` of it; above 1 when it has run out), as a
    filled track with a marker at now and the span's ends labelled."""
    height = 46.0
    left, right = 4.0, 4.0
    track_w = width - left - right
    shown = min(max(fraction, 0.0), 1.0)
    x_now = left + track_w * shown
    anchor = "end" if shown > 0.85 else "start" if shown < 0.15 else "middle"
    body = [
        f'<rect x="{left:.1f}" y="18" width="{track_w:.1f}" height="12" rx="6" fill="{TRACK}"/>',
        f'<rect class="elapsed" x="{left:.1f}" y="18" width="{track_w * shown:.1f}" height="12" rx="6" '
        f'fill="{escape(color)}"><title>{escape(marker_label)}</title></rect>',
        f'<line x1="{x_now:.1f}" x2="{x_now:.1f}" y1="14" y2="34" stroke="#1d2433" stroke-width="2"/>',
        _text(x_now, 11, marker_label, anchor=anchor, css="marker", weight="600"),
        _text(left, height - 2, start_label, css="axis"),
        _text(width - right, height - 2, end_label, anchor="end", css="axis"),
    ]
    return _svg(ident, title, description, width, height, body)
