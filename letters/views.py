"""The letters' pages of the back-office: a failed letter sent again, all of them after an
SMTP outage, the tenant's templates (opening and closing of each kind) with a PDF preview."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from constel.access import Cap, log_patient_read, membership_required
from constel.utils import field_errors
from letters import services as letter_services
from letters.models import Letter, LetterTemplate
from letters.selectors import letter_get
from letters.services import render_frame, render_pdf
from letters.tasks import send_letter_task
from patients.models import Patient, Professional


@membership_required(cap=Cap.WORKLIST)
@require_POST
def letter_retry(request: HttpRequest, letter_id: str) -> HttpResponse:
    """Send a failed letter again (the task still sends it at most once)."""
    letter = letter_get(membership=request.membership, pk=letter_id, cap=Cap.WORKLIST)
    log_patient_read(request, letter.enrollment.patient)
    if letter.status == Letter.Status.FAILED:
        send_letter_task.delay(str(letter.tenant_id), str(letter.pk))
        messages.success(request, _("The letter is being sent again."))
    return redirect("pathways:worklist")


@membership_required(cap=Cap.WORKLIST)
@require_POST
def letters_resend(request: HttpRequest) -> HttpResponse:
    """After an SMTP outage: every failed letter of the programme queued again (those
    already sent never are)."""
    n = letter_services.letters_resend(tenant=request.tenant)
    messages.success(request, ngettext("%(n)s letter is being sent again.",
                                       "%(n)s letters are being sent again.", n) % {"n": n})
    return redirect("pathways:worklist")


@membership_required(cap=Cap.CONFIG_CLINICAL)
def letter_templates(request: HttpRequest) -> HttpResponse:
    saved = {t.kind: t for t in LetterTemplate.objects.for_tenant(request.tenant)}
    return render(request, "letters/templates.html", {
        "kinds": [(value, label, saved.get(value)) for value, label in Letter.Kind.choices]})


@membership_required(cap=Cap.CONFIG_CLINICAL)
@require_http_methods(["GET", "POST"])
def letter_template(request: HttpRequest, kind: str) -> HttpResponse:
    """Edit the opening and closing of a kind of letter; "preview" renders a sample PDF with
    the text as typed (nothing saved); "save" keeps it only if it renders."""
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
            return redirect("letters:template", kind)
    return render(request, "letters/template.html", {
        "kind": kind, "label": Letter.Kind(kind).label, "form": form, "errors": errors,
        "values": letter_services.TEMPLATE_VALUES, "current": current},
        status=400 if errors else 200)


def _letter_preview(request: HttpRequest, kind: str, form: dict) -> HttpResponse:
    """A sample letter of this kind with the typed text, as PDF (nothing stored)."""
    render_frame(form["opening"], form["closing"], {})  # raises with the part that fails
    patient = Patient(tenant=request.tenant, birth_name="EXEMPLE", first_names="Jeanne",
                      sex="F", birth_date=date(1950, 1, 1))
    gp = Professional(tenant=request.tenant, kind="gp", first_name="Anne", last_name="Vidal")
    letter = Letter(tenant=request.tenant, gp=gp,
                    kind=kind, subject=str(Letter.Kind(kind).label),
                    body="(Le contenu propre à l'événement s'insère ici.)")
    pdf = render_pdf(letter, template=LetterTemplate(tenant=request.tenant, kind=kind, **form),
                     patient=patient)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="apercu.pdf"'
    return response
