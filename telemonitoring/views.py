"""Telefollow-up pages of the back-office: alerts to triage and handle, readings entered by
the nurse after a call."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from constel.access import Cap, has_cap, log_patient_read, membership_required
from constel.tenancy import get_object_for_tenant_or_404
from constel.utils import error_messages
from pathways.selectors import enrollment_get
from telemonitoring import services as telefollowup
from telemonitoring.models import Alert, Reading
from telemonitoring.selectors import alert_get, alert_list, open_alert_count


@membership_required(cap=Cap.ALERT_HANDLE)
def alerts(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "active")
    qs = alert_list(membership=request.membership, status=status)
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(request, "telemonitoring/alerts.html",
                  {"page": page, "status": status, "statuses": Alert.Status.choices,
                   "now": timezone.now()})


@membership_required(cap=Cap.ALERT_HANDLE)
@require_http_methods(["GET", "POST"])
def alert_detail(request: HttpRequest, alert_id: str) -> HttpResponse:
    alert = alert_get(membership=request.membership, pk=alert_id)
    log_patient_read(request, alert.enrollment.patient)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "take":
                telefollowup.alert_take(alert=alert, nurse=request.user)
            elif action == "note":
                telefollowup.alert_note_add(alert=alert, by=request.user,
                                            text=request.POST.get("note", ""))
            elif action == "escalate":
                telefollowup.alert_escalate(alert=alert, by=request.user,
                                            note=request.POST.get("note", ""))
            elif action == "correct":
                reading = get_object_for_tenant_or_404(
                    Reading.objects.filter(enrollment=alert.enrollment), request.tenant,
                    pk=request.POST.get("reading"))
                telefollowup.reading_correct(reading=reading, value=request.POST.get("value"),
                                             by=request.user)
            elif action == "close":
                telefollowup.alert_close(
                    alert=alert, by=request.user, role=request.membership.role,
                    outcome=request.POST.get("outcome", ""), note=request.POST.get("note", ""),
                    gp_involvement=request.POST.get("gp_involvement", ""),
                    consultation_profession=request.POST.get("consultation_profession", ""))
            else:
                raise ValidationError(_("Unknown action."))
        except ValidationError as exc:
            error_messages(request, exc)
        else:
            messages.success(request, _("Alert updated."))
        return redirect("telemonitoring:alert", alert_id=alert.pk)
    events = alert.events.select_related("reading", "reading__entered_by").order_by("-at")[:50]
    notes = alert.notes.select_related("author")
    return render(request, "telemonitoring/alert.html", {
        "alert": alert, "patient": alert.enrollment.patient, "events": events, "notes": notes,
        "nurse_outcomes": [(o.value, o.label) for o in Alert.Outcome
                           if o in telefollowup.NURSE_OUTCOMES],
        "physician_outcomes": [(o.value, o.label) for o in Alert.Outcome
                               if o in telefollowup.PHYSICIAN_OUTCOMES],
        "is_physician": has_cap(request.membership, Cap.ALERT_CLOSE_MEDICAL),
    })


@membership_required(cap=Cap.ALERT_HANDLE)
@require_POST
def reading_by_phone(request: HttpRequest, enrollment_id: str) -> HttpResponse:
    """The nurse types a reading given on the phone (recorded as such)."""
    enrollment = enrollment_get(membership=request.membership, pk=enrollment_id,
                                cap=Cap.ALERT_HANDLE)
    log_patient_read(request, enrollment.patient)
    try:
        measured_at = datetime.fromisoformat(request.POST.get("measured_at", ""))
        if timezone.is_naive(measured_at):
            measured_at = timezone.make_aware(measured_at)
        telefollowup.reading_record(
            enrollment=enrollment, indicator_code=request.POST.get("indicator", ""),
            value=request.POST.get("value", ""), diastolic=request.POST.get("diastolic"),
            unit=request.POST.get("unit") or None, measured_at=measured_at,
            entered_by=request.user, source="nurse_phone")
    except ValueError:
        messages.error(request, _("Enter a valid date and time."))
    except ValidationError as exc:
        error_messages(request, exc)
    else:
        messages.success(request, _("Reading recorded."))
    return redirect("pathways:enrollment", enrollment_id=enrollment.pk)




@membership_required(cap=Cap.ALERT_HANDLE)
def alert_count(request: HttpRequest) -> HttpResponse:
    """The header badge, refreshed in place every 30 s (htmx)."""
    count = open_alert_count(membership=request.membership)
    return render(request, "telemonitoring/_alert_badge.html", {"open_alert_count": count})
