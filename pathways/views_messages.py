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

from constel import dates
from constel.access import Cap, get_patient_or_404, membership_required, patients_in_scope
from constel.utils import csv_bytes, field_errors, is_uuid
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
            errors = field_errors(exc)
        else:
            messages.success(request, _("Answer sent to the patient."))
            return redirect("pathways:patient_messages", patient.pk)
    engagement.messages_mark_read(patient=patient, reader=request.user, from_patient=True)
    thread = (Message.objects.filter(patient=patient).select_related("author")
              .prefetch_related("attachments").order_by("sent_at"))
    epices = QuestionnaireResponse.objects.filter(
        patient=patient, kind=QuestionnaireResponse.Kind.EPICES).first()
    from pathways.models import ContentAssignment, ContentItem

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
    from pathways.models import ContentItem

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
            return redirect("pathways:contents")
    items = ContentItem.objects.for_tenant(request.tenant).annotate(
        patients=Count("assignments"))
    return render(request, "pathways/contents.html", {
        "items": items, "errors": errors, "form": request.POST},
        status=400 if errors else 200)


@membership_required(cap=Cap.ALERT_HANDLE)
@require_POST
def content_assign(request: HttpRequest, patient_id) -> HttpResponse:
    from pathways.models import ContentItem

    patient = get_patient_or_404(request, patient_id, Cap.ALERT_HANDLE)
    item = ContentItem.objects.for_tenant(request.tenant).filter(
        pk=request.POST.get("item") if is_uuid(request.POST.get("item", "")) else None).first()
    if item is None:
        messages.error(request, _("Choose a content from the list."))
    else:
        engagement.content_assign(item=item, patient=patient, actor=request.user)
        messages.success(request, _("The content is on the patient's space."))
    return redirect("pathways:patient_messages", patient.pk)


@membership_required(cap=Cap.ALERT_HANDLE)
def content_video(request: HttpRequest, item_id) -> HttpResponse:
    from pathways.models import ContentItem

    item = ContentItem.objects.for_tenant(request.tenant).filter(
        pk=item_id).exclude(video="").first()
    if item is None:
        raise Http404
    return FileResponse(item.video.open("rb"), content_type=item.video_type)


@membership_required(cap=Cap.EVALUATION_EXPORT)
@require_http_methods(["GET", "POST"])
def evaluation_export(request: HttpRequest) -> HttpResponse:
    """The pseudonymised export for the evaluators (ZIP of CSV files with a dictionary)."""
    from pathways.models import EvaluationExport
    from pathways.services.evaluation import evaluation_export as export
    from pathways.services.evaluation import parse_period

    errors: dict = {}
    if request.method == "POST":
        try:
            start, end = parse_period(request.POST.get("start", ""),
                                      request.POST.get("end", ""))
        except ValidationError as exc:
            errors = field_errors(exc)
        else:
            data = export(tenant=request.tenant, start=start, end=end, by=request.user)
            response = HttpResponse(data, content_type="application/zip")
            response["Content-Disposition"] = (
                f'attachment; filename="evaluation-{request.tenant.slug}-{start}-{end}.zip"')
            return response
    log = EvaluationExport.objects.for_tenant(request.tenant).select_related("by")[:20]
    return render(request, "pathways/evaluation_export.html", {
        "errors": errors, "form": request.POST, "log": log}, status=400 if errors else 200)


@membership_required(cap=Cap.EVALUATION_DASHBOARD)
def programme_dashboard(request: HttpRequest) -> HttpResponse:
    """Aggregates for the programme manager, for a period and a site; CSV of each table."""
    from constel.models import Site
    from pathways.dashboard import dashboard

    errors: dict = {}
    today = dates.today(request.tenant)
    start, end = request.tenant.claim_period_anchor, today
    if request.GET.get("start") or request.GET.get("end"):
        from pathways.services.evaluation import parse_period

        try:
            start, end = parse_period(request.GET.get("start") or start.isoformat(),
                                      request.GET.get("end") or end.isoformat())
        except ValidationError as exc:
            errors = field_errors(exc)
    sites = list(Site.objects.for_tenant(request.tenant))
    site = request.GET.get("site", "")
    site_id = site if site and is_uuid(site) and any(str(s.pk) == site for s in sites) else None
    tables = [] if errors else dashboard(tenant=request.tenant, start=start, end=end,
                                         site_id=site_id)
    wanted = request.GET.get("csv")
    if wanted and not errors:
        table = next((t for t in tables if t.key == wanted), None)
        if table is None:
            raise Http404
        response = HttpResponse(csv_bytes(table.header, table.rows),
                                content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="{request.tenant.slug}-{table.key}-{start}-{end}.csv"')
        return response
    for t in tables:
        if t.chart and t.rows:
            top = max(r[1] for r in t.rows) or 1
            t.bars = [(str(r[0])[:24], r[1], int(300 * r[1] / top), 22 * i + 16)
                      for i, r in enumerate(t.rows)]
            t.height = 22 * len(t.rows) + 8
    return render(request, "pathways/dashboard.html", {
        "tables": tables, "errors": errors, "start": start, "end": end, "sites": sites,
        "site": site_id or "", "query": request.GET.urlencode()},
        status=400 if errors else 200)
