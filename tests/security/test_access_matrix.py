"""Every URL of the project, requested as anonymous, as each role, and as a member of
another tenant. A URL pattern without an entry in ACCESS fails the build."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from constel.roles import Role
from tests.factories import World
from tests.project import our_apps

OURS = our_apps()
R = Role


# One world per module (and xdist worker), each test in a savepoint of it (conftest).
@pytest.fixture
def world(module_worlds, db) -> World:
    return module_worlds[0]


@pytest.fixture
def other_world(module_worlds, db) -> World:
    return module_worlds[1]


def _view_module(callback) -> str:
    for attr in ("cls", "view_class"):
        if hasattr(callback, attr):
            return getattr(callback, attr).__module__
    return getattr(callback, "__module__", "")


def project_url_names() -> set[str]:
    """Names of the URL patterns whose view is ours, or that our urlconf declares itself."""
    names: set[str] = set()

    def walk(patterns, namespace: str, ours_module: bool) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                mod = p.urlconf_name
                is_module = not isinstance(mod, list | tuple)
                mod_name = mod if isinstance(mod, str) else getattr(mod, "__name__", "")
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                walk(p.url_patterns, ns, is_module and mod_name.startswith(OURS))
            elif isinstance(p, URLPattern) and (
                ours_module or _view_module(p.callback).startswith(OURS)
            ):
                if not p.name:
                    raise AssertionError(f"URL pattern {p.pattern} of ours has no name")
                names.add(namespace + p.name)

    walk(get_resolver().url_patterns, "", True)
    return names


STAFF_ALL = set(Role) - {R.PATIENT}
EVERYONE = set(Role)
CLINICAL_TEAM = {R.NURSE_COORDINATOR, R.PHYSICIAN_COORDINATOR, R.CARE_MANAGER}


@dataclass
class Entry:
    """How one URL must answer.

    ``ok`` maps role → expected status for members of the tenant; any role not named answers
    ``denied`` (403). ``anonymous`` is the status for a visitor who is not logged in.
    ``scoped``: the URL names an object of the tenant, so a member of another tenant gets 404.
    ``leak_check``: for list pages, a member of another tenant must not see our patient.
    """

    ok: dict[Role, int]
    kwargs: Callable[[World], dict] = lambda w: {}
    method: str = "get"
    anonymous: int = 302
    denied: int = 403
    scoped: bool = False
    leak_check: bool = False
    extra: dict = field(default_factory=dict)


def roles(status: int, *groups) -> dict[Role, int]:
    out: dict[Role, int] = {}
    for g in groups:
        for r in (g if isinstance(g, set | frozenset) else {g}):
            out[r] = status
    return out


def _patient(w: World) -> dict:
    return {"patient_id": w.patient.pk}


def _referral(w: World) -> dict:
    return {"enrollment_id": w.referral.pk}


def _enrollment(w: World) -> dict:
    return {"enrollment_id": w.enrollment.pk}


def _plan(w: World) -> dict:
    return {"care_plan_id": w.care_plan.pk}


def _an_alert(w: World):
    """A critical SpO2 alert of the world's patient."""
    from telemonitoring.services import evaluate_readings, reading_record

    readings = reading_record(enrollment=w.enrollment, indicator_code="spo2", value="85",
                              measured_at=w.enrollment.created_at, entered_by=None,
                              source="portal")
    evaluate_readings(tenant_id=w.tenant.pk, reading_ids=[r.pk for r in readings])
    from constel.tenancy import tenant_context
    from telemonitoring.models import Alert

    with tenant_context(w.tenant):
        return Alert.objects.filter(enrollment=w.enrollment).values_list("pk", flat=True)[0]


def _letter(w: World):
    """The PPS letter of the world's patient, rendered and sent."""
    from constel.tenancy import tenant_context
    from letters.models import Letter
    from letters.services import letter_send

    with tenant_context(w.tenant):
        letter = Letter.objects.get(enrollment=w.enrollment, kind="pps")
    letter_send(letter_id=letter.pk, tenant_id=w.tenant.pk)
    return letter.pk


