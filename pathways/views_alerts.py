"""Telefollow-up pages of the back-office: alerts to triage and handle, readings entered by
the nurse after a call."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from constel.access import (
    Cap,
    get_patient_object_or_404,
    has_cap,
    membership_required,
    within_scope,
)
from constel.tenancy import get_object_for_tenant_or_404
from constel.utils import field_errors
from pathways.views_care import _enrollment, _messages_from
from telemonitoring import services as telefollowup
from telemonitoring.models import Alert, Reading


def _alerts(request: HttpRequest):
    return (within_scope(Alert.objects.for_tenant(request.tenant), request.membership,
                         patient_path="enrollment__patient")
            .select_related("enrollment__patient", "indicator", "rule", "taken_by"))


@membership_required(cap=Cap.ALERT_HANDLE)
def alert_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "active")
    qs = _alerts(request)
    if status == "active":
        qs = qs.exclude(status=Alert.Status.CLOSED)
    elif status in Alert.Status.values:
        qs = qs.filter(status=status)
    qs = qs.annotate(rank=Case(When(level="critical", then=Value(0)), default=Value(1),
                               output_field=IntegerField())).order_by("rank", "opened_at", "pk")
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(request, "pathways/alerts.html",
                  {"page": page, "status": status, "statuses": Alert.Status.choices,
                   "now": timezone.now()})


@membership_required(cap=Cap.ALERT_HANDLE)
@require_http_methods(["GET", "POST"])
def alert_detail(request: HttpRequest, alert_id: str) -> HttpResponse:
    alert = get_patient_object_or_404(
        request, Alert.objects.select_related("enrollment__patient", "indicator", "rule",
                                              "taken_by"),
        patient_path="enrollment__patient", cap=Cap.ALERT_HANDLE, pk=alert_id)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "take":
                telefollowup.alert_take(alert=alert, nurse=request.user)
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
            _messages_from(request, exc)
        else:
            messages.success(request, _("Alert updated."))
        return redirect("pathways:alert", alert_id=alert.pk)
    events = alert.events.select_related("reading", "reading__entered_by").order_by("-at")[:50]
    return render(request, "pathways/alert.html", {
        "alert": alert, "patient": alert.enrollment.patient, "events": events,
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
    enrollment = _enrollment(request, enrollment_id, Cap.ALERT_HANDLE)
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
        _messages_from(request, exc)
    else:
        messages.success(request, _("Reading recorded."))
    return redirect("pathways:enrollment", enrollment_id=enrollment.pk)




@membership_required(cap=Cap.ALERT_HANDLE)
def alert_count(request: HttpRequest) -> HttpResponse:
    """The header badge, refreshed in place every 30 s (htmx)."""
    count = _alerts(request).exclude(status=Alert.Status.CLOSED).count()
    return render(request, "pathways/_alert_badge.html", {"open_alert_count": count})


@membership_required(cap=Cap.WORKLIST)
@require_POST
def letter_retry(request: HttpRequest, letter_id: str) -> HttpResponse:
    """Send a failed letter again (the task still sends it at most once)."""
    from pathways.models import Letter
    from pathways.tasks import send_letter_task

    letter = get_patient_object_or_404(request, Letter.objects.select_related(
        "enrollment__patient"), patient_path="enrollment__patient", cap=Cap.WORKLIST,
        pk=letter_id)
    if letter.status == Letter.Status.FAILED:
        send_letter_task.delay(str(letter.tenant_id), str(letter.pk))
        messages.success(request, _("The letter is being sent again."))
    return redirect("pathways:worklist")


@membership_required(cap=Cap.WORKLIST)
@require_POST
def letters_resend(request: HttpRequest) -> HttpResponse:
    """After an SMTP outage: every failed letter of the programme queued again (those
    already sent never are)."""
    from pathways.services.letters import letters_resend as resend

    n = resend(tenant=request.tenant)
    messages.success(request, ngettext("%(n)s letter is being sent again.",
                                       "%(n)s letters are being sent again.", n) % {"n": n})
    return redirect("pathways:worklist")


@membership_required(cap=Cap.CONFIG_CLINICAL)
def letter_templates(request: HttpRequest) -> HttpResponse:
    from pathways.models import Letter, LetterTemplate

    saved = {t.kind: t for t in LetterTemplate.objects.for_tenant(request.tenant)}
    return render(request, "pathways/letter_templates.html", {
        "kinds": [(value, label, saved.get(value)) for value, label in Letter.Kind.choices]})


@membership_required(cap=Cap.CONFIG_CLINICAL)
@require_http_methods(["GET", "POST"])
def letter_template(request: HttpRequest, kind: str) -> HttpResponse:
    """Edit the opening and closing of a kind of letter; "preview" renders a sample PDF with
    the text as typed (nothing saved); "save" keeps it only if it renders."""
    from django.core.exceptions import ValidationError

    from pathways.models import Letter, LetterTemplate
    from pathways.services import letters as letter_services

    if kind not in Letter.Kind.values:
        raise Http404
    current = LetterTemplate.objects.for_tenant(request.tenant).filter(kind=kind).first()
    form = {"opening": current.opening if current else "",
            "closing": current.closing if current else ""}
    errors: dict = {}
    if request.method == "POST":
        form = {"opening": request.POST.get("opening", ""),
                "closing": request.POST.get("closing", "")}
        try:
            if request.POST.get("action") == "preview":
                return _letter_preview(request, kind, form)
            letter_services.letter_template_save(tenant=request.tenant, kind=kind,
                                                 actor=request.user, **form)
        except ValidationError as exc:
            errors = field_errors(exc)
        else:
            messages.success(request, _("Template saved: the next letters use it."))
            return redirect("pathways:letter_template", kind)
    return render(request, "pathways/letter_template.html", {
        "kind": kind, "label": Letter.Kind(kind).label, "form": form, "errors": errors,
        "values": letter_services.TEMPLATE_VALUES, "current": current},
        status=400 if errors else 200)


def _letter_preview(request: HttpRequest, kind: str, form: dict) -> HttpResponse:
    """A sample letter of this kind with the typed text, as PDF (nothing stored)."""
    from datetime import date

    from pathways.models import Enrollment, Letter, LetterTemplate
    from pathways.services.letters import render_frame, render_pdf
    from patients.models import Patient, Professional

    render_frame(form["opening"], form["closing"], {})  # raises with the part that fails
    patient = Patient(tenant=request.tenant, birth_name="EXEMPLE", first_names="Jeanne",
                      sex="F", birth_date=date(1950, 1, 1))
    gp = Professional(tenant=request.tenant, kind="gp", first_name="Anne", last_name="Vidal")
    letter = Letter(tenant=request.tenant, enrollment=Enrollment(patient=patient), gp=gp,
                    kind=kind, subject=str(Letter.Kind(kind).label),
                    body="(Le contenu propre à l'événement s'insère ici.)")
    pdf = render_pdf(letter, template=LetterTemplate(tenant=request.tenant, kind=kind, **form))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="apercu.pdf"'
    return response
