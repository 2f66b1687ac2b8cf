"""Telefollow-up rule semantics (DESIGN §5). Pure functions: no ORM, no clock.

- Absolute bounds, inclusive: value ≥ upper or ≤ lower warning bound → warning; ≥ / ≤ the
  critical bound → critical.
- Change over a window: latest minus the lowest reading (rise; highest for a fall) measured
  within the rolling window ending at the latest reading's time (window inclusive), compared
  with ≥ the amount.
- Missing data: no reading for *longer than* the expected interval × tolerance (default 2: a
  daily indicator alerts after more than 48 h).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

WARNING = "warning"
CRITICAL = "critical"
LEVELS = {None: 0, WARNING: 1, CRITICAL: 2}


def worst(a: str | None, b: str | None) -> str | None:
    return a if LEVELS[a] >= LEVELS[b] else b


@dataclass(frozen=True)
class Bounds:
    warn_low: Decimal | None = None
    warn_high: Decimal | None = None
    crit_low: Decimal | None = None
    crit_high: Decimal | None = None


def bounds_level(value: Decimal, b: Bounds) -> str | None:
    if (b.crit_high is not None and value >= b.crit_high) or (
            b.crit_low is not None and value <= b.crit_low):
        return CRITICAL
    if (b.warn_high is not None and value >= b.warn_high) or (
            b.warn_low is not None and value <= b.warn_low):
        return WARNING
    return None


@dataclass(frozen=True)
class Change:
    amount: Decimal
    window: timedelta
    direction: str = "rise"  # or "fall"
    level: str = WARNING


def change_breached(latest: tuple[datetime, Decimal],
                    history: Iterable[tuple[datetime, Decimal]], rule: Change) -> bool:
    """``history`` may include readings outside the window and ``latest`` itself."""
    at, value = latest
    start = at - rule.window
    inside = [v for t, v in history if start <= t <= at] + [value]
    if rule.direction == "rise":
        return value - min(inside) >= rule.amount
    return max(inside) - value >= rule.amount


def missing_breached(last_measured_at: datetime | None, since: datetime, now: datetime,
                     expected_interval: timedelta, tolerance: Decimal = Decimal(2)) -> bool:
    """``since``: when the rule started (no reading yet counts from there)."""
    reference = last_measured_at or since
    return now - reference > expected_interval * float(tolerance)


def convert(value: Decimal, unit: str, *, target: str) -> Decimal:
    """Units the portal accepts besides the indicator's own (glucose: 1 g/L = 5.55 mmol/L)."""
    if unit == target:
        return value
    if (unit, target) == ("mmol/L", "g/L"):
        return (value / Decimal("5.55")).quantize(Decimal("0.01"))
    raise ValueError(f"{unit} cannot be converted to {target}")
