"""Readings as people type them (issue #21), for the patient's portal and the nurse's phone
form alike: a blood pressure "15/9" (centimetres of mercury, the French habit) is answered with
the conversion and "150/90" in one box is split; a value far from the patient's recent ones is
asked "Confirmez-vous ?" before anything is saved."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from constel import dates
from telemonitoring.catalogue import number, unit_label
from telemonitoring.ingest import typed_number
from telemonitoring.models import Indicator, Reading

#: How far from the last reading (of the last two weeks) a value is unusual enough to ask:
#: a relative change (a weight of 86,4 then 72,5 kg is 16 %).
UNUSUAL = {"body_weight": Decimal("0.08")}
UNUSUAL_DEFAULT = Decimal("0.35")
RECENT = timedelta(days=14)


def unusual(values: dict[Indicator, Decimal], last: dict[str, Reading]) -> list[str]:
    """The values far from the patient's last reading of the last two weeks, in words."""
    out = []
    for indicator, value in values.items():
        before = last.get(indicator.code)
        if before is None or before.measured_at < timezone.now() - RECENT or not before.value:
            continue
        limit = UNUSUAL.get(indicator.code, UNUSUAL_DEFAULT)
        if abs(value - before.value) / abs(before.value) > limit:
            out.append(_("%(i)s: %(v)s %(u)s, the last one was %(b)s %(u)s on %(day)s") % {
                "i": indicator.label, "v": number(value), "u": unit_label(indicator.unit),
                "b": number(before.value),
                "day": f"{dates.local_time(before.measured_at):%d/%m}"})
    return out


def last_readings(enrollment) -> dict[str, Reading]:
    last: dict[str, Reading] = {}
    if enrollment is not None:
        for r in (Reading.objects.filter(enrollment=enrollment).select_related("indicator")
                  .order_by("-measured_at")[:60]):
            last.setdefault(r.indicator.code, r)
    return last


def decimal_typed(raw: str) -> Decimal | None:
    """The number typed (telemonitoring's rule: French comma, finite), or None."""
    try:
        return typed_number((raw or "").replace(" ", ""), "value")
    except ValidationError:
        return None


def blood_pressure(sys_raw: str, dia_raw: str, field: str = "systolic_bp") -> tuple[str, str]:
    """(systolic, diastolic) as typed; "150/90" in the first box is split; "15/9" (cmHg) is
    answered with what it means in mmHg, never converted silently."""
    sys_raw, dia_raw = (sys_raw or "").strip(), (dia_raw or "").strip()
    if "/" in sys_raw and not dia_raw:
        sys_raw, _slash, dia_raw = (p.strip() for p in sys_raw.partition("/"))
    s, d = decimal_typed(sys_raw), decimal_typed(dia_raw)
    if s is not None and d is not None and s < 30 and d < 30:
        raise ValidationError({field: _(
            "Did you mean %(s)s/%(d)s mmHg? Blood pressure is typed in mmHg: the first "
            "number is usually between 90 and 180.") % {"s": number(s * 10),
                                                        "d": number(d * 10)}})
    return sys_raw, dia_raw
