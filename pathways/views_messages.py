"""Back-office side of the secure messages: the care team reads a patient's thread and
answers; the patient's EPICES score is shown on the patient page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from constel.access import Cap, get_patient_or_404, membership_required, patients_in_scope
from pathways.models import Message, MessageAttachment, QuestionnaireResponse
from pathways.services import engagement


@membership_required(cap=Cap.ALERT_HANDLE)
@require_http_methods(["GET", "POST"])
def patient_messages(request: HttpRequest, patient_id) -> HttpResponse:
    patient = get_patient_or_404(request, patient_id, Cap.ALERT_HANDLE)
    errors: dict = {}
    if request.method == "POST":
        try:
            engagement.message_send(patient=patient, author=request.user, from_patient=False,
                                    body=request.POST.get("body", ""),
                                    attachment=request.FILES.get("attachment"))
        except ValidationError as exc:
            errors = {k: " ".join(v) for k, v in exc.message_dict.items()}
        else:
            messages.success(request, _("Answer sent to the patient."))
            return redirect("pathways:patient_messages", patient.pk)
    engagement.messages_mark_read(patient=patient, reader=request.user, from_patient=True)
    thread = (Message.objects.filter(patient=patient).select_related("author")
              .prefetch_related("attachments").order_by("sent_at"))
    epices = QuestionnaireResponse.objects.filter(
        patient=patient, kind=QuestionnaireResponse.Kind.EPICES).first()
    return render(request, "pathways/messages.html", {
        "patient": patient, "thread": thread, "errors": errors, "form": request.POST,
        "epices": epices}, status=400 if errors else 200)


@membership_required(cap=Cap.ALERT_HANDLE)
def message_attachment(request: HttpRequest, attachment_id) -> HttpResponse:
    scope = patients_in_scope(request.membership)
    try:
        a = MessageAttachment.objects.select_related("message").get(
            pk=attachment_id, message__patient__in=scope)
    except (MessageAttachment.DoesNotExist, ValidationError, ValueError) as exc:
        raise Http404 from exc
    response = HttpResponse(bytes(a.data), content_type=a.content_type)
    response["Content-Disposition"] = f'attachment; filename="{a.name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
