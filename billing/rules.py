"""Billing rules as pure functions (DESIGN §7): claim periods, the forfaits an enrollment
owes from its dated events, tariffs in force, remuneration of a session. No database: the
compilation feeds them and can recompute and compare at any time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from constel.dates import add_months

CENT = Decimal("0.01")


def period_containing(day: date, *, anchor: date, calendar: bool = False) -> tuple[date, date]:
    """The six-month claim period holding ``day``: from the anchor every six months (§IV.4,
    Constel'Action: 1 Oct–31 Mar, 1 Apr–30 Sep), or calendar semesters."""
    if calendar:
        start = date(day.year, 1 if day.month <= 6 else 7, 1)
    else:
        months = (day.year - anchor.year) * 12 + day.month - anchor.month
        if day.day < anchor.day:
            months -= 1
        start = add_months(anchor, (months // 6) * 6)
    return start, add_months(start, 6) - timedelta(days=1)


@dataclass(frozen=True)
class Events:
    """The dated events of one enrollment that make forfaits fall due."""

    first_pps_issued: date | None = None
    follow_up_year1_start: date | None = None
    follow_up_year2_start: date | None = None


@dataclass(frozen=True)
class Kind:
    code: str
    group: str  # "" for both
    due_on: str  # an Events field
    instalments: tuple[tuple[int, Decimal], ...] = ((0, Decimal(1)),)


@dataclass(frozen=True)
class TariffVersion:
    code: str
    valid_from: date
    valid_to: date | None
    amount: Decimal


@dataclass(frozen=True)
class Due:
    code: str
    event: str
    instalment: int
    event_on: date
    due_on: date
    group: str
    tariff: Decimal
    share: Decimal
    amount: Decimal


def tariff_on(tariffs: list[TariffVersion], code: str, day: date) -> Decimal | None:
    for t in tariffs:
        if t.code == code and t.valid_from <= day and (t.valid_to is None or day <= t.valid_to):
            return t.amount
    return None


def dues(events: Events, group_on, kinds: list[Kind], tariffs: list[TariffVersion],
         problems: list | None = None) -> list[Due]:
    """What an enrollment owes: for each event that happened, the kind whose group matches
    MONO/POLY on that date (``group_on(day)``), at the tariff in force on that date, split
    into its instalments. No event, no forfait (a patient leaving before the first PPS owes
    nothing); an early exit keeps what already fell due (exit is simply not an event).
    What cannot be priced goes to ``problems`` as (event, day, reason): never silently lost."""
    out = []
    for kind in kinds:
        on = getattr(events, kind.due_on)
        if on is None:
            continue
        group = group_on(on) or ""
        if kind.group and not group:
            if problems is not None and (kind.due_on, on, "group") not in problems:
                problems.append((kind.due_on, on, "group"))
            continue
        if kind.group and kind.group != group:
            continue
        tariff = tariff_on(tariffs, kind.code, on)
        if tariff is None:
            if problems is not None:
                problems.append((kind.due_on, on, f"tariff:{kind.code}"))
            continue
        for number, (offset, share) in enumerate(kind.instalments, start=1):
            out.append(Due(kind.code, kind.due_on, number, on, add_months(on, offset), group,
                           tariff, share, (tariff * share).quantize(CENT, ROUND_HALF_UP)))
    return out


@dataclass(frozen=True)
class Rate:
    profession: str
    valid_from: date | None
    valid_to: date | None
    per_session: Decimal | None
    session_minutes: int | None
    per_hour: Decimal | None


def session_value(rates: list[Rate], profession: str, day: date,
                  minutes: int) -> tuple[Decimal, str] | None:
    """What a session done on ``day`` pays a self-employed professional: the session rate in
    force, else the hourly cost pro rata of the recorded duration; None when the profession
    is not paid from the forfaits (salaried staff, specialists)."""
    def in_force(r: Rate) -> bool:
        return ((r.valid_from is None or r.valid_from <= day)
                and (r.valid_to is None or day <= r.valid_to))

    mine = [r for r in rates if r.profession == profession and in_force(r)]
    for r in mine:
        if r.per_session is not None:
            return r.per_session, f"{r.per_session} € / séance"
    for r in mine:
        if r.per_hour is not None:
            amount = (r.per_hour * minutes / 60).quantize(CENT, ROUND_HALF_UP)
            return amount, f"{r.per_hour} €/h × {minutes} min"
    return None
