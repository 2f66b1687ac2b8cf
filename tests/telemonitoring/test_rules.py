"""The exact rule semantics of DESIGN §5, at the edges, with properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from telemonitoring.rules import (
    CRITICAL,
    WARNING,
    Bounds,
    Change,
    bounds_level,
    change_breached,
    convert,
    missing_breached,
)

T0 = datetime(2026, 1, 1, 8, tzinfo=UTC)
SYS = Bounds(warn_low=D(90), warn_high=D(160), crit_low=D(80), crit_high=D(180))


@pytest.mark.parametrize(("value", "level"), [
    ("159", None), ("160", WARNING), ("179.9", WARNING), ("180", CRITICAL), ("250", CRITICAL),
    ("91", None), ("90", WARNING), ("80.1", WARNING), ("80", CRITICAL), ("60", CRITICAL),
])
def test_bounds_are_inclusive(value, level):
    assert bounds_level(D(value), SYS) == level


def test_one_sided_bounds():
    spo2 = Bounds(warn_low=D(92), crit_low=D(88))
    assert bounds_level(D(100), spo2) is None
    assert bounds_level(D(92), spo2) == WARNING
    assert bounds_level(D(88), spo2) == CRITICAL


HF = Change(amount=D("2.0"), window=timedelta(hours=72))


def test_weight_plus_2kg_in_72h():
    history = [(T0, D("70.0")), (T0 + timedelta(hours=24), D("70.8"))]
    assert change_breached((T0 + timedelta(hours=72), D("72.0")), history, HF)
    assert not change_breached((T0 + timedelta(hours=72), D("71.9")), history, HF)


def test_window_is_inclusive_at_its_start():
    history = [(T0, D("70.0"))]
    assert change_breached((T0 + timedelta(hours=72), D("72.0")), history, HF)
    # One second later the low reading has left the window.
    assert not change_breached((T0 + timedelta(hours=72, seconds=1), D("72.0")), history, HF)


def test_change_uses_the_lowest_reading_in_the_window_not_the_first():
    history = [(T0, D("71.5")), (T0 + timedelta(hours=10), D("69.9")),
               (T0 + timedelta(hours=20), D("71.0"))]
    assert change_breached((T0 + timedelta(hours=30), D("71.9")), history, HF)


def test_fall_uses_the_highest():
    fall = Change(amount=D(5), window=timedelta(days=7), direction="fall")
    history = [(T0, D(80)), (T0 + timedelta(days=2), D(84))]
    assert change_breached((T0 + timedelta(days=3), D(79)), history, fall)
    assert not change_breached((T0 + timedelta(days=3), D("79.1")), history, fall)


def test_missing_data_strictly_after_the_tolerance():
    day = timedelta(hours=24)
    assert not missing_breached(T0, T0, T0 + timedelta(hours=48), day)
    assert missing_breached(T0, T0, T0 + timedelta(hours=48, seconds=1), day)
    assert not missing_breached(None, T0, T0 + timedelta(hours=47), day)


def test_glucose_mmol_is_converted():
    assert convert(D("5.55"), "mmol/L", target="g/L") == D("1.00")
    with pytest.raises(ValueError):
        convert(D(1), "mg/dL", target="g/L")


values = st.decimals(min_value=20, max_value=300, places=1)


@given(values, values)
def test_property_bounds_are_monotonic(a, b):
    """A value further from the normal range never gets a lower level."""
    levels = {None: 0, WARNING: 1, CRITICAL: 2}
    hi, lo = max(a, b), min(a, b)
    if lo >= 120:
        assert levels[bounds_level(hi, SYS)] >= levels[bounds_level(lo, SYS)]


@given(st.lists(st.tuples(st.integers(0, 200), st.decimals(min_value=50, max_value=90, places=1)),
                max_size=20), st.decimals(min_value=50, max_value=90, places=1))
def test_property_evaluating_twice_is_once_and_order_does_not_matter(points, last):
    history = [(T0 + timedelta(hours=h), v) for h, v in points]
    latest = (T0 + timedelta(hours=200), last)
    first = change_breached(latest, history, HF)
    assert first == change_breached(latest, list(reversed(history)), HF)
    assert first == change_breached(latest, history, HF)
