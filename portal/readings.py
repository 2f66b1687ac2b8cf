"""Portal: the patient types their readings (one screen, big inputs, the last values shown,
French comma accepted) and sees their history."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from constel.access import Cap, membership_required
from portal.views import is_own_record, portal_choices, portal_patient
from telemonitoring.models import Indicator, Reading
from telemonitoring.services import following_enrollment, reading_record


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
    errors: dict = {}
    if request.method == "POST" and several and not request.POST.get("for_patient"):
        errors["form"] = _("Say for whom these readings are.")
    elif request.method == "POST" and enrollment is not None:
        saved = 0
        for indicator in followed:
            value = request.POST.get(indicator.code, "").strip()
            if not value:
                continue
            try:
                reading_record(enrollment=enrollment, indicator_code=indicator.code,
                               value=value, diastolic=request.POST.get("diastolic_bp"),
                               unit=request.POST.get(f"{indicator.code}_unit") or None,
                               measured_at=timezone.now(), entered_by=request.user,
                               source=source)
                saved += 1
            except ValidationError as exc:
                errors[indicator.code] = " ".join(exc.messages)
        if saved and not errors:
            messages.success(request, _("Thank you, your readings are recorded. The care team "
                                        "watches them."))
            return redirect("portal:readings")
        if not saved and not errors:
            errors["form"] = _("Type at least one value.")
    last = {}
    if enrollment is not None:
        for r in (Reading.objects.filter(enrollment=enrollment).select_related("indicator")
                  .order_by("-measured_at")[:60]):
            last.setdefault(r.indicator.code, r)
    history = (Reading.objects.filter(enrollment=enrollment)
               .select_related("indicator", "entered_by")
               .order_by("-measured_at")[:30]) if enrollment else []
    from pathways.selectors import reading_charts

    charts = reading_charts(enrollment=enrollment, days=30) if enrollment else []
    return render(request, "portal/readings.html", {
        "charts": charts,
        "patient": patient, "enrollment": enrollment, "followed": followed, "last": last,
        "errors": errors, "posted": request.POST, "history": history,
    }, status=400 if errors else 200)