def _statement(w: World):
    """The claim statement of the current period (the world's patient owes F1 and F2/F3)."""
    from django.utils import timezone

    from billing.services import compile_claims

    return compile_claims(tenant=w.tenant, day=timezone.localdate()).pk


def _ended_statement(w: World):
    """A draft claim statement of an ended period (one that can be issued)."""
    from datetime import date

    from billing.services import compile_claims
    from constel.tenancy import tenant_context
    from pathways.models import CarePlan, EnrollmentTransition

    with tenant_context(w.tenant):
        CarePlan.objects.filter(enrollment=w.enrollment).update(issued_on=date(2025, 1, 10))
        EnrollmentTransition.objects.filter(enrollment=w.enrollment, to_phase="follow_up_y1"
                                            ).update(effective_on=date(2025, 2, 1))
    return compile_claims(tenant=w.tenant, day=date(2025, 1, 10)).pk


def _a_rule(w: World):
    from constel.tenancy import tenant_context
    from telemonitoring.models import AlertRule

    with tenant_context(w.tenant):
        return AlertRule.objects.filter(enrollment=w.enrollment).values_list(
            "pk", flat=True).first()


def _remuneration(w: World):
    from billing.models import RemunerationStatement
    from constel.tenancy import tenant_context

    with tenant_context(w.tenant):
        return RemunerationStatement.objects.get_or_create(
            tenant=w.tenant, professional=w.professionals[R.ALLIED_PROFESSIONAL],
            period_start="2026-10-01", defaults={"period_end": "2027-03-31"})[0].pk


