"""The GP space (interface only): my patients, refer a patient, answer an agreement."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from constel.access import Cap, membership_required, patients_in_scope
from constel.models import Tenant
from constel.utils import field_errors
from pathways import services as pathway_services
from pathways.models import Enrollment
from patients.forms import EligibilityForm, apply_errors
from patients.models import GroupPeriod, Professional
from portal.forms import AgreementForm, ReferralIdentityForm


def _gp_professional(request: HttpRequest) -> Professional:
    pro = Professional.objects.for_tenant(request.tenant).filter(user=request.user).first()
    if pro is None:
        raise Http404
    return pro


@membership_required(cap=Cap.GP_SPACE)
def home(request: HttpRequest) -> HttpResponse:
    from letters.models import Letter
    from pathways.selectors import care_plans_in_scope
    from telemonitoring.selectors import alerts_in_scope

    enrollments = Enrollment.objects.filter(patient=OuterRef("pk")).order_by("-created_at")
    # Open alerts are counted only where the GP may see them online (agreement, no
    # objection): the same scope as every other clinical read of the GP's.
    visible_alerts = alerts_in_scope(membership=request.membership)
    patients = (
        patients_in_scope(request.membership)
        .annotate(
            phase=Subquery(enrollments.values("phase")[:1]),
            referral_status=Subquery(enrollments.values("referral_status")[:1]),
            group=Subquery(GroupPeriod.objects.filter(patient=OuterRef("pk"))
                           .order_by("-valid_from", "-recorded_at").values("group")[:1]),
            open_alerts=Subquery(visible_alerts.filter(enrollment__patient=OuterRef("pk"))
                                 .exclude(status="closed").order_by().values(
                                     "enrollment__patient").annotate(n=Count("pk"))
                                 .values("n")[:1]),
            last_letter=Subquery(Letter.objects.filter(enrollment__patient=OuterRef("pk"))
                                 .exclude(pdf=None).order_by("-created_at")
                                 .values("created_at")[:1]),
        )
        .order_by("birth_name", "first_names")
    )
    from pathways.models import CarePlan, GpAgreement, Phase

    plans = (care_plans_in_scope(membership=request.membership)
             .filter(status=CarePlan.Status.ISSUED, gp_status=CarePlan.GpStatus.PENDING)
             .select_related("enrollment__patient").order_by("issued_at"))
    pending = (GpAgreement.objects.for_tenant(request.tenant)
               .filter(gp__user=request.user, status__in=[GpAgreement.Status.REQUESTED,
                                                          GpAgreement.Status.PHONE])
               .select_related("enrollment__patient"))
    from engagement.models import Questionnaire

    surveys = (Questionnaire.objects.for_tenant(request.tenant)
               .filter(audience="gp", active=True)
               .exclude(responses__answered_by=request.user))
    return render(request, "portal/gp_home.html",
                  {"patients": patients, "pending": pending, "plans": plans,
                   "phases": dict(Phase.choices), "surveys": surveys})


@membership_required(cap=Cap.GP_SPACE)
@require_http_methods(["GET", "POST"])
def refer(request: HttpRequest) -> HttpResponse:
    gp = _gp_professional(request)
    identity = ReferralIdentityForm(request.POST or None, prefix="id")
    questionnaire = EligibilityForm(request.POST or None, tenant=request.tenant, prefix="q")
    if request.method == "POST" and identity.is_valid() and questionnaire.is_valid():
        try:
            pathway_services.referral_submit(
                tenant=request.tenant, gp=gp, actor=request.user,
                identity=identity.identity(), questionnaire=questionnaire.questionnaire())
        except ValidationError as exc:
            apply_errors(identity, exc)
        else:
            messages.success(request, _("Your referral was sent to the programme's secretariat."))
            return redirect("gp:home")
    status = 400 if (identity.errors or questionnaire.errors) else 200
    return render(request, "portal/gp_refer.html",
                  {"identity": identity, "questionnaire": questionnaire}, status=status)


@membership_required(cap=Cap.GP_SPACE)
@require_http_methods(["GET", "POST"])
def agreement(request: HttpRequest, tenant_slug: str, token: str) -> HttpResponse:
    tenant = get_object_or_404(Tenant, slug=tenant_slug)
    if request.tenant != tenant:
        raise Http404
    found = pathway_services.agreement_for_token(tenant=tenant, token=token)
    if found is None or found.gp.user_id != request.user.pk:
        return render(request, "portal/gp_agreement_invalid.html", status=404)
    form = AgreementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            pathway_services.gp_agreement_answer(
                tenant=tenant, token=token, gp_user=request.user,
                agree=form.cleaned_data["answer"] == "agree",
                comment=form.cleaned_data["comment"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Thank you: your answer is recorded."))
            return redirect("gp:home")
    return render(request, "portal/gp_agreement.html",
                  {"agreement": found, "patient": found.enrollment.patient, "form": form},
                  status=400 if form.errors else 200)


@membership_required(cap=Cap.GP_SPACE)
@require_http_methods(["GET", "POST"])
def care_plan(request: HttpRequest, care_plan_id: str) -> HttpResponse:
    """The GP reads an issued PPS of their patient, validates it or asks for changes."""
    from constel.access import log_patient_read, object_in_scope
    from pathways.models import CarePlan
    from pathways.services.care_plans import care_plan_gp_answer

    # The PPS online only with the patient's agreement and no objection (DESIGN §3); the GP
    # of a patient without it receives the PPS as a letter.
    plan = object_in_scope(
        CarePlan.objects.select_related("enrollment__patient", "issued_by")
        .exclude(status=CarePlan.Status.DRAFT), membership=request.membership,
        patient_path="enrollment__patient", cap=Cap.GP_SPACE, pk=care_plan_id)
    log_patient_read(request, plan.enrollment.patient)
    # Nothing chosen in advance: a GP who asks for changes and meets an error must find
    # their choice and their text as they left them, never a validation ready to send.
    form = {"answer": request.POST.get("answer", ""), "comment": request.POST.get("comment", "")}
    errors: dict = {}
    if request.method == "POST":
        try:
            if form["answer"] not in ("validate", "changes"):
                raise ValidationError({"answer": _(
                    "Choose whether you validate this PPS or ask for changes.")})
            care_plan_gp_answer(care_plan=plan, gp_user=request.user,
                                validate=form["answer"] == "validate",
                                comment=form["comment"])
        except ValidationError as exc:
            errors = field_errors(exc)
        else:
            messages.success(request, _("Thank you: your validation is recorded.")
                             if form["answer"] == "validate" else
                             _("Thank you: your request for changes is sent to the team."))
            return redirect("gp:home")
    return render(request, "portal/gp_care_plan.html",
                  {"plan": plan, "patient": plan.enrollment.patient, "items": plan.items.all(),
                   "form": form, "errors": errors}, status=400 if errors else 200)


@membership_required(cap=Cap.GP_SPACE)
def letters(request: HttpRequest) -> HttpResponse:
    """The GP's letters inbox, unread first."""
    from django.core.paginator import Paginator

    from letters.selectors import gp_inbox

    page = Paginator(gp_inbox(membership=request.membership), 25).get_page(
        request.GET.get("page"))
    return render(request, "portal/gp_letters.html", {"page": page})


