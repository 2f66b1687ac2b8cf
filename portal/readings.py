"""Portal: the patient types their readings (one screen, big inputs, the last values shown,
French comma accepted) and sees their history.

Readings as people type them (issue #21): when the measurement was taken (now, earlier today
or yesterday at a time); a blood pressure "15/9" (centimetres of mercury, the French habit)
is answered with the conversion, "150/90" in one box is split; a value far from the recent
ones asks "Confirmez-vous ?" before anything is saved, and a confirmed one is told to the
care team. The form is saved whole or not at all."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from constel import dates
from constel.access import Cap, membership_required
from portal.views import is_own_record, portal_choices, portal_patient
from telemonitoring.catalogue import number, unit_label
from telemonitoring.ingest import typed_number
from telemonitoring.models import Indicator, Reading
from telemonitoring.services import following_enrollment, reading_record

#: How far from the last reading (of the last two weeks) a value is unusual enough to ask:
#: a relative change (a weight of 86,4 then 72,5 kg is 16 %).
UNUSUAL = {"body_weight": Decimal("0.08")}
UNUSUAL_DEFAULT = Decimal("0.35")
RECENT = timedelta(days=14)


def _decimal(raw: str) -> Decimal | None:
    """The number typed (telemonitoring's rule: French comma, finite), or None."""
    try:
        return typed_number((raw or "").replace(" ", ""), "value")
    except ValidationError:
        return None


def measured_at(post) -> datetime:
    """When the measurement was taken: now (default), or today / yesterday at a time typed
    as 8:30, 8h30 or 08h. Raises ValidationError naming the field."""
    when = post.get("when", "now")
    if when not in ("today", "yesterday"):
        return timezone.now()
    m = re.fullmatch(r"\s*(\d{1,2})\s*[:hH.]\s*(\d{0,2})\s*", post.get("at_time", ""))
    if not m or int(m[1]) > 23 or int(m[2] or 0) > 59:
        raise ValidationError({"at_time": _("Give the time of the measurement, e.g. 8:30.")})
    day = dates.today() - timedelta(days=1 if when == "yesterday" else 0)
    moment = dates.at(day, time(int(m[1]), int(m[2] or 0)))
    if moment > timezone.now() + timedelta(minutes=5):
        raise ValidationError({"at_time": _("This time has not come yet today.")})
    return moment


def blood_pressure(post) -> tuple[str, str]:
    """(systolic, diastolic) as typed; "150/90" in the first box is split; "15/9" (cmHg) is
    answered with what it means in mmHg, never converted silently."""
    sys_raw = post.get("systolic_bp", "").strip()
    dia_raw = post.get("diastolic_bp", "").strip()
    if "/" in sys_raw and not dia_raw:
        sys_raw, _slash, dia_raw = (p.strip() for p in sys_raw.partition("/"))
    s, d = _decimal(sys_raw), _decimal(dia_raw)
    if s is not None and d is not None and s < 30 and d < 30:
        raise ValidationError({"systolic_bp": _(
            "Did you mean %(s)s/%(d)s mmHg? Blood pressure is typed in mmHg: the first "
            "number is usually between 90 and 180.") % {"s": number(s * 10),
                                                        "d": number(d * 10)}})
    return sys_raw, dia_raw


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


def _last(enrollment) -> dict[str, Reading]:
    last: dict[str, Reading] = {}
    if enrollment is not None:
        for r in (Reading.objects.filter(enrollment=enrollment).select_related("indicator")
                  .order_by("-measured_at")[:60]):
            last.setdefault(r.indicator.code, r)
    return last


def _save(request, enrollment, followed, last, source, patient) -> dict:
    """Every typed value, all or nothing; {field: message} when refused (nothing saved)."""
    errors: dict = {}
    try:
        at = measured_at(request.POST)
        systolic, diastolic = blood_pressure(request.POST)
    except ValidationError as exc:
        return {k: " ".join(v) for k, v in exc.message_dict.items()}
    typed = {i: (systolic if i.code == "systolic_bp" else request.POST.get(i.code, "").strip())
             for i in followed}
    typed = {i: v for i, v in typed.items() if v}
    if not typed:
        return {"form": _("Type at least one value.")}
    values = {i: d for i, v in typed.items() if (d := _decimal(v)) is not None}
    far = unusual(values, last)
    if far and not request.POST.get("confirm_unusual"):
        return {"confirm": far}
    with transaction.atomic():
        for indicator, value in typed.items():
            try:
                reading_record(enrollment=enrollment, indicator_code=indicator.code,
                               value=value, diastolic=diastolic or None,
                               unit=request.POST.get(f"{indicator.code}_unit") or None,
                               measured_at=at, entered_by=request.user, source=source)
            except ValidationError as exc:
                errors[indicator.code] = " ".join(exc.messages)
        if errors:
            transaction.set_rollback(True)  # nothing half-saved
            return errors
        if far:  # confirmed: the team is told, on its worklist (unread message)
            from engagement.services import message_send

            message_send(patient=patient, author=request.user, from_patient=True, body=_(
                "Unusual value confirmed when typed: %(values)s.") % {"values": "; ".join(far)})
    return {}


@membership_required(cap=Cap.PORTAL)
@require_http_methods(["GET", "POST"])
def readings(request: HttpRequest) -> HttpResponse:
    # A form is filed for the patient it was shown for (its hidden field), never for whoever
    # the switch points at by the time it is sent.
    patient = portal_patient(request)
    several = len(portal_choices(request)) > 1
    source = Reading.Source.PORTAL if is_own_record(request, patient) else Reading.Source.CARER
    enrollment = following_enrollment(patient)
    followed = []
    if enrollment is not None:
        followed = list(Indicator.objects.filter(
            pk__in=enrollment.alert_rules.filter(active=True).values("indicator"))
            .exclude(code="diastolic_bp"))
    last = _last(enrollment)
    errors: dict = {}
    if request.method == "POST" and several and not request.POST.get("for_patient"):
        errors["form"] = _("Say for whom these readings are.")
    elif request.method == "POST" and enrollment is not None:
        errors = _save(request, enrollment, followed, last, source, patient)
        placed = {i.code for i in followed} | {"form", "confirm", "at_time"}
        stray = [m for k, m in errors.items() if k not in placed]
        if stray:  # a message about a box this patient does not have: at the top
            errors["form"] = " ".join([errors.get("form", ""), *stray]).strip()
        if not errors:
            messages.success(request, _("Thank you, your readings are recorded. The care team "
                                        "watches them."))
            return redirect("portal:readings")
    history = (Reading.objects.filter(enrollment=enrollment)
               .select_related("indicator", "entered_by")
               .order_by("-measured_at")[:30]) if enrollment else []
    from pathways.selectors import reading_charts

    charts = reading_charts(enrollment=enrollment, days=30) if enrollment else []
    return render(request, "portal/readings.html", {
        "charts": charts,
        "patient": patient, "enrollment": enrollment, "followed": followed, "last": last,
        "errors": errors, "posted": request.POST, "history": history,
        "when": request.POST.get("when", "now"),
    }, status=400 if errors and "confirm" not in errors else 200)
