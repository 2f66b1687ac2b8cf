"""Portal: messages with the care team, the EPICES questionnaire, my appointments (with an
.ics calendar file), and the download of all my data (right of access)."""

from __future__ import annotations

from datetime import UTC, timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from constel import dates
from constel.access import Cap, membership_required
from constel.utils import field_errors
from engagement import services as engagement
from engagement.models import Message, MessageAttachment
from pathways.models import Activity
from portal.views import portal_patient


@membership_required(cap=Cap.PORTAL)
@require_http_methods(["GET", "POST"])
def messages_view(request: HttpRequest) -> HttpResponse:
    patient = portal_patient(request)
    errors: dict = {}
    if request.method == "POST":
        try:
            engagement.message_send(patient=patient, author=request.user, from_patient=True,
                                    body=request.POST.get("body", ""),
                                    attachment=request.FILES.get("attachment"))
        except ValidationError as exc:
            errors = field_errors(exc)
        else:
            messages.success(request, _("Your message is sent to the care team."))
            return redirect("portal:messages")
    engagement.messages_mark_read(patient=patient, reader=request.user, from_patient=False)
    thread = (Message.objects.filter(patient=patient).select_related("author")
              .prefetch_related("attachments").order_by("sent_at"))
    return render(request, "portal/messages.html", {
        "patient": patient, "thread": thread, "errors": errors, "form": request.POST,
        "max_mb": engagement.MAX_ATTACHMENT_BYTES // 1048576}, status=400 if errors else 200)


@membership_required(cap=Cap.PORTAL)
def attachment(request: HttpRequest, attachment_id) -> HttpResponse:
    patient = portal_patient(request)
    try:
        a = MessageAttachment.objects.get(pk=attachment_id, message__patient=patient)
    except (MessageAttachment.DoesNotExist, ValidationError, ValueError) as exc:
        raise Http404 from exc
    from engagement.views import attachment_response

    return attachment_response(a)


@membership_required(cap=Cap.PORTAL)
@require_http_methods(["GET", "POST"])
def epices(request: HttpRequest) -> HttpResponse:
    patient = portal_patient(request)
    errors: dict = {}
    if request.method == "POST":
        try:
            engagement.epices_record(patient=patient, by=request.user, answers={
                str(i): request.POST.get(f"q{i}") for i in range(11)})
        except ValidationError as exc:
            errors = field_errors(exc)
        else:
            messages.success(request, _("Thank you: your answers are sent to the care team."))
            return redirect("portal:home")
    questions = [(i, q, request.POST.get(f"q{i}", "")) for i, (q, _w) in
                 enumerate(engagement.epices()["questions"])]
    return render(request, "portal/epices.html", {"questions": questions, "errors": errors},
                  status=400 if errors else 200)


def _activities(patient):
    return (Activity.objects.filter(enrollment__patient=patient)
            .exclude(status=Activity.Status.CANCELLED).exclude(kind=Activity.Kind.CALL)
            .select_related("professional", "group_session__site").order_by("scheduled_at"))


@membership_required(cap=Cap.PORTAL)
@require_http_methods(["GET", "POST"])
def appointments(request: HttpRequest) -> HttpResponse:
    patient = portal_patient(request)
    if request.method == "POST":
        patient.appointment_sms = request.POST.get("sms") == "on"
        patient._history_user = request.user
        patient.save(update_fields=["appointment_sms"])
        messages.success(request, _("SMS reminders switched on.") if patient.appointment_sms
                         else _("You will no longer receive SMS reminders."))
        return redirect("portal:appointments")
    now = timezone.now()
    rows = list(_activities(patient))
    return render(request, "portal/appointments.html", {
        "patient": patient,
        "upcoming": [a for a in rows if a.scheduled_at >= now and a.status == "planned"],
        "past": [a for a in rows if a.scheduled_at < now][-10:][::-1]})


def _ics_text(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\n", "\\n"))


@membership_required(cap=Cap.PORTAL)
def appointments_ics(request: HttpRequest) -> HttpResponse:
    """My planned appointments as an iCalendar file (RFC 5545) for the phone's calendar."""
    patient = portal_patient(request)
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Constel//Portail patient//FR",
             "CALSCALE:GREGORIAN", "METHOD:PUBLISH"]
    for a in _activities(patient).filter(status=Activity.Status.PLANNED,
                                         scheduled_at__gte=timezone.now()):
        start = a.scheduled_at.astimezone(UTC)
        end = start + timedelta(minutes=a.duration_minutes or 30)
        where = a.group_session.site.name if a.group_session and a.group_session.site else ""
        who = (f"{a.professional.first_name} {a.professional.last_name}"
               if a.professional else "")
        lines += ["BEGIN:VEVENT", f"UID:{a.pk}@constel", f"DTSTAMP:{stamp}",
                  f"DTSTART:{start:%Y%m%dT%H%M%SZ}", f"DTEND:{end:%Y%m%dT%H%M%SZ}",
                  f"SUMMARY:{_ics_text(str(a.get_kind_display()))}",
                  f"DESCRIPTION:{_ics_text(who)}", f"LOCATION:{_ics_text(where)}",
                  "END:VEVENT"]
    lines.append("END:VCALENDAR")
    response = HttpResponse("\r\n".join(lines) + "\r\n",
                            content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="mes-rendez-vous.ics"'
    return response


@membership_required(cap=Cap.PORTAL)
def export(request: HttpRequest) -> HttpResponse:
    """All my data as a ZIP (right of access)."""
    from patients.services import patient_data_zip

    patient = portal_patient(request)
    response = HttpResponse(patient_data_zip(patient=patient), content_type="application/zip")
    response["Content-Disposition"] = (
        f'attachment; filename="mes-donnees-{dates.today(request.tenant):%Y-%m-%d}.zip"')
    return response


@membership_required(cap=Cap.PORTAL)
@require_http_methods(["GET", "POST"])
def consents(request: HttpRequest) -> HttpResponse:
    """My consents: what I agreed to and when; object to the evaluation use of my data (or
    withdraw the objection); leave the programme (the exit starts, my GP gets a letter)."""
    from pathways.models import Enrollment, Phase
    from pathways.services.enrollments import enrollment_exit
    from patients.models import Consent
    from patients.services import consent_record, consent_state

    patient = portal_patient(request)
    active = (Enrollment.objects.filter(patient=patient).exclude(
        phase__in=[Phase.EXITED, Phase.DECLINED]).order_by("-created_at").first())
    errors: dict = {}
    if request.method == "POST":
        action = request.POST.get("action")
        ip = request.META.get("REMOTE_ADDR")
        if action in ("object_evaluation", "withdraw_objection"):
            consent_record(patient=patient, kind=Consent.Kind.EVALUATION_OBJECTION,
                           granted=action == "object_evaluation", method=Consent.Method.PORTAL,
                           actor=request.user, ip_address=ip)
            messages.success(request, _("Your choice is recorded."))
            return redirect("portal:consents")
        if action == "leave" and active is not None:
            if request.POST.get("confirm") != "yes":
                errors["confirm"] = _("Tick the box to confirm that you want to leave.")
            else:
                consent_record(patient=patient, kind=Consent.Kind.INFORMED, granted=False,
                               method=Consent.Method.PORTAL, actor=request.user,
                               ip_address=ip)
                enrollment_exit(enrollment=active, actor=request.user,
                                reason=Enrollment.ExitReason.PATIENT_CHOICE,
                                note=request.POST.get("note", "")[:500])
                messages.success(request, _(
                    "You have left the programme. Your care team and your GP are informed; "
                    "your data stays available here."))
                return redirect("portal:consents")
    state = consent_state(patient)
    history = Consent.objects.filter(patient=patient).order_by("-at")
    objection = state.get(Consent.Kind.EVALUATION_OBJECTION)
    return render(request, "portal/consents.html", {
        "patient": patient, "state": state, "history": history, "active": active,
        "objecting": bool(objection and objection.granted), "errors": errors},
        status=400 if errors else 200)


def _questionnaire_page(request, questionnaire, *, patient=None, done: str):
    errors: dict = {}
    if request.method == "POST":
        try:
            engagement.questionnaire_answer(
                questionnaire=questionnaire, by=request.user, patient=patient,
                answers={str(i): request.POST.get(f"q{i}")
                         for i in range(len(questionnaire.questions))})
        except ValidationError as exc:
            errors = field_errors(exc)
        else:
            messages.success(request, _("Thank you for your answers."))
            return redirect(done)
    questions = [{"i": i, "key": f"q{i}", "value": request.POST.get(f"q{i}", ""),
                  "error": errors.get(f"q{i}"), "range": range(q.get("min", 0),
                                                                 q.get("max", 10) + 1)
                  if q["kind"] == "scale" and q.get("max", 10) - q.get("min", 0) <= 10
                  else None, **q} for i, q in enumerate(questionnaire.questions)]
    return render(request, "portal/questionnaire.html", {
        "questionnaire": questionnaire, "questions": questions, "errors": errors,
        "base": "base.html" if patient is None else "portal/base_portal.html"},
        status=400 if errors else 200)


@membership_required(cap=Cap.PORTAL)
@require_http_methods(["GET", "POST"])
def questionnaire(request: HttpRequest, code: str) -> HttpResponse:
    from engagement.models import Questionnaire

    patient = portal_patient(request)
    q = Questionnaire.objects.filter(code=code, audience="patient", active=True).first()
    if q is None:
        raise Http404
    return _questionnaire_page(request, q, patient=patient, done="portal:home")


@membership_required(cap=Cap.GP_SPACE)
@require_http_methods(["GET", "POST"])
def gp_questionnaire(request: HttpRequest, code: str) -> HttpResponse:
    from engagement.models import Questionnaire

    q = Questionnaire.objects.filter(code=code, audience="gp", active=True).first()
    if q is None:
        raise Http404
    return _questionnaire_page(request, q, done="gp:home")


@membership_required(cap=Cap.PORTAL)
def contents(request: HttpRequest) -> HttpResponse:
    from engagement.models import ContentAssignment

    patient = portal_patient(request)
    given = ContentAssignment.objects.filter(patient=patient).select_related("item")
    return render(request, "portal/contents.html", {"given": given})


@membership_required(cap=Cap.PORTAL)
def content_video(request: HttpRequest, assignment_id) -> HttpResponse:
    from django.http import FileResponse

    from engagement.models import ContentAssignment

    patient = portal_patient(request)
    try:
        a = ContentAssignment.objects.select_related("item").get(pk=assignment_id,
                                                                 patient=patient)
    except (ContentAssignment.DoesNotExist, ValidationError, ValueError) as exc:
        raise Http404 from exc
    if not a.item.video:
        raise Http404
    if a.opened_at is None:
        ContentAssignment.objects.filter(pk=a.pk).update(opened_at=timezone.now())
    return FileResponse(a.item.video.open("rb"), content_type=a.item.video_type)
