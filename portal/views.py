"""The patient portal (interface only)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from constel.access import Cap, acting_for, membership_required
from constel.middleware import ACTIVE_MEMBERSHIP_SESSION_KEY
from constel.models import Membership, Tenant
from constel.roles import Role
from constel.tenancy import tenant_context
from patients import services as patient_services
from patients.forms import apply_errors
from patients.models import Consent
from portal.forms import PortalConsentForm, SetPasswordForm

NOTICE_VERSION = "2025-07"


#: The patient a login that acts for several (its own record, those it is a carer of) has
#: chosen to act for; by default its own record, else the first by name.
ACTING_FOR_SESSION_KEY = "portal_acting_for"


def portal_choices(request: HttpRequest) -> list:
    """[(patient, is_own_record)] this login acts for, read once per request."""
    if not hasattr(request, "_acting_for"):
        request._acting_for = acting_for(request.membership)
    return request._acting_for


def portal_patient(request: HttpRequest, posted: str | None = None):
    """The patient whose portal this is: the one chosen in the "for whom" switch (shown on
    every portal page when there is a choice), or with ``posted`` the one a form was filled
    for — which must be one of the login's."""
    choices = portal_choices(request)
    if not choices:
        raise Http404
    if posted is None and request.method == "POST" and request.POST.get("for_patient"):
        posted = request.POST["for_patient"]
    if posted == "":
        posted = None
    wanted = posted if posted is not None else request.session.get(ACTING_FOR_SESSION_KEY)
    for patient, _own in choices:
        if str(patient.pk) == wanted:
            request.acting_for_patient = patient
            return patient
    if posted is not None:
        raise Http404
    request.acting_for_patient = choices[0][0]
    return choices[0][0]


def is_own_record(request: HttpRequest, patient) -> bool:
    return any(p.pk == patient.pk and own for p, own in portal_choices(request))


@membership_required(cap=Cap.PORTAL)
@require_http_methods(["POST"])
def act_for(request: HttpRequest) -> HttpResponse:
    """Switch the patient the portal acts for."""
    from django.utils.http import url_has_allowed_host_and_scheme

    patient = portal_patient(request, posted=request.POST.get("patient", ""))
    request.session[ACTING_FOR_SESSION_KEY] = str(patient.pk)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "portal:home"
    return redirect(target)


@membership_required(cap=Cap.PORTAL)
def home(request: HttpRequest) -> HttpResponse:
    """What to do today: readings due, the next appointment, unread messages, a
    questionnaire to fill."""
    from engagement.models import Questionnaire, QuestionnaireResponse
    from engagement.services import unread_count
    from pathways.models import Activity
    from telemonitoring.models import AlertRule, Reading

    patient = portal_patient(request)
    now = timezone.now()
    rules = (AlertRule.objects.filter(enrollment__patient=patient, active=True,
                                      kind=AlertRule.Kind.MISSING)
             .exclude(indicator__code="diastolic_bp").select_related("indicator"))
    last = dict(Reading.objects.filter(enrollment__patient=patient).values(
        "indicator_id").annotate(last=Max("measured_at")).values_list("indicator_id", "last"))
    due = [r.indicator for r in rules if last.get(r.indicator_id) is None
           or now - last[r.indicator_id] >= timedelta(hours=r.expected_interval_hours or 24)]
    return render(request, "portal/home.html", {
        "patient": patient,
        "needs_consent": not patient_services.has_informed_consent(patient),
        "due": due,
        "next_appointment": Activity.objects.filter(
            enrollment__patient=patient, status=Activity.Status.PLANNED, scheduled_at__gte=now)
        .exclude(kind=Activity.Kind.CALL).select_related("professional")
        .order_by("scheduled_at").first(),
        "unread": unread_count(patient=patient, from_patient=False),
        "epices_todo": not QuestionnaireResponse.objects.filter(
            patient=patient, kind=QuestionnaireResponse.Kind.EPICES).exists(),
        "questionnaires": Questionnaire.objects.filter(audience="patient", active=True)
        .exclude(responses__patient=patient),
    })