def _gp_letter(request: HttpRequest, letter_id: str):
    """The letter, if about a patient of this GP's (404 otherwise), its read logged."""
    from constel.access import log_patient_read
    from letters.selectors import letter_get

    item = letter_get(membership=request.membership, pk=letter_id, cap=Cap.GP_SPACE,
                      clinical=False)
    log_patient_read(request, item.enrollment.patient)
    return item


@membership_required(cap=Cap.GP_SPACE)
def letter(request: HttpRequest, letter_id: str) -> HttpResponse:
    from django.utils import timezone

    from letters.models import Letter

    item = _gp_letter(request, letter_id)
    if item.read_at is None:
        Letter.objects.filter(pk=item.pk, read_at__isnull=True).update(read_at=timezone.now())
    return render(request, "portal/gp_letter.html", {"letter": item})


@membership_required(cap=Cap.GP_SPACE)
def letter_pdf(request: HttpRequest, letter_id: str) -> HttpResponse:
    item = _gp_letter(request, letter_id)
    if not item.pdf:
        raise Http404
    response = HttpResponse(bytes(item.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="courrier-{item.pk}.pdf"'
    return response


@membership_required(cap=Cap.GP_SPACE)
def patient(request: HttpRequest, patient_id) -> HttpResponse:
    """One of my patients: the current PPS, the readings charts and the alerts with their
    outcome (only where the patient agreed to the GP's online access), the letters."""
    from constel.access import can_see_clinical, get_patient_or_404
    from letters.models import Letter
    from pathways import selectors
    from pathways.models import CarePlan
    from telemonitoring.models import Alert

    p = get_patient_or_404(request, patient_id, Cap.GP_SPACE)
    enrollment = Enrollment.objects.filter(patient=p).order_by("-created_at").first()
    clinical = can_see_clinical(request.membership, p)
    plan = charts = alerts = None
    if enrollment is not None and clinical:
        plan = (CarePlan.objects.filter(enrollment=enrollment).exclude(
            status=CarePlan.Status.DRAFT).prefetch_related("items").order_by("-version").first())
        if clinical:
            charts = selectors.reading_charts(enrollment=enrollment)
            alerts = (Alert.objects.filter(enrollment=enrollment).select_related("indicator")
                      .order_by("-opened_at")[:20])
    letters = (Letter.objects.filter(enrollment__patient=p).exclude(pdf=None).defer("pdf")
               .order_by("-created_at"))
    return render(request, "portal/gp_patient.html", {
        "patient": p, "enrollment": enrollment, "plan": plan, "charts": charts,
        "alerts": alerts, "letters": letters, "clinical": clinical})
