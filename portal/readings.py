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
from telemonitoring.models import Indicator, Reading
from telemonitoring.services import following_enrollment, reading_record
from telemonitoring.typed import blood_pressure, decimal_typed, last_readings, unusual


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


def _save(request, enrollment, followed, last, source, patient) -> dict:
    """Every typed value, all or nothing; {field: message} when refused (nothing saved)."""
    errors: dict = {}
    try:
        at = measured_at(request.POST)
        systolic, diastolic = blood_pressure(request.POST.get("systolic_bp", ""),
                                             request.POST.get("diastolic_bp", ""))
    except ValidationError as exc:
        return {k: " ".join(v) for k, v in exc.message_dict.items()}
    typed = {i: (systolic if i.code == "systolic_bp" else request.POST.get(i.code, "").strip())
             for i in followed}
    typed = {i: v for i, v in typed.items() if v}
    if not typed:
        return {"form": _("Type at least one value.")}
    values = {i: d for i, v in typed.items() if (d := decimal_typed(v)) is not None}
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
    last = last_readings(enrollment)
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
