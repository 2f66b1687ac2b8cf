"""Back-office pages of the entry phase: proposal (door a), referral inbox (door b), GP
agreement by phone, inclusion and exit."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from constel import dates
from constel.access import Cap, get_patient_or_404, log_patient_read, membership_required
from constel.forms_typed import Refused
from constel.tenancy import get_object_for_tenant_or_404
from pathways import services
from pathways.forms import DeclineForm, ExitForm, IncludeForm, PhoneAgreementForm
from pathways.models import Enrollment
from pathways.selectors import enrollments_in_scope
from patients.forms import EligibilityForm, apply_errors


def _enrollment(request: HttpRequest, enrollment_id: str) -> Enrollment:
    """An enrollment of a patient in the user's scope (404 otherwise)."""
    return get_object_for_tenant_or_404(
        enrollments_in_scope(membership=request.membership)
        .select_related("patient", "referrer"),
        request.tenant, pk=enrollment_id)


@membership_required(cap=Cap.ENROLLMENT_PROPOSE)
@require_http_methods(["GET", "POST"])
def propose(request: HttpRequest, patient_id: str) -> HttpResponse:
    patient = get_patient_or_404(request, patient_id, Cap.PATIENT_CLINICAL)
    form = EligibilityForm(request.POST or None, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        try:
            services.enrollment_propose(patient=patient, actor=request.user,
                                        questionnaire=form.questionnaire())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Proposal recorded; the GP has been asked to agree."))
            return redirect("patients:detail", patient_id=patient.pk)
    return render(request, "pathways/propose.html", {"form": form, "patient": patient},
                  status=400 if form.errors else 200)


@membership_required(cap=Cap.REFERRAL_INBOX)
def referral_inbox(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "open")
    qs = (Enrollment.objects.for_tenant(request.tenant)
          .filter(door=Enrollment.Door.GP_REFERRAL).select_related("patient", "referrer")
          .order_by("created_at", "pk"))
    if status == "open":
        qs = qs.filter(referral_status__in=[Enrollment.ReferralStatus.RECEIVED,
                                            Enrollment.ReferralStatus.IN_REVIEW])
    elif status in Enrollment.ReferralStatus.values:
        qs = qs.filter(referral_status=status)
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    return render(request, "pathways/referrals.html",
                  {"page": page, "status": status, "now": timezone.now(),
                   "statuses": Enrollment.ReferralStatus.choices})


@membership_required(cap=Cap.REFERRAL_INBOX)
@require_http_methods(["GET", "POST"])
def referral_detail(request: HttpRequest, enrollment_id: str) -> HttpResponse:
    enrollment = _enrollment(request, enrollment_id)
    if enrollment.door != Enrollment.Door.GP_REFERRAL:
        return redirect("patients:detail", patient_id=enrollment.patient_id)
    form = EligibilityForm(tenant=request.tenant)
    decline_form = DeclineForm()
    action = request.POST.get("action")
    if request.method == "POST":
        try:
            if action == "reassess":
                form = EligibilityForm(request.POST, tenant=request.tenant)
                if form.is_valid():
                    services.referral_reassess(enrollment=enrollment, actor=request.user,
                                               questionnaire=form.questionnaire())
                    return redirect("pathways:referral", enrollment_id=enrollment.pk)
            elif action == "accept":
                if enrollment.referral_status not in (Enrollment.ReferralStatus.RECEIVED,
                                                      Enrollment.ReferralStatus.IN_REVIEW):
                    # a double click, or a colleague was quicker: nothing to do again
                    messages.info(request, _("This referral was already handled."))
                    return redirect("patients:detail", patient_id=enrollment.patient_id)
                services.referral_accept(enrollment=enrollment, actor=request.user)
                messages.success(request, _("Referral accepted."))
                return redirect("patients:detail", patient_id=enrollment.patient_id)
            elif action == "decline":
                decline_form = DeclineForm(request.POST)
                if decline_form.is_valid():
                    services.referral_decline(enrollment=enrollment, actor=request.user,
                                              reason=decline_form.cleaned_data["reason"])
                    messages.success(request, _("Referral declined; the GP is informed."))
                    return redirect("pathways:referrals")
        except ValidationError as exc:
            target = decline_form if action == "decline" else form
            if target.is_bound:
                apply_errors(target, exc)
            else:
                for message in exc.messages:
                    messages.error(request, message)
                return redirect("pathways:referral", enrollment_id=enrollment.pk)
    assessment = enrollment.eligibility_assessments.order_by("-at").first()
    status = 400 if (form.errors or decline_form.errors) else 200
    return render(request, "pathways/referral.html",
                  {"enrollment": enrollment, "assessment": assessment, "form": form,
                   "decline_form": decline_form}, status=status)


@membership_required(cap=Cap.ENROLLMENT_MANAGE)
@require_POST
def agreement_phone(request: HttpRequest, enrollment_id: str) -> HttpResponse:
    enrollment = _enrollment(request, enrollment_id)
    form = PhoneAgreementForm(request.POST)
    form.is_valid()
    try:
        services.gp_agreement_record_phone(enrollment=enrollment, actor=request.user,
                                           note=form.cleaned_data.get("note", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The GP's agreement by phone is recorded."))
    return redirect("patients:detail", patient_id=enrollment.patient_id)


@membership_required(cap=Cap.ENROLLMENT_MANAGE)
@require_POST
def include(request: HttpRequest, enrollment_id: str) -> HttpResponse:
    enrollment = _enrollment(request, enrollment_id)
    form = IncludeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter a valid inclusion date."))
    else:
        try:
            services.enrollment_include(enrollment=enrollment, actor=request.user,
                                        on=form.cleaned_data["on"])
        except ValidationError as exc:
            for m in exc.messages:
                messages.error(request, m)
        else:
            messages.success(request, _("Patient included."))
    return redirect("patients:detail", patient_id=enrollment.patient_id)


@membership_required(cap=Cap.ENROLLMENT_MANAGE)
@require_http_methods(["GET", "POST"])
def exit_(request: HttpRequest, enrollment_id: str) -> HttpResponse:
    """The exit asks once more: the patient, the reason, the date and what the exit does; the
    form comes back as typed, each message beside its field, until it is confirmed."""
    enrollment = _enrollment(request, enrollment_id)
    form = ExitForm(request.POST or None)
    typed = None  # what was chosen, kept on the page (with the messages once confirmed)
    if request.method == "POST" and request.POST.get("confirmed") != "1":
        typed = Refused("exit", request.POST)
    elif request.method == "POST" and not form.is_valid():
        typed = Refused("exit", request.POST,
                        {k: " ".join(v) for k, v in form.errors.items()})
    elif request.method == "POST":
        try:
            services.enrollment_exit(enrollment=enrollment, actor=request.user,
                                     reason=form.cleaned_data["reason"],
                                     on=form.cleaned_data["on"], note=form.cleaned_data["note"])
        except ValidationError as exc:
            typed = Refused.of("exit", request.POST, exc, {
                "exit_reason": "reason", "effective_on": "on", "reason": "note",
                "phase": "__all__"})
        else:
            messages.success(request, _("Exit recorded: the exit letter goes to the GP."))
            return redirect("patients:detail", patient_id=enrollment.patient_id)
    log_patient_read(request, enrollment.patient)
    return render(request, "pathways/exit.html", {
        "enrollment": enrollment, "patient": enrollment.patient, "refused": typed,
        "planned": enrollment.activities.filter(status="planned").count(),
        "reasons": Enrollment.ExitReason.choices,
        "default_on": dates.today(request.tenant).isoformat(),
    }, status=400 if typed and typed.errors else 200)
