"""Telefollow-up pages of the back-office: alerts to triage and handle, readings entered by
the nurse after a call."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from constel import dates
from constel.access import Cap, has_cap, log_patient_read, membership_required
from constel.forms_typed import Refused
from constel.models import Site
from constel.tenancy import get_object_for_tenant_or_404
from constel.utils import field_errors, is_uuid
from pathways.selectors import enrollment_get
from telemonitoring import console, typed
from telemonitoring import services as telefollowup
from telemonitoring.catalogue import unit_label
from telemonitoring.models import Alert, Indicator, Reading
from telemonitoring.selectors import alert_get, alert_list

#: What each action did, said after it.
_DONE = {"take": gettext_lazy("Alert taken: it is yours."),
         "escalate": gettext_lazy("Alert escalated to the coordinating physician."),
         "note": gettext_lazy("Note added."),
         "correct": gettext_lazy("Reading corrected: it is evaluated again."),
         "close": gettext_lazy("Alert closed; the GP's letter follows if the outcome calls "
                               "for one.")}


@membership_required(cap=Cap.ALERT_HANDLE)
def alerts(request: HttpRequest) -> HttpResponse:
    """The member's queue by default (the physician's: escalated, automatic ones first; a
    nurse's: to triage and taken), or any status; by level, site, indicator, or taken by me."""
    f = {k: request.GET.get(k, "") for k in ("status", "level", "site", "indicator", "mine",
                                             "nurse")}
    f["status"] = f["status"] or "queue"
    qs = (console.queue(request.membership) if f["status"] == "queue"
          else alert_list(membership=request.membership, status=f["status"]))
    qs = qs.select_related("enrollment__patient", "indicator", "rule", "taken_by")
    if f["level"] in ("critical", "warning"):
        qs = qs.filter(level=f["level"])
    if f["site"]:
        qs = qs.filter(enrollment__patient__site_id=f["site"]) if is_uuid(f["site"]) \
            else qs.none()
    if f["indicator"]:
        qs = qs.filter(indicator__code=f["indicator"])
    if f["mine"]:
        qs = qs.filter(taken_by=request.user)
    if f["nurse"] == "none":
        qs = qs.filter(taken_by__isnull=True)
    elif f["nurse"]:
        qs = qs.filter(taken_by_id=f["nurse"]) if f["nurse"].isdigit() else qs.none()
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(request, "telemonitoring/alerts.html", {
        "page": page, "f": f, "statuses": Alert.Status.choices, "now": timezone.now(),
        "sites": Site.objects.filter(tenant=request.tenant).order_by("name"),
        "indicators": Indicator.objects.filter(tenant=request.tenant).order_by("position"),
        "queue_label": console.queue_label(request.membership),
        "nurses": _nurses(request.tenant)})


def _nurses(tenant):
    """The members who take alerts (the filter "taken by")."""
    from constel.models import User
    from constel.roles import Role

    return (User.objects.filter(memberships__tenant=tenant,
                                memberships__role=Role.NURSE_COORDINATOR)
            .order_by("last_name", "first_name").distinct())


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
            elif action == "close" and request.POST.get("confirmed") != "1":
                fields = {k: request.POST.get(k, "") for k in (
                    "outcome", "gp_involvement", "consultation_profession")}
                telefollowup.alert_close_check(alert=alert, role=request.membership.role,
                                               **fields)
                return _alert_close_confirm(request, alert)
            elif action == "close":
                telefollowup.alert_close(
                    alert=alert, by=request.user, role=request.membership.role,
                    outcome=request.POST.get("outcome", ""), note=request.POST.get("note", ""),
                    gp_involvement=request.POST.get("gp_involvement", ""),
                    consultation_profession=request.POST.get("consultation_profession", ""))
            else:
                raise ValidationError(_("Unknown action."))
        except ValidationError as exc:
            # The page again, as typed, each message beside its field (nothing was saved;
            # the services lock and change their own copy, never this one).
            errors = field_errors(exc)
        else:
            messages.success(request, _DONE.get(action, _("Alert updated.")))
            return redirect("telemonitoring:alert", alert_id=alert.pk)
    return _alert_page(request, alert, errors if request.method == "POST" else {})


