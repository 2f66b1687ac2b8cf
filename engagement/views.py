"""Back-office side of the secure messages: the care team reads a patient's thread and
answers; the patient's EPICES score is shown on the patient page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from constel.access import Cap, get_patient_or_404, membership_required, patients_in_scope
from constel.utils import field_errors, is_uuid
from engagement import services as engagement
from engagement.models import Message, MessageAttachment, QuestionnaireResponse


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
            errors = field_errors(exc)
        else:
            messages.success(request, _("Answer sent to the patient."))
            return redirect("engagement:patient_messages", patient.pk)
    engagement.messages_mark_read(patient=patient, reader=request.user, from_patient=True)
    thread = (Message.objects.filter(patient=patient).select_related("author")
              .prefetch_related("attachments").order_by("sent_at"))
    epices = QuestionnaireResponse.objects.filter(
        patient=patient, kind=QuestionnaireResponse.Kind.EPICES).first()
    from engagement.models import ContentAssignment, ContentItem

    return render(request, "pathways/messages.html", {
        "patient": patient, "thread": thread, "errors": errors, "form": request.POST,
        "epices": epices, "contents": ContentItem.objects.for_tenant(request.tenant),
        "given": ContentAssignment.objects.filter(patient=patient).select_related("item")},
        status=400 if errors else 200)


@membership_required(cap=Cap.ALERT_HANDLE)
def message_attachment(request: HttpRequest, attachment_id) -> HttpResponse:
    scope = patients_in_scope(request.membership)
    try:
        a = MessageAttachment.objects.select_related("message").get(
            pk=attachment_id, message__patient__in=scope)
    except (MessageAttachment.DoesNotExist, ValidationError, ValueError) as exc:
        raise Http404 from exc
    return attachment_response(a)


def attachment_response(a: MessageAttachment) -> HttpResponse:
    """An attachment as a download, never rendered by the browser as something else."""
    from constel.utils import attachment_headers

    response = HttpResponse(bytes(a.data), content_type=a.content_type)
    return attachment_headers(response, a.name, a.content_type)


@membership_required(cap=Cap.ALERT_HANDLE)
@require_http_methods(["GET", "POST"])
def contents(request: HttpRequest) -> HttpResponse:
    """The programme's educational contents: texts and videos the team gives patients."""
    from engagement.models import ContentItem

    errors: dict = {}
    if request.method == "POST":
        try:
            engagement.content_create(tenant=request.tenant,
                                      title=request.POST.get("title", ""),
                                      body=request.POST.get("body", ""),
                                      video=request.FILES.get("video"), actor=request.user)
        except ValidationError as exc:
            errors = field_errors(exc)
        else:
            messages.success(request, _("Content added."))
            return redirect("engagement:contents")
    items = ContentItem.objects.for_tenant(request.tenant).annotate(
        patients=Count("assignments"))
    return render(request, "pathways/contents.html", {
        "items": items, "errors": errors, "form": request.POST},
        status=400 if errors else 200)


@membership_required(cap=Cap.ALERT_HANDLE)
@require_POST
def content_assign(request: HttpRequest, patient_id) -> HttpResponse:
    from engagement.models import ContentItem

    patient = get_patient_or_404(request, patient_id, Cap.ALERT_HANDLE)
    item = ContentItem.objects.for_tenant(request.tenant).filter(
        pk=request.POST.get("item") if is_uuid(request.POST.get("item", "")) else None).first()
    if item is None:
        messages.error(request, _("Choose a content from the list."))
    else:
        engagement.content_assign(item=item, patient=patient, actor=request.user)
        messages.success(request, _("The content is on the patient's space."))
    return redirect("engagement:patient_messages", patient.pk)


@membership_required(cap=Cap.ALERT_HANDLE)
def content_video(request: HttpRequest, item_id) -> HttpResponse:
    from engagement.models import ContentItem

    item = ContentItem.objects.for_tenant(request.tenant).filter(
        pk=item_id).exclude(video="").first()
    if item is None:
        raise Http404
    return FileResponse(item.video.open("rb"), content_type=item.video_type)
