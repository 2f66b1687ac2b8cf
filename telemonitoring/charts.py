"""Server-rendered SVG charts of readings with their thresholds as bands and alerts marked.
No JavaScript, no CDN; numbers only reach the markup, every text is escaped."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from html import escape

from constel import dates


def svg_chart(*, title: str, unit: str, points: Sequence[tuple[datetime, Decimal]],
              warn: tuple[Decimal | None, Decimal | None] = (None, None),
              crit: tuple[Decimal | None, Decimal | None] = (None, None),
              alerts: Sequence[datetime] = (), width: int = 640, height: int = 220) -> str:
    """A line chart; warning and critical zones shaded; alert times marked with a ▲ and
    described in the text alternative (no information by colour alone)."""
    if not points:
        return ""
    pad_l, pad_r, pad_t, pad_b = 48, 12, 24, 28
    times = [dates.local_time(t) for t, _v in points]
    values = [float(v) for _t, v in points]
    bounds = [float(b) for b in (*warn, *crit) if b is not None]
    lo = min(values + bounds) if bounds else min(values)
    hi = max(values + bounds) if bounds else max(values)
    span = (hi - lo) or 1.0
    lo, hi = lo - span * 0.08, hi + span * 0.08
    t0, t1 = min(times), max(times)
    tspan = (t1 - t0).total_seconds() or 1.0

    def x(t: datetime) -> float:
        return pad_l + (dates.local_time(t) - t0).total_seconds() / tspan * (
            width - pad_l - pad_r)

    def y(v: float) -> float:
        return pad_t + (hi - v) / (hi - lo) * (height - pad_t - pad_b)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'class="chart" role="img" aria-labelledby="t-{id(points)}">',
             f'<title id="t-{id(points)}">{escape(title)} ({escape(unit)}), '
             f'{len(points)} mesures, {len(alerts)} alerte(s)</title>']
    top, bottom = pad_t, height - pad_b
    plot_w = width - pad_l - pad_r
    # Warning zones first, critical zones drawn over them.
    for (low, high), css in ((warn, "zone-warn"), (crit, "zone-crit")):
        if high is not None:
            parts.append(f'<rect class="{css}" x="{pad_l}" y="{top}" width="{plot_w}"'
                         f' height="{max(0.0, y(float(high)) - top):.1f}"/>')
        if low is not None:
            yl = y(float(low))
            parts.append(f'<rect class="{css}" x="{pad_l}" y="{yl:.1f}" '
                         f'width="{plot_w}" height="{max(0.0, bottom - yl):.1f}"/>')
    for value in (lo + (hi - lo) * k / 4 for k in range(5)):
        parts.append(f'<text class="axis" x="{pad_l - 6}" y="{y(value) + 4:.1f}" '
                     f'text-anchor="end">{value:.0f}</text>')
    parts.append(f'<text class="axis" x="{pad_l}" y="{height - 8}">{t0:%d/%m}</text>')
    parts.append(f'<text class="axis" x="{width - pad_r}" y="{height - 8}" '
                 f'text-anchor="end">{t1:%d/%m}</text>')
    line = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in zip(times, values, strict=True))
    parts.append(f'<polyline class="series" points="{line}"/>')
    for t, v in zip(times, values, strict=True):
        parts.append(f'<circle class="dot" cx="{x(t):.1f}" cy="{y(v):.1f}" r="2.5"/>')
    for at in alerts:
        if t0 <= dates.local_time(at) <= t1:
            parts.append(f'<text class="alert-mark" x="{x(at):.1f}" y="{pad_t - 6}" '
                         f'text-anchor="middle">▲</text>')
    parts.append("</svg>")
    return "".join(parts)
