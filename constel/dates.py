"""Which day it is: every conversion of an instant to a day goes through here.

Datetimes are stored aware (UTC). A *day* — a validity window, "not before the enrollment",
"not in the future", a forfait's due date, a claim period, a missing-data interval, the
reminder of the evening before, a month on a dashboard — is a day in the programme's time
zone (``Tenant.time_zone``, default Europe/Paris; a DOM-TOM programme has its own). Never
``aware.date()`` (that is the day in UTC: between midnight and 01:00 or 02:00 in Toulouse
it is still yesterday) nor ``date.today()`` (the server's zone): ``tests/constel/test_dates.py``
fails on either in application code.

Dates typed by a user are read by :func:`parse_day`, bounded to years a care programme can
mean (1900–2100): ``0001-01-01`` or ``9999-12-31`` is a message, never an overflow.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.utils import timezone

MIN_DAY = date(1900, 1, 1)
MAX_DAY = date(2100, 12, 31)


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


#: tenant id → its zone's name (a programme's zone hardly ever changes; a save clears it)
_ZONE_OF: dict[Any, str] = {}


def forget_zones(**_kwargs: Any) -> None:
    _ZONE_OF.clear()


def programme_zone(tenant: Any = None) -> ZoneInfo:
    """The programme's time zone: of a Tenant (or anything with ``time_zone``), of a
    tenant's id, or with None the zone in force (inside a tenant's context: its own)."""
    if tenant is None:
        return timezone.get_current_timezone()
    name = getattr(tenant, "time_zone", None)
    if name is None:
        key = getattr(tenant, "pk", tenant)
        name = _ZONE_OF.get(key)
        if name is None:
            from constel.models import Tenant

            name = (Tenant.objects.filter(pk=key).values_list("time_zone", flat=True).first()
                    or settings.TIME_ZONE)
            _ZONE_OF[key] = name
    return _zone(name)


def local_day(moment: datetime, tenant: Any = None) -> date:
    """The programme's day of an aware instant."""
    return moment.astimezone(programme_zone(tenant)).date()


def today(tenant: Any = None) -> date:
    """Today in the programme's time zone."""
    return local_day(timezone.now(), tenant)


def day_start(day: date, tenant: Any = None) -> datetime:
    """The first instant of ``day`` in the programme's zone (aware)."""
    return datetime.combine(day, time.min, tzinfo=programme_zone(tenant))


def day_end(day: date, tenant: Any = None) -> datetime:
    """The first instant of the next day: a day is ``[day_start, day_end)``."""
    return day_start(day + timedelta(days=1), tenant)


def in_range(day: date | None) -> bool:
    return day is not None and MIN_DAY <= day <= MAX_DAY


def parse_day(value: Any) -> date | None:
    """A day typed as YYYY-MM-DD (an ISO date-time is cut to its date), or None when it is
    not one, or is outside 1900–2100."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value if in_range(value) else None
    text = str(value or "").strip()
    try:
        day = date.fromisoformat(text[:10]) if len(text) >= 10 else None
    except ValueError:
        return None
    return day if in_range(day) else None


def parse_moment(value: Any, tenant: Any = None) -> datetime | None:
    """An instant typed as an ISO date-time (with its offset, or read in the programme's
    zone) or a day (its first instant there); None when it is neither or out of range."""
    from django.utils.dateparse import parse_datetime

    text = str(value or "").strip()
    try:
        moment = parse_datetime(text)
    except ValueError:
        moment = None
    if moment is None:
        day = parse_day(text) if len(text) == 10 else None
        return day_start(day, tenant) if day else None
    if not in_range(moment.date()):
        return None
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=programme_zone(tenant))
    return moment


def local_time(moment: datetime, tenant: Any = None) -> datetime:
    """An aware instant in the programme's zone (for a page, a letter, an SMS)."""
    return moment.astimezone(programme_zone(tenant))


def at(day: date, clock: time, tenant: Any = None) -> datetime:
    """The aware instant of ``day`` at ``clock`` in the programme's zone."""
    return datetime.combine(day, clock, tzinfo=programme_zone(tenant))


def add_months(day: date, months: int) -> date:
    """Same day ``months`` later (clamped to the month's last day)."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")