@membership_required(cap=Cap.PORTAL)
@require_http_methods(["GET", "POST"])
def consent(request: HttpRequest) -> HttpResponse:
    patient = portal_patient(request)
    notice = render_to_string("portal/notice.html", {"tenant": request.tenant})
    form = PortalConsentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        evidence = f"{notice}\n{patient.pk}\n{timezone.now().isoformat()}".encode()
        patient_services.consent_record(
            patient=patient, kind=Consent.Kind.INFORMED, granted=True,
            method=Consent.Method.PORTAL, notice_version=NOTICE_VERSION, evidence=evidence,
            ip_address=request.META.get("REMOTE_ADDR"), actor=request.user)
        messages.success(request, _("Thank you. Your consent is recorded."))
        return redirect("portal:home")
    return render(request, "portal/consent.html",
                  {"form": form, "notice": notice, "version": NOTICE_VERSION,
                   "notice_sha": hashlib.sha256(notice.encode()).hexdigest()[:12]},
                  status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, tenant_slug: str, token: str) -> HttpResponse:
    """Anonymous: the one-time link of the invitation e-mail.

    No account for the address: the page sets the password of a new one and signs it in.
    An account exists: the link never signs anyone in — the account's owner signs in
    normally (password, second factor) and then attaches the invitation with one button."""
    tenant = get_object_or_404(Tenant, slug=tenant_slug)
    invitation = patient_services.invitation_for_token(tenant=tenant, token=token)
    state = invitation.status(timezone.now()) if invitation else "invalid"
    if state != "pending":
        return render(request, "portal/invitation_invalid.html",
                      {"state": state, "tenant": tenant}, status=410 if invitation else 404)
    if patient_services.invitation_account(invitation) is not None:
        return _invitation_existing_account(request, tenant, token, invitation)
    form = SetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = patient_services.invitation_accept(
                tenant=tenant, token=token, password=form.cleaned_data["password1"])
        except ValidationError as exc:
            exc = ValidationError({"password1": exc.message_dict.get(
                "password", exc.message_dict.get("token", exc.messages))})
            apply_errors(form, exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            with tenant_context(tenant, user_id=user.pk):
                membership = Membership.objects.get(user=user, role=Role.PATIENT)
            request.session[ACTIVE_MEMBERSHIP_SESSION_KEY] = str(membership.pk)
            return redirect("portal:consent")
    return render(request, "portal/invitation.html",
                  {"form": form, "invitation": invitation, "tenant": tenant},
                  status=400 if form.errors else 200)


def _invitation_existing_account(request: HttpRequest, tenant: Tenant, token: str,
                                 invitation) -> HttpResponse:
    from django.urls import reverse
    from django.utils.http import urlencode

    here = request.get_full_path()
    context = {"invitation": invitation, "tenant": tenant,
               "login_url": reverse("account_login") + "?" + urlencode({"next": here}),
               "logout_url": reverse("account_logout")}
    user = request.user
    if not user.is_authenticated:
        return render(request, "portal/invitation_sign_in.html", context)
    if (user.email or "").lower() != invitation.email.lower():
        return render(request, "portal/invitation_sign_in.html",
                      {**context, "other_account": True}, status=403)
    error = None
    if request.method == "POST":
        try:
            membership = patient_services.invitation_attach(tenant=tenant, token=token,
                                                            user=user)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            request.session[ACTIVE_MEMBERSHIP_SESSION_KEY] = str(membership.pk)
            messages.success(request, _("The invitation is added to your account."))
            return redirect("portal:home")
    return render(request, "portal/invitation_sign_in.html",
                  {**context, "signed_in": True, "error": error},
                  status=400 if error else 200)


@membership_required(cap=Cap.PORTAL)
def care_plan(request: HttpRequest) -> HttpResponse:
    """The current issued PPS in plain words: what, who, how often."""
    from pathways.models import CarePlan

    patient = portal_patient(request)
    plan = (CarePlan.objects.filter(enrollment__patient=patient,
                                    status=CarePlan.Status.ISSUED)
            .order_by("-issued_at").first())
    return render(request, "portal/care_plan.html",
                  {"patient": patient, "plan": plan,
                   "items": plan.items.all() if plan else []})
