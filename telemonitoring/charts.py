"""Server-rendered SVG charts of readings with their thresholds as bands and alerts marked.
No JavaScript, no CDN; numbers only reach the markup, every text is escaped."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from html import escape

from django.utils.formats import number_format
from django.utils.translation import ngettext

from constel import dates


def _nice(x: float, *, round_: bool) -> float:
    """A "nice" number near ``x``: 1, 2 or 5 times a power of ten (Heckbert, Graphics Gems)."""
    exp = math.floor(math.log10(x))
    f = x / 10 ** exp
    if round_:
        nice = 1 if f < 1.5 else 2 if f < 3 else 5 if f < 7 else 10
    else:
        nice = 1 if f <= 1 else 2 if f <= 2 else 5 if f <= 5 else 10
    return nice * 10 ** exp


def nice_ticks(lo: float, hi: float, count: int = 5) -> tuple[list[float], int]:
    """Axis ticks at round values covering [lo, hi] (about ``count`` of them) and the
    decimals they need: 0,3–2,1 g/L gives 0 0,5 1 1,5 2 2,5 (one decimal); 72–89 kg gives
    70 75 80 85 90."""
    if hi < lo:
        lo, hi = hi, lo
    if hi == lo:
        lo, hi = lo - (abs(lo) * 0.1 or 1), hi + (abs(hi) * 0.1 or 1)
    step = _nice(_nice(hi - lo, round_=False) / (count - 1), round_=True)
    first, last = math.floor(lo / step) * step, math.ceil(hi / step) * step
    decimals = max(0, -math.floor(math.log10(step)))
    n = round((last - first) / step)
    return [round(first + k * step, decimals) for k in range(n + 1)], decimals


def tick_label(value: float, decimals: int) -> str:
    """A tick the reader's way: French decimal comma, no useless zero ("0,5 1 1,5 2")."""
    exact = Decimal(f"{value:.{decimals}f}").normalize()
    return number_format(exact, decimal_pos=max(0, -exact.as_tuple().exponent))


def _zones(warn, crit, y, *, left: float, top: float, bottom: float, width: float) -> list[str]:
    """The warning zones, then the critical zones drawn over them."""
    out = []
    for (low, high), css in ((warn, "zone-warn"), (crit, "zone-crit")):
        if high is not None:
            out.append(f'<rect class="{css}" x="{left}" y="{top}" width="{width}"'
                       f' height="{max(0.0, y(float(high)) - top):.1f}"/>')
        if low is not None:
            yl = y(float(low))
            out.append(f'<rect class="{css}" x="{left}" y="{yl:.1f}" '
                       f'width="{width}" height="{max(0.0, bottom - yl):.1f}"/>')
    return out


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
    ticks, decimals = nice_ticks(min(values + bounds), max(values + bounds))
    lo, hi = ticks[0], ticks[-1]
    t0, t1 = min(times), max(times)
    tspan = (t1 - t0).total_seconds() or 1.0

    def x(t: datetime) -> float:
        return pad_l + (dates.local_time(t) - t0).total_seconds() / tspan * (
            width - pad_l - pad_r)

    def y(v: float) -> float:
        return pad_t + (hi - v) / (hi - lo) * (height - pad_t - pad_b)

    label = ngettext("%(title)s (%(unit)s), %(n)s readings, %(a)s alert",
                     "%(title)s (%(unit)s), %(n)s readings, %(a)s alerts", len(alerts)) % {
        "title": title, "unit": unit, "n": len(points), "a": len(alerts)}
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'class="chart" role="img" aria-labelledby="t-{id(points)}">',
             f'<title id="t-{id(points)}">{escape(label)}</title>']
    parts += _zones(warn, crit, y, left=pad_l, top=pad_t, bottom=height - pad_b,
                    width=width - pad_l - pad_r)
    for value in ticks:  # gridlines at round values, labelled with the right decimals
        parts.append(f'<line class="grid" x1="{pad_l}" x2="{width - pad_r}" '
                     f'y1="{y(value):.1f}" y2="{y(value):.1f}"/>')
        parts.append(f'<text class="axis" x="{pad_l - 6}" y="{y(value) + 4:.1f}" '
                     f'text-anchor="end">{tick_label(value, decimals)}</text>')
    parts.append(f'<text class="axis unit" x="{pad_l - 6}" y="{pad_t - 10}" '
                 f'text-anchor="end">{escape(unit)}</text>')
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
