"""Back-office pages of patients and the professionals directory."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from constel import dates
from constel.access import (
    Cap,
    can_see_clinical,
    get_patient_or_404,
    has_cap,
    membership_required,
    patients_in_scope,
)
from constel.models import Site
from constel.tenancy import get_object_for_tenant_or_404
from pathways.models import Phase
from patients import services
from patients.forms import (
    ConsentForm,
    ConventionForm,
    DiagnosisForm,
    PatientForm,
    ProfessionalForm,
    apply_errors,
)
from patients.models import Diagnosis, Professional
from patients.selectors import patient_list as select_patients


@membership_required(cap=Cap.PATIENT_LIST)
def patient_list(request: HttpRequest) -> HttpResponse:
    g = request.GET
    qs = select_patients(membership=request.membership, query=g.get("q", ""),
                         phase=g.get("phase", ""), group=g.get("group", ""),
                         site=g.get("site", ""), gp=g.get("gp", ""))
    page = Paginator(qs, 25).get_page(g.get("page"))
    from pathways.services import inclusion_count

    return render(request, "patients/list.html", {
        "page": page, "q": g.get("q", ""), "phases": Phase.choices,
        "inclusions": inclusion_count(request.tenant),
        "sites": Site.objects.for_tenant(request.tenant),
        "gps": Professional.objects.for_tenant(request.tenant).filter(kind=Professional.Kind.GP),
    })


@membership_required(cap=Cap.PATIENT_EDIT)
@require_http_methods(["GET", "POST"])
def patient_create(request: HttpRequest) -> HttpResponse:
    form = PatientForm(request.POST or None, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
        try:
            patient = services.patient_create(tenant=request.tenant, **data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Patient record created."))
            return redirect("patients:detail", patient_id=patient.pk)
    return render(request, "patients/form.html", {"form": form, "title": _("New patient")},
                  status=400 if form.errors else 200)


@membership_required(cap=Cap.PATIENT_EDIT)
@require_http_methods(["GET", "POST"])
def patient_edit(request: HttpRequest, patient_id: str) -> HttpResponse:
    patient = get_patient_or_404(request, patient_id, Cap.PATIENT_EDIT)
    form = PatientForm(request.POST or None, instance=patient, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        try:
            services.patient_update(patient=patient, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("patients:detail", patient_id=patient.pk)
    return render(request, "patients/form.html",
                  {"form": form, "title": patient.display_name, "patient": patient},
                  status=400 if form.errors else 200)


@membership_required(cap=Cap.BACK_OFFICE)
def patient_detail(request: HttpRequest, patient_id: str) -> HttpResponse:
    from pathways.services import inclusion_blockers

    patient = get_patient_or_404(request, patient_id, Cap.PATIENT_IDENTITY)
    show_clinical = can_see_clinical(request.membership, patient)
    enrollments = list(patient.enrollments.select_related("referrer", "gp_agreement")
                       .prefetch_related("transitions"))
    current = next((e for e in enrollments if e.phase not in (Phase.EXITED, Phase.DECLINED)),
                   None)
    context = {
        "patient": patient, "show_clinical": show_clinical,
        "enrollments": enrollments, "current": current,
        "blockers": inclusion_blockers(current) if current and current.phase == Phase.ENTRY
        else [],
        "group": services.group_on(patient, dates.today(request.tenant)),
        "group_history": patient.group_periods.all(),
        "epices": patient.questionnaires.filter(kind="epices").first(),
        "surveys": patient.questionnaires.filter(kind="defined")
        .select_related("questionnaire").order_by("-answered_at")[:6],
        "diagnoses": patient.diagnoses.select_related("pathology").filter(ended_on=None)
        if show_clinical else [],
        "risk_factors": patient.risk_factors(dates.today(request.tenant))
        if show_clinical else [],
        "consents": services.consent_state(patient),
        "invitation": patient.invitations.filter(carer_name="").first(),
        "carers": patient.carers.filter(revoked_at__isnull=True).select_related("user"),
        "carer_invitations": patient.invitations.exclude(carer_name="").filter(
            accepted_at=None, revoked_at=None),
        "now": timezone.now(),
        "diagnosis_form": DiagnosisForm(tenant=request.tenant),
        "can_edit": has_cap(request.membership, Cap.PATIENT_EDIT),
        "can_propose": has_cap(request.membership, Cap.ENROLLMENT_PROPOSE),
        "can_manage": has_cap(request.membership, Cap.ENROLLMENT_MANAGE),
    }
    if show_clinical:
        from telemonitoring.catalogue import unit_label
        from telemonitoring.console import rule_in_words
        from telemonitoring.selectors import rules_of_patient

        active, earlier = rules_of_patient(membership=request.membership, patient=patient)
        context["rules"] = [(r, rule_in_words(r, unit_label(r.indicator.unit))) for r in active]
        context["earlier_rules"] = [(r, rule_in_words(r, unit_label(r.indicator.unit)))
                                    for r in earlier[:50]]
    return render(request, "patients/detail.html", context)


@membership_required(cap=Cap.PATIENT_EDIT)
@require_POST
def diagnosis_add(request: HttpRequest, patient_id: str) -> HttpResponse:
    patient = get_patient_or_404(request, patient_id, Cap.PATIENT_CLINICAL)
    form = DiagnosisForm(request.POST, tenant=request.tenant)
    if form.is_valid():
        try:
            services.diagnosis_add(patient=patient, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
    if form.errors:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    else:
        messages.success(request, _("Pathology recorded."))
    return redirect("patients:detail", patient_id=patient.pk)


@membership_required(cap=Cap.PATIENT_EDIT)
@require_POST
def diagnosis_end(request: HttpRequest, patient_id: str, diagnosis_id: str) -> HttpResponse:
    patient = get_patient_or_404(request, patient_id, Cap.PATIENT_CLINICAL)
    diagnosis = get_object_for_tenant_or_404(
        Diagnosis.objects.filter(patient=patient), request.tenant, pk=diagnosis_id)
    try:
        services.diagnosis_end(diagnosis=diagnosis, ended_on=dates.today(request.tenant))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("patients:detail", patient_id=patient.pk)


@membership_required(cap=Cap.PATIENT_EDIT)
@require_http_methods(["GET", "POST"])
def consent(request: HttpRequest, patient_id: str) -> HttpResponse:
    patient = get_patient_or_404(request, patient_id, Cap.PATIENT_EDIT)
    form = ConsentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        evidence = d["evidence"].read() if d.get("evidence") else None
        try:
            services.consent_record(patient=patient, kind=d["kind"], granted=d["granted"],
                                    method=d["method"], notice_version=d["notice_version"],
                                    evidence=evidence, actor=request.user)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Consent recorded."))
            return redirect("patients:detail", patient_id=patient.pk)
    return render(request, "patients/consent.html", {"form": form, "patient": patient},
                  status=400 if form.errors else 200)


@membership_required(cap=Cap.PATIENT_EDIT)
@require_POST
def invite(request: HttpRequest, patient_id: str) -> HttpResponse:
    patient = get_patient_or_404(request, patient_id, Cap.PATIENT_EDIT)
    try:
        services.invitation_send(patient=patient, email=request.POST.get("email") or None,
                                 carer_name=request.POST.get("carer_name", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Invitation sent."))
    return redirect("patients:detail", patient_id=patient.pk)


@membership_required(cap=Cap.PATIENT_EDIT)
@require_POST
def carer_revoke(request: HttpRequest, patient_id: str, carer_id: str) -> HttpResponse:
    patient = get_patient_or_404(request, patient_id, Cap.PATIENT_EDIT)
    try:
        services.carer_revoke(patient=patient, carer_id=carer_id, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The carer's access is closed."))
    return redirect("patients:detail", patient_id=patient.pk)


# --- Professionals directory ---------------------------------------------------------------

@membership_required(cap=Cap.DIRECTORY)
def professional_list(request: HttpRequest) -> HttpResponse:
    qs = Professional.objects.for_tenant(request.tenant).prefetch_related("conventions")
    kind = request.GET.get("kind", "")
    if kind in Professional.Kind.values:
        qs = qs.filter(kind=kind)
    page = Paginator(qs.order_by("last_name", "first_name", "pk"), 50).get_page(
        request.GET.get("page"))
    return render(request, "patients/professionals.html",
                  {"page": page, "kinds": Professional.Kind.choices,
                   "can_edit": has_cap(request.membership, Cap.DIRECTORY_EDIT)})


@membership_required(cap=Cap.DIRECTORY_EDIT)
@require_http_methods(["GET", "POST"])
def professional_create(request: HttpRequest) -> HttpResponse:
    form = ProfessionalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            pro = services.professional_create(tenant=request.tenant, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("patients:professional", professional_id=pro.pk)
    return render(request, "patients/professional_form.html", {"form": form},
                  status=400 if form.errors else 200)


@membership_required(cap=Cap.DIRECTORY)
@require_http_methods(["GET", "POST"])
def professional_detail(request: HttpRequest, professional_id: str) -> HttpResponse:
    pro = get_object_for_tenant_or_404(Professional, request.tenant, pk=professional_id)
    form = ConventionForm(request.POST or None)
    if request.method == "POST":
        if not has_cap(request.membership, Cap.DIRECTORY_EDIT):
            raise Http404
        if form.is_valid():
            try:
                services.convention_record(professional=pro, **form.cleaned_data)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                return redirect("patients:professional", professional_id=pro.pk)
    return render(request, "patients/professional.html",
                  {"pro": pro, "form": form, "conventions": pro.conventions.all(),
                   "can_edit": has_cap(request.membership, Cap.DIRECTORY_EDIT)},
                  status=400 if form.errors else 200)


@membership_required(cap=Cap.CONFIG_CLINICAL)
@require_http_methods(["GET", "POST"])
def pathology_catalogue(request: HttpRequest) -> HttpResponse:
    """The tenant's pathology catalogue; pathologies may be declared to count as one."""
    from patients.models import Pathology

    pathologies = list(Pathology.objects.for_tenant(request.tenant))
    if request.method == "POST":
        try:
            services.pathology_counts_as(
                tenant=request.tenant,
                mapping={p.code: request.POST.get(f"counts_as_{p.code}", "")
                         for p in pathologies})
        except ValidationError as exc:
            for m in exc.messages:
                messages.error(request, m)
        else:
            messages.success(request, _("Catalogue saved."))
            return redirect("patients:catalogue")
    return render(request, "patients/catalogue.html", {"pathologies": pathologies})