def _attachment(w: World):
    """A PDF the world's patient sent to the care team."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from engagement.services import message_send

    message = message_send(patient=w.patient, author=w.user(R.PATIENT), from_patient=True,
                           body="Mon ordonnance", attachment=SimpleUploadedFile(
                               "ordonnance.pdf", b"%PDF-1.4 demo", "application/pdf"))
    from constel.tenancy import tenant_context

    with tenant_context(w.tenant):
        return message.attachments.get().pk


MP4 = b"\0\0\0\x18ftypmp42" + b"\0" * 64


def _content(w: World):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from engagement.services import content_assign, content_create

    item = content_create(tenant=w.tenant, title="Marcher après 70 ans", body="",
                          video=SimpleUploadedFile("marche.mp4", MP4), actor=None)
    return content_assign(item=item, patient=w.patient, actor=None)


NO_SUCH = "00000000-0000-0000-0000-000000000000"
CLINICAL = CLINICAL_TEAM | {R.SPECIALIST}
EDITORS = CLINICAL_TEAM | {R.SECRETARY}
INBOX = CLINICAL_TEAM | {R.SECRETARY}
DIRECTORY = CLINICAL_TEAM | {R.SPECIALIST, R.SECRETARY, R.PROGRAMME_MANAGER}
DIRECTORY_EDIT = {R.CARE_MANAGER, R.SECRETARY, R.PROGRAMME_MANAGER}


ACCESS: dict[str, Entry] = {
    # Each role lands where its work is: some on their own page (302).
    "home": Entry(ok={**roles(200, STAFF_ALL), **roles(
        302, R.GP, R.PRIVACY_OFFICER, R.PATIENT, R.NURSE_COORDINATOR, R.CARE_MANAGER, R.FINANCE,
        R.PHYSICIAN_COORDINATOR, R.PROGRAMME_MANAGER)}),
    "tenant_choose": Entry(ok=roles(200, EVERYONE)),
    "healthz": Entry(ok=roles(200, EVERYONE), anonymous=200),
    "access_log": Entry(ok={R.PRIVACY_OFFICER: 200}, leak_check=True),
    "privacy": Entry(ok=roles(200, EVERYONE), leak_check=True),
    "usersessions_list": Entry(ok=roles(200, EVERYONE)),
    "api_tokens": Entry(ok=roles(200, {r for r in Role if r not in
                                        (R.PROGRAMME_MANAGER, R.PRIVACY_OFFICER, R.EVALUATOR)})),
    "api_token_revoke": Entry(ok=roles(404, {r for r in Role if r not in
                                             (R.PROGRAMME_MANAGER, R.PRIVACY_OFFICER, R.EVALUATOR)}),
                              method="post",
                              kwargs=lambda w: {"token_id": "00000000-0000-0000-0000-000000000000"}),
    "patients:list": Entry(ok=roles(200, CLINICAL_TEAM, R.SPECIALIST, R.PHARMACIST,
                                    R.ALLIED_PROFESSIONAL, R.SECRETARY), leak_check=True),
    # The GP has the GP space's summary, never the back-office pages (DESIGN §3).
    "patients:detail": Entry(ok=roles(200, CLINICAL_TEAM, R.SPECIALIST, R.PHARMACIST,
                                      R.ALLIED_PROFESSIONAL, R.SECRETARY),
                             kwargs=_patient, scoped=True),
    "patients:create": Entry(ok=roles(200, EDITORS)),
    "patients:edit": Entry(ok=roles(200, EDITORS), kwargs=_patient, scoped=True),
    "patients:diagnosis_add": Entry(ok=roles(302, CLINICAL_TEAM), method="post",
                                    kwargs=_patient, scoped=True),
    "patients:diagnosis_end": Entry(ok=roles(404, CLINICAL_TEAM), method="post", scoped=True,
                                    kwargs=lambda w: {"patient_id": w.patient.pk,
                                                      "diagnosis_id": NO_SUCH}),
    "patients:consent": Entry(ok=roles(200, EDITORS), kwargs=_patient, scoped=True),
    "patients:invite": Entry(ok=roles(302, EDITORS), method="post", kwargs=_patient,
                             scoped=True),
    "patients:professionals": Entry(ok=roles(200, DIRECTORY), leak_check=True),
    "patients:professional_create": Entry(ok=roles(200, DIRECTORY_EDIT)),
    "patients:professional": Entry(ok=roles(200, DIRECTORY), scoped=True,
                                   kwargs=lambda w: {"professional_id": w.professionals[R.GP].pk}),
    "pathways:propose": Entry(ok=roles(200, R.PHYSICIAN_COORDINATOR, R.SPECIALIST),
                              kwargs=_patient, scoped=True),
    "pathways:referrals": Entry(ok=roles(200, INBOX), leak_check=True),
    "pathways:referral": Entry(ok=roles(200, INBOX), kwargs=_referral, scoped=True),
    "pathways:agreement_phone": Entry(ok=roles(302, INBOX), method="post", kwargs=_referral,
                                      scoped=True),
    "pathways:include": Entry(ok=roles(302, INBOX), method="post", kwargs=_referral,
                              scoped=True),
    # The exit asks once more first (the confirmation page).
    "pathways:exit": Entry(ok=roles(200, INBOX), method="post", kwargs=_referral, scoped=True),
    "enrollment-list": Entry(ok=roles(200, CLINICAL_TEAM, R.SPECIALIST, R.PHARMACIST,
                                      R.ALLIED_PROFESSIONAL, R.SECRETARY, R.GP),
                             anonymous=401, leak_check=True),
    # The referral's patient is the GP's, assigned to nobody: assigned roles get 404.
    "enrollment-detail": Entry(ok={**roles(200, CLINICAL_TEAM, R.SECRETARY, R.GP),
                                   **roles(404, R.SPECIALIST, R.PHARMACIST,
                                           R.ALLIED_PROFESSIONAL)},
                               kwargs=lambda w: {"pk": w.referral.pk}, anonymous=401,
                               scoped=True),
    "professional-list": Entry(ok=roles(200, DIRECTORY - {R.PROGRAMME_MANAGER}), anonymous=401,
                               leak_check=True),
    "professional-detail": Entry(ok=roles(200, DIRECTORY - {R.PROGRAMME_MANAGER}),
                                 anonymous=401, scoped=True,
                                 kwargs=lambda w: {"pk": w.professionals[R.GP].pk}),
    "pathways:worklist": Entry(ok=roles(200, CLINICAL_TEAM), leak_check=True),
    "pathways:enrollment": Entry(ok=roles(200, CLINICAL), kwargs=_enrollment,
                                 scoped=True),
    "pathways:transition": Entry(ok=roles(400, INBOX), method="post", kwargs=_enrollment,
                                 scoped=True),
    "pathways:care_plan_new": Entry(ok=roles(400, CLINICAL), method="post",
                                    kwargs=_enrollment, scoped=True),
    "pathways:activity_plan": Entry(ok=roles(400, INBOX), method="post", kwargs=_enrollment,
                                    scoped=True),
    "pathways:care_plan": Entry(ok=roles(200, CLINICAL), kwargs=_plan, scoped=True),
    "pathways:care_plan_edit": Entry(ok=roles(400, CLINICAL), method="post", kwargs=_plan,
                                     scoped=True),
    "pathways:care_plan_issue": Entry(ok=roles(400, R.PHYSICIAN_COORDINATOR, R.SPECIALIST),
                                      method="post", kwargs=_plan, scoped=True),
    "pathways:activity_status": Entry(ok=roles(302, INBOX), method="post", scoped=True,
                                      kwargs=lambda w: {"activity_id": w.activity.pk}),
    "pathways:group_sessions": Entry(ok=roles(200, INBOX)),
    "pathways:group_session": Entry(ok=roles(200, INBOX), scoped=True,
                                    kwargs=lambda w: {"session_id": w.group_session.pk}),
    "gp:care_plan": Entry(ok={R.GP: 200}, kwargs=_plan, scoped=True),
    "activity-list": Entry(ok=roles(200, CLINICAL, R.GP), anonymous=401, leak_check=True),
    "activity-detail": Entry(ok=roles(200, CLINICAL, R.GP), anonymous=401, scoped=True,
                             kwargs=lambda w: {"pk": w.activity.pk}),
    "activity-set-status": Entry(ok=roles(400, INBOX), method="post", anonymous=401,
                                 scoped=True, kwargs=lambda w: {"pk": w.activity.pk}),
    "care-plan-list": Entry(ok=roles(200, CLINICAL, R.GP), anonymous=401, leak_check=True),
    "care-plan-detail": Entry(ok=roles(200, CLINICAL, R.GP), anonymous=401, scoped=True,
                              kwargs=lambda w: {"pk": w.care_plan.pk}),
    # Already issued: the authors get a 400 naming the reason.
    "care-plan-issue": Entry(ok=roles(400, R.PHYSICIAN_COORDINATOR, R.SPECIALIST),
                             method="post", anonymous=401, scoped=True,
                             kwargs=lambda w: {"pk": w.care_plan.pk}),
    "care-plan-validate": Entry(ok={R.GP: 200}, method="post", anonymous=401, scoped=True,
                                kwargs=lambda w: {"pk": w.care_plan.pk}),
    "care-plan-request-changes": Entry(ok={R.GP: 400}, method="post", anonymous=401,
                                       scoped=True, kwargs=lambda w: {"pk": w.care_plan.pk}),
    "enrollment-next-phases": Entry(ok=roles(200, CLINICAL, R.PHARMACIST,
                                             R.ALLIED_PROFESSIONAL, R.SECRETARY, R.GP),
                                    anonymous=401, scoped=True,
                                    kwargs=lambda w: {"pk": w.enrollment.pk}),
    "enrollment-transition": Entry(ok=roles(400, INBOX), method="post", anonymous=401,
                                   scoped=True, kwargs=lambda w: {"pk": w.enrollment.pk}),
    "patients:catalogue": Entry(ok=roles(200, R.PHYSICIAN_COORDINATOR, R.PROGRAMME_MANAGER)),
    "pathways:equipment": Entry(ok=roles(200, INBOX)),
    # The pathway page's forms, posted empty: refused, the page again with the messages (400).
    "pathways:assessment_day": Entry(ok=roles(400, INBOX), method="post", kwargs=_enrollment,
                                     scoped=True),
    "pathways:checklist_mark": Entry(ok=roles(404, INBOX),
                                     method="post", kwargs=_enrollment, scoped=True),
    "pathways:time_record": Entry(ok=roles(400, INBOX), method="post", kwargs=_enrollment,
                                  scoped=True),
    "pathways:reconciliation_record": Entry(ok=roles(400, CLINICAL, R.PHARMACIST),
                                            method="post", kwargs=_enrollment, scoped=True),
    "pathways:equipment_lend": Entry(ok=roles(404, INBOX), method="post", kwargs=_enrollment,
                                     scoped=True),
    "pathways:equipment_return": Entry(ok=roles(404, INBOX), method="post",
                                       kwargs=_enrollment, scoped=True),
    "pathways:hospitalisation_record": Entry(ok=roles(400, CLINICAL), method="post",
                                             kwargs=_enrollment, scoped=True),
    "pathways:lab_result_record": Entry(ok=roles(400, CLINICAL), method="post",
                                        kwargs=_enrollment, scoped=True),
    "pathways:goal_review_record": Entry(ok=roles(400, CLINICAL), method="post",
                                         kwargs=_enrollment, scoped=True),
    "pathways:final_assessment_record": Entry(ok=roles(400, CLINICAL), method="post",
                                              kwargs=_enrollment, scoped=True),
    "gp:letters": Entry(ok={R.GP: 200}, leak_check=True),
    "gp:letter": Entry(ok={R.GP: 200}, scoped=True, kwargs=lambda w: {"letter_id": _letter(w)}),
    "gp:letter_pdf": Entry(ok={R.GP: 200}, scoped=True,
                           kwargs=lambda w: {"letter_id": _letter(w)}),
    "gp:refer": Entry(ok={R.GP: 200}),
    "gp:agreement": Entry(ok={R.GP: 404}, scoped=True,
                          kwargs=lambda w: {"tenant_slug": w.tenant.slug, "token": "not-a-token"}),
    "invitation_accept": Entry(ok=roles(404, EVERYONE), anonymous=404, denied=404,
                               kwargs=lambda w: {"tenant_slug": w.tenant.slug,
                                                 "token": "not-a-token"}),
    "portal:consent": Entry(ok={R.PATIENT: 200}),
    "portal:care_plan": Entry(ok={R.PATIENT: 200}),
    "portal:readings": Entry(ok={R.PATIENT: 200}),
    "reading-list": Entry(ok=roles(200, CLINICAL, R.GP, R.PATIENT), anonymous=401,
                          leak_check=True),
    "alert-list": Entry(ok=roles(200, CLINICAL_TEAM), anonymous=401, leak_check=True),
    "alert-rule-list": Entry(ok=roles(200, CLINICAL, R.GP), anonymous=401, leak_check=True),
    "alert-rule-detail": Entry(ok=roles(200, CLINICAL, R.GP), anonymous=401, scoped=True,
                               kwargs=lambda w: {"pk": _a_rule(w)}),
    "alert-detail": Entry(ok=roles(200, CLINICAL_TEAM), anonymous=401, scoped=True,
                          kwargs=lambda w: {"pk": _an_alert(w)}),
    "alert-take": Entry(ok=roles(200, CLINICAL_TEAM), method="post", anonymous=401,
                        scoped=True, kwargs=lambda w: {"pk": _an_alert(w)}),
    "alert-escalate": Entry(ok=roles(200, CLINICAL_TEAM), method="post", anonymous=401,
                            scoped=True, kwargs=lambda w: {"pk": _an_alert(w)}),
    "alert-close": Entry(ok=roles(400, CLINICAL_TEAM), method="post", anonymous=401,
                         scoped=True, kwargs=lambda w: {"pk": _an_alert(w)}),
    "telemonitoring:alerts": Entry(ok=roles(200, CLINICAL_TEAM), leak_check=True),
    "letters:resend_failed": Entry(ok=roles(302, CLINICAL_TEAM), method="post"),
    "letters:templates": Entry(ok=roles(200, R.PHYSICIAN_COORDINATOR,
                                                R.PROGRAMME_MANAGER)),
    "letters:template": Entry(ok=roles(200, R.PHYSICIAN_COORDINATOR,
                                               R.PROGRAMME_MANAGER),
                                      kwargs=lambda w: {"kind": "pps"}),
    "telemonitoring:alert_count": Entry(ok=roles(200, CLINICAL_TEAM)),
    "letters:retry": Entry(ok=roles(302, CLINICAL_TEAM), method="post", scoped=True,
                                   kwargs=lambda w: {"letter_id": _letter(w)}),
    "telemonitoring:alert": Entry(ok=roles(200, CLINICAL_TEAM), scoped=True,
                            kwargs=lambda w: {"alert_id": _an_alert(w)}),
    "telemonitoring:reading_by_phone": Entry(ok=roles(400, CLINICAL_TEAM), method="post",
                                       kwargs=_enrollment, scoped=True),
    "portal:home": Entry(ok={R.PATIENT: 200}),
    "gp:home": Entry(ok={R.GP: 200}, leak_check=True),
    "gp:patient": Entry(ok={R.GP: 200}, kwargs=_patient, scoped=True),
    "api_schema": Entry(ok=roles(200, EVERYONE), anonymous=401),
    "api_docs": Entry(ok=roles(200, EVERYONE), anonymous=401),
    # Finance and the patient hold the API capability but not the identity one: 403.
    "patient-list": Entry(ok=roles(200, CLINICAL_TEAM, R.SPECIALIST, R.PHARMACIST,
                                   R.ALLIED_PROFESSIONAL, R.SECRETARY, R.GP),
                          anonymous=401, leak_check=True),
    "patient-detail": Entry(ok=roles(200, CLINICAL_TEAM, R.SPECIALIST, R.PHARMACIST,
                                     R.ALLIED_PROFESSIONAL, R.SECRETARY, R.GP),
                            kwargs=lambda w: {"pk": w.patient.pk}, anonymous=401, scoped=True),
    "portal:messages": Entry(ok={R.PATIENT: 200}),
    "portal:attachment": Entry(ok={R.PATIENT: 200}, scoped=True,
                               kwargs=lambda w: {"attachment_id": _attachment(w)}),
    "portal:epices": Entry(ok={R.PATIENT: 200}),
    "portal:appointments": Entry(ok={R.PATIENT: 200}),
    "portal:appointments_ics": Entry(ok={R.PATIENT: 200}),
    "portal:export": Entry(ok={R.PATIENT: 200}),
    "portal:consents": Entry(ok={R.PATIENT: 200}),
    "portal:contents": Entry(ok={R.PATIENT: 200}),
    "portal:content_video": Entry(ok={R.PATIENT: 200}, scoped=True,
                                  kwargs=lambda w: {"assignment_id": _content(w).pk}),
    "engagement:contents": Entry(ok=roles(200, CLINICAL_TEAM)),
    "engagement:content_video": Entry(ok=roles(200, CLINICAL_TEAM), scoped=True,
                                    kwargs=lambda w: {"item_id": _content(w).item_id}),
    "engagement:content_assign": Entry(ok=roles(302, CLINICAL_TEAM), method="post",
                                     kwargs=_patient, scoped=True),
    # The staff-side export is the privacy officer's only (DESIGN §3); without the request
    # it answers, back to the form (302).
    "patients:data_export": Entry(ok={R.PRIVACY_OFFICER: 302}, method="post", kwargs=_patient,
                                  scoped=True),
    "patients:data_requests": Entry(ok={R.PRIVACY_OFFICER: 200}, leak_check=True),
    "portal:act_for": Entry(ok={R.PATIENT: 302}, method="post"),
    "patients:carer_revoke": Entry(ok=roles(302, EDITORS), method="post", scoped=True,
                                   kwargs=lambda w: {"patient_id": w.patient.pk,
                                                     "carer_id": NO_SUCH}),
    "portal:questionnaire": Entry(ok={R.PATIENT: 200},
                                  kwargs=lambda w: {"code": "prem-suivi"}),
    "gp:questionnaire": Entry(ok={R.GP: 200}, kwargs=lambda w: {"code": "satisfaction-mt"}),
    "engagement:patient_messages": Entry(ok=roles(200, CLINICAL_TEAM), kwargs=_patient,
                                       scoped=True),
    "engagement:message_attachment": Entry(ok=roles(200, CLINICAL_TEAM), scoped=True,
                                         kwargs=lambda w: {"attachment_id": _attachment(w)}),
    "evaluation:dashboard": Entry(ok={R.PROGRAMME_MANAGER: 200}, leak_check=True),
    "evaluation:evaluation_export": Entry(ok=roles(200, R.PROGRAMME_MANAGER, R.EVALUATOR),
                                        leak_check=True),
    # FHIR: clinical data, the API's scope; errors are OperationOutcomes (401 anonymous).
    "fhir:patient": Entry(ok=roles(200, CLINICAL, R.GP), anonymous=401, scoped=True,
                          kwargs=lambda w: {"patient_id": w.patient.pk}),
    "fhir:everything": Entry(ok=roles(200, CLINICAL, R.GP), anonymous=401, scoped=True,
                             kwargs=lambda w: {"patient_id": w.patient.pk}),
    "fhir:practitioner": Entry(ok=roles(200, CLINICAL, R.GP), anonymous=401, scoped=True,
                               kwargs=lambda w: {"practitioner_id": w.patient.gp_id}),
    "fhir:observations": Entry(ok=roles(400, CLINICAL, R.GP), anonymous=401, leak_check=True),
    "fhir:care_plans": Entry(ok=roles(400, CLINICAL, R.GP), anonymous=401, leak_check=True),
    "fhir:flags": Entry(ok=roles(400, CLINICAL, R.GP), anonymous=401, leak_check=True),
    # Billing: statements are finance's; the programme manager sees aggregates only.
    "billing:statements": Entry(ok={R.FINANCE: 200}, leak_check=True),
    "billing:compile": Entry(ok={R.FINANCE: 400}, method="post"),  # posted empty: refused
    "billing:statement": Entry(ok={R.FINANCE: 200}, scoped=True,
                               kwargs=lambda w: {"pk": _statement(w)}),
    "billing:statement_issue": Entry(ok={R.FINANCE: 302}, method="post", scoped=True,
                                     kwargs=lambda w: {"pk": _ended_statement(w)}),
    "billing:statement_discard": Entry(ok={R.FINANCE: 302}, method="post", scoped=True,
                                       kwargs=lambda w: {"pk": _statement(w)}),
    "billing:statement_export": Entry(ok={R.FINANCE: 200}, scoped=True,
                                      kwargs=lambda w: {"pk": _statement(w), "fmt": "csv"}),
    "billing:tariffs": Entry(ok={R.FINANCE: 200}),
    "billing:remunerations": Entry(ok={R.FINANCE: 200}, leak_check=True),
    "billing:remuneration": Entry(ok={R.FINANCE: 200}, scoped=True,
                                  kwargs=lambda w: {"pk": _remuneration(w)}),
    "billing:dashboard": Entry(ok=roles(200, R.FINANCE, R.PROGRAMME_MANAGER), leak_check=True),
    "claim-statement-list": Entry(ok={R.FINANCE: 200}, anonymous=401),
    "claim-statement-detail": Entry(ok={R.FINANCE: 200}, anonymous=401, scoped=True,
                                    kwargs=lambda w: {"pk": _statement(w)}),
    "claim-statement-compile": Entry(ok={R.FINANCE: 400}, method="post", anonymous=401),
    "claim-statement-issue": Entry(ok={R.FINANCE: 200}, method="post", anonymous=401,
                                   scoped=True, kwargs=lambda w: {"pk": _ended_statement(w)}),
    "claim-statement-export": Entry(ok={R.FINANCE: 200}, anonymous=401, scoped=True,
                                    kwargs=lambda w: {"pk": _statement(w), "fmt": "xlsx"}),
}


def test_every_project_url_has_an_access_entry():
    names = project_url_names()
    missing = sorted(names - set(ACCESS))
    assert not missing, f"URL patterns without an access-test entry: {missing}"
    stale = sorted(set(ACCESS) - names)
    assert not stale, f"Access entries for URLs that no longer exist: {stale}"


def test_url_walk_finds_a_newly_added_view(settings):
    """The coverage test would notice a view added without its entry."""
    import types

    from django.urls import clear_url_caches, path

    import constel.urls

    urlconf = types.ModuleType("tests_extra_urls")
    urlconf.urlpatterns = [*constel.urls.urlpatterns, path("new/", lambda r: None, name="new_view")]
    urlconf.urlpatterns[-1].callback.__module__ = "patients.views"
    settings.ROOT_URLCONF = urlconf
    clear_url_caches()
    try:
        assert "new_view" in project_url_names() - set(ACCESS)
    finally:
        clear_url_caches()


def _request(client, name: str, entry: Entry, world: World):
    url = reverse(name, kwargs=entry.kwargs(world))
    return getattr(client, entry.method)(url)


CASES = [(name, role) for name in ACCESS for role in Role]


@pytest.mark.parametrize(("name", "role"), CASES, ids=[f"{n}-{r.value}" for n, r in CASES])
def test_role_gets_expected_status(client, login, world, name, role):
    entry = ACCESS[name]
    login(world.user(role))
    response = _request(client, name, entry, world)
    expected = entry.ok.get(role, entry.denied)
    assert response.status_code == expected, (name, role, response.status_code)


@pytest.mark.parametrize("name", sorted(ACCESS))
def test_anonymous(client, world, name):
    entry = ACCESS[name]
    response = _request(client, name, entry, world)
    assert response.status_code == entry.anonymous
    if entry.anonymous == 302:
        assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("name", sorted(ACCESS))
def test_member_of_another_tenant(client, login, world, other_world, name):
    """Each role of the other tenant: scoped URLs answer 404; lists never show our patient."""
    entry = ACCESS[name]
    for role in Role:
        login(other_world.user(role))
        response = _request(client, name, entry, world)
        own_status = entry.ok.get(role, entry.denied)
        if entry.scoped and own_status != entry.denied:
            assert response.status_code == 404, (name, role, response.status_code)
        else:
            assert response.status_code in (own_status, 404), (name, role)
        if entry.leak_check and response.status_code == 200:
            body = response.content.decode()
            assert world.patient.birth_name not in body, (name, role)


@pytest.mark.parametrize("name", ["patients:detail", "patient-detail"])
def test_unrelated_professional_gets_404(client, login, world, name):
    entry = ACCESS[name]
    # (the back-office page is no GP's at all: 403 for every GP, see ACCESS)
    unrelated = [world.unrelated_specialist] + (
        [world.unrelated_gp] if name == "patient-detail" else [])
    for membership in unrelated:
        login(membership.user)
        response = _request(client, name, entry, world)
        assert response.status_code == 404


def test_gp_patient_list_shows_only_own_patients(client, login, world):
    login(world.user(R.GP))
    body = client.get(reverse("gp:home")).content.decode()
    assert world.patient.birth_name in body
    assert world.other_gp_patient.birth_name not in body


def test_malformed_uuid_is_404_not_500(client, login, world):
    login(world.user(R.NURSE_COORDINATOR))
    response = client.get("/api/v1/patients/not-a-uuid/")
    assert response.status_code == 404


def test_within_scope_filters_only_where_the_scope_is_narrower_than_the_tenant(world):
    """The nurse's scope is the whole tenant: no filter (the queryset as given). The
    secretary's also, but not for clinical data of a patient who objects to sharing; the
    GP's is their own patients, with the same objection."""
    from constel.access import within_scope
    from constel.tenancy import tenant_context
    from pathways.models import Enrollment
    from patients.models import Patient
    from tests.factories import follow_up_patient

    shared = follow_up_patient(world, "PARTAGE")
    with tenant_context(world.tenant):
        Patient.objects.filter(pk=world.patient.pk).update(objects_to_sharing=True)
        Patient.objects.filter(pk=shared.patient_id).update(gp_online_access_agreed=True)
        qs = Enrollment.objects.for_tenant(world.tenant)

        def seen(role, **kw):
            return set(within_scope(qs, world.members[role], patient_path="patient", **kw)
                       .values_list("patient_id", flat=True))

        assert within_scope(qs, world.members[R.NURSE_COORDINATOR],
                            patient_path="patient") is qs
        everyone = set(qs.values_list("patient_id", flat=True))
        assert world.patient.pk in everyone and shared.patient_id in everyone
        assert seen(R.SECRETARY) == everyone - {world.patient.pk}
        assert seen(R.SECRETARY, clinical=False) == everyone
        assert seen(R.GP) == {shared.patient_id}
        assert seen(R.GP, clinical=False) >= {world.patient.pk, shared.patient_id}