def _alert_close_confirm(request: HttpRequest, alert: Alert) -> HttpResponse:
    """Closing asks once more: the alert, the outcome chosen and what closing does."""
    from django.urls import reverse

    from pathways.templatetags.pathway import identity

    post = request.POST
    outcome = Alert.Outcome(post["outcome"])
    rows = [(_("Patient"), identity(alert.enrollment.patient)),
            (_("Alert"), {"critical": _("critical"), "warning": _("warning")}.get(
                alert.level, alert.level) + " — " + alert.indicator.label),
            (_("Outcome"), outcome.label), (_("Note"), post.get("note", "").strip() or "—")]
    if post.get("gp_involvement", "").strip():
        rows.append((_("GP's involvement"), post["gp_involvement"].strip()))
    letter = outcome != Alert.Outcome.ERRONEOUS
    back = reverse("telemonitoring:alert", args=[alert.pk])
    return render(request, "confirm.html", {
        "title": _("Close this alert?"), "caption": _("The alert"), "rows": rows,
        "consequences": [
            _("The alert is closed for good with this outcome; a new reading out of bounds "
              "opens a new one."),
            _("A letter tells the patient's GP how it was handled.") if letter
            else _("No letter goes to the GP (erroneous entry).")],
        "action_url": back, "back_url": back, "back_label": _("Alert"),
        "hidden": [(k, post.get(k, "")) for k in ("action", "outcome", "note",
                                                  "gp_involvement",
                                                  "consultation_profession")],
        "confirm_label": _("Close the alert"), "keep_label": _("Back to the alert"),
    })


def _alert_page(request: HttpRequest, alert: Alert, errors: dict) -> HttpResponse:
    unit = unit_label(alert.indicator.unit)
    breached = console.breaches(alert, unit)
    return render(request, "telemonitoring/alert.html", {
        "alert": alert, "patient": alert.enrollment.patient, "notes": alert.notes.select_related(
            "author"), "breaches": breached,
        "rule_text": console.rule_in_words(alert.rule, unit),
        "chart": console.chart(alert, unit, breached),
        "banner": console.banner(alert.enrollment.patient),
        "others": console.other_open_alerts(alert),
        "next": console.next_alert(request.membership, after=alert),
        "nurse_outcomes": [(o.value, o.label) for o in Alert.Outcome
                           if o in telefollowup.NURSE_OUTCOMES],
        "physician_outcomes": [(o.value, o.label) for o in Alert.Outcome
                               if o in telefollowup.PHYSICIAN_OUTCOMES],
        "is_physician": has_cap(request.membership, Cap.ALERT_CLOSE_MEDICAL),
        "errors": errors, "posted": request.POST if errors else {},
    }, status=400 if errors else 200)


@membership_required(cap=Cap.ALERT_HANDLE)
@require_POST
def reading_by_phone(request: HttpRequest, enrollment_id: str) -> HttpResponse:
    """The nurse types a reading given on the phone (recorded as such)."""
    enrollment = enrollment_get(membership=request.membership, pk=enrollment_id,
                                cap=Cap.ALERT_HANDLE)
    log_patient_read(request, enrollment.patient)
    try:
        measured_at = dates.parse_moment(request.POST.get("measured_at"), request.tenant)
        if measured_at is None:
            raise ValidationError({"measured_at": _("Enter a valid date and time.")})
        code = request.POST.get("indicator", "")
        value, diastolic = request.POST.get("value", ""), request.POST.get("diastolic", "")
        if code == "systolic_bp":  # "150/90" in one box, or "15/9" answered in mmHg
            value, diastolic = typed.blood_pressure(value, diastolic, field="value")
        indicator = Indicator.objects.for_tenant(request.tenant).filter(code=code).first()
        number = typed.decimal_typed(value)
        if indicator is not None and number is not None \
                and request.POST.get("confirm_unusual") != "on":
            far = typed.unusual({indicator: number}, typed.last_readings(enrollment))
            if far:
                raise ValidationError({"confirm_unusual": _(
                    "Unusual value — %(far)s. Check it with the patient, then tick "
                    "“I confirm this value”.") % {"far": "; ".join(far)}})
        telefollowup.reading_record(
            enrollment=enrollment, indicator_code=code, value=value,
            diastolic=diastolic or None, unit=request.POST.get("unit") or None,
            measured_at=measured_at, entered_by=request.user, source="nurse_phone")
    except ValidationError as exc:
        from pathways.views_care import enrollment_page

        return enrollment_page(request, enrollment, Refused.of(
            "reading", request.POST, exc, {"indicator_code": "indicator", "unit": "value",
                                           "enrollment": "__all__", "source": "__all__"}))
    messages.success(request, _("Reading recorded."))
    return redirect("pathways:enrollment", enrollment_id=enrollment.pk)


@membership_required(cap=Cap.ALERT_HANDLE)
def alert_count(request: HttpRequest) -> HttpResponse:
    """The header badge, refreshed in place every 30 s (htmx)."""
    count = console.queue(request.membership).count()
    return render(request, "telemonitoring/_alert_badge.html", {"open_alert_count": count})