@membership_required(cap=Cap.PATIENT_DATA_EXPORT)
@require_http_methods(["GET"])
def data_requests(request: HttpRequest) -> HttpResponse:
    """The privacy officer answers a patient's right-of-access request: find the patient
    (name or birth date), say which request it answers, download the ZIP."""
    from constel.utils import clean_text

    query = clean_text(request.GET.get("q", ""))[:100]
    found = []
    if len(query) >= 2:
        found = list(select_patients(membership=request.membership, query=query)[:30])
    return render(request, "patients/data_requests.html", {"query": query, "found": found})


@membership_required(cap=Cap.PATIENT_DATA_EXPORT)
@require_POST
def data_export(request: HttpRequest, patient_id: str) -> HttpResponse:
    """The patient's data as a ZIP, answering their right-of-access request (the same file
    as the portal's download). The privacy officer's only (DESIGN §3); the read and the
    request it answers are in the access log."""
    from constel.utils import attachment_headers, clean_text, is_uuid

    reference = clean_text(request.POST.get("reference", ""))[:200]
    if not is_uuid(patient_id) or not patients_in_scope(request.membership).filter(
            pk=patient_id).exists():
        raise Http404
    if not reference:
        messages.error(request, _("Say which request this export answers (its date and how "
                                  "it was received)."))
        return redirect(reverse("patients:data_requests") + "?" + urlencode(
            {"q": request.POST.get("q", "")[:100]}))
    patient = get_patient_or_404(request, patient_id, Cap.PATIENT_DATA_EXPORT,
                                 reason=reference)
    response = HttpResponse(services.patient_data_zip(patient=patient),
                            content_type="application/zip")
    day = dates.today(request.tenant)
    return attachment_headers(response, f"donnees-{patient.birth_name.lower()}-{day:%Y-%m-%d}.zip")
