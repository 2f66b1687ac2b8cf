"""Test data, built through the services (never by writing rows around them)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.utils import timezone

from constel import services
from constel.models import Membership, Site, Tenant, User
from constel.roles import Role
from constel.tenancy import tenant_context
from pathways.models import Activity, CarePlan, Enrollment, GroupSession
from pathways.services import referral_submit
from patients.catalogue import pathologies_load, table4
from patients.models import Patient, Professional
from patients.services import care_assign, patient_create, professional_create

PASSWORD = "correct-horse-battery-9"
_seq = itertools.count(1)


def tenant_factory(slug: str | None = None, name: str | None = None) -> Tenant:
    n = next(_seq)
    slug = slug or f"prog-{n}"
    return services.tenant_create(
        slug=slug, name=name or f"Programme {slug}", operator="Opérateur test",
        # An open window (the real Constel'Action window closed on 2026-03-02).
        inclusion_window_end=timezone.localdate() + timedelta(days=365),
        cumulative_inclusion_cap=1130,
        claim_period_anchor=date(2022, 10, 1),
    )


def user_factory(prefix: str = "user", **kw) -> User:
    n = next(_seq)
    return services.user_create(
        email=f"{prefix}{n}@example.test", password=PASSWORD,
        first_name=kw.get("first_name", prefix.capitalize()), last_name=kw.get("last_name", f"N{n}"),
    )


@dataclass
class World:
    """One tenant with a member of every role, professionals, and patients related to them."""

    tenant: Tenant
    site: Site
    members: dict[str, Membership] = field(default_factory=dict)
    professionals: dict[str, Professional] = field(default_factory=dict)
    patient: Patient | None = None  # the GP's patient, assigned to specialist/pharmacist/allied
    other_gp_patient: Patient | None = None
    unrelated_gp: Membership | None = None
    unrelated_specialist: Membership | None = None
    referral: Enrollment | None = None  # a GP referral (door b) awaiting the secretary
    enrollment: Enrollment | None = None  # world.patient, in year-1 follow-up
    care_plan: CarePlan | None = None  # its issued PPS v1, awaiting the GP
    activity: Activity | None = None  # a planned session next week
    group_session: GroupSession | None = None

    def user(self, role: str) -> User:
        return self.members[role].user


_PRO_KIND = {
    Role.GP: Professional.Kind.GP,
    Role.SPECIALIST: Professional.Kind.SPECIALIST,
    Role.PHARMACIST: Professional.Kind.PHARMACIST,
    Role.ALLIED_PROFESSIONAL: Professional.Kind.ALLIED,
}


def _member(
    tenant: Tenant, site: Site, role: str, label: str
) -> tuple[Membership, Professional | None]:
    user = user_factory(label)
    m = services.membership_create(user=user, tenant=tenant, role=role, site=site)
    pro = None
    if role in _PRO_KIND:
        pro = professional_create(tenant=tenant, kind=_PRO_KIND[role], first_name=user.first_name,
                                  last_name=user.last_name, user=user,
                                  secure_email=f"{label}@test.mssante.fr")
    return m, pro


def world_factory(tenant: Tenant | None = None, *, patient_name: str = "DUPONT") -> World:
    tenant = tenant or tenant_factory()
    site = services.site_create(tenant=tenant, name=f"Clinique {tenant.slug}", city="Toulouse")
    pathologies_load(tenant=tenant, groups=table4())
    from telemonitoring.services import indicators_load

    indicators_load(tenant=tenant)
    from billing.services import catalogue_load

    catalogue_load(tenant=tenant)
    from engagement.services import questionnaires_load

    questionnaires_load(tenant=tenant)
    services.purposes_load(tenant=tenant)
    world = World(tenant=tenant, site=site)
    for role in Role:
        if role == Role.PATIENT:
            continue
        m, pro = _member(tenant, site, role, role.value.replace("_", ""))
        world.members[role] = m
        if pro is not None:
            world.professionals[role] = pro
    world.unrelated_gp, other_gp_pro = _member(tenant, site, Role.GP, "othergp")
    world.unrelated_specialist, _ = _member(tenant, site, Role.SPECIALIST, "otherspec")

    patient_user = user_factory("patient")
    world.members[Role.PATIENT] = services.membership_create(
        user=patient_user, tenant=tenant, role=Role.PATIENT
    )
    world.patient = patient_create(
        tenant=tenant, birth_name=patient_name, first_names="Jeanne", sex="F",
        birth_date=date(1950, 4, 12), site=site, gp=world.professionals[Role.GP],
        user=patient_user, gp_online_access_agreed=True,
    )
    for role in (Role.SPECIALIST, Role.PHARMACIST, Role.ALLIED_PROFESSIONAL):
        care_assign(patient=world.patient, professional=world.professionals[role])
    world.other_gp_patient = patient_create(
        tenant=tenant, birth_name=f"{patient_name}-AUTRE", first_names="Paul", sex="M",
        birth_date=date(1948, 1, 3), site=site, gp=other_gp_pro,
    )
    follow_up(world)
    world.referral = referral_submit(
        tenant=tenant, gp=world.professionals[Role.GP], actor=world.user(Role.GP),
        identity={"birth_name": f"{patient_name}-ADRESSE", "first_names": "Lucie", "sex": "F",
                  "birth_date": date(1952, 6, 6)},
        questionnaire={"pathologies": {"copd": False, "nash": False},
                       "medico_social": ["poor_access"]},
    )
    return world


def follow_up(world: World) -> None:
    """Drive world.patient from entry to year-1 follow-up through the services."""
    from django.utils import timezone

    from pathways.services import (
        enrollment_include,
        enrollment_propose,
        enrollment_transition,
        gp_agreement_record_phone,
    )
    from pathways.services.activities import (
        activity_plan,
        activity_set_status,
        group_session_create,
    )
    from pathways.services.care_plans import care_plan_draft, care_plan_issue
    from patients.models import Consent, Pathology
    from patients.services import consent_record, diagnosis_add

    tenant = world.tenant
    with tenant_context(tenant):
        copd = Pathology.objects.get(code="copd")
        hf = Pathology.objects.get(code="heart_failure_chronic_and_acute")
    diagnosis_add(patient=world.patient, pathology=copd, diagnosed_on=date(2019, 3, 1))
    diagnosis_add(patient=world.patient, pathology=hf, diagnosed_on=date(2021, 9, 1))
    medco = world.user(Role.PHYSICIAN_COORDINATOR)
    nurse = world.user(Role.NURSE_COORDINATOR)
    enrollment = enrollment_propose(patient=world.patient, actor=medco,
                                    questionnaire={"medico_social": ["poor_access"]})
    gp_agreement_record_phone(enrollment=enrollment, actor=nurse)
    consent_record(patient=world.patient, kind=Consent.Kind.INFORMED, granted=True,
                   method=Consent.Method.PORTAL, notice_version="v1", actor=None,
                   evidence=b"x")
    enrollment = enrollment_include(enrollment=enrollment, actor=nurse)
    now = timezone.now()
    assessment = activity_plan(enrollment=enrollment, kind="assessment",
                               scheduled_at=now - timedelta(minutes=5), duration_minutes=45,
                               professional=world.professionals[Role.SPECIALIST])
    activity_set_status(activity=assessment, status="done")
    enrollment = enrollment_transition(enrollment=enrollment, to_phase="pps_definition",
                                       actor=nurse)
    plan = care_plan_draft(enrollment=enrollment, actor=nurse, kind="initial")
    world.care_plan = care_plan_issue(care_plan=plan, actor=medco)
    world.enrollment = enrollment_transition(enrollment=enrollment, to_phase="follow_up_y1",
                                             actor=nurse)
    world.activity = activity_plan(enrollment=enrollment, kind="non_reimbursed",
                                   scheduled_at=now + timedelta(days=3), profession="dietitian")
    world.group_session = group_session_create(tenant=tenant, label="APA",
                                               scheduled_at=now + timedelta(days=5), capacity=10,
                                               site=world.site)


def follow_up_patient(world: World, name: str) -> Enrollment:
    """Another patient of the world's GP, included and in year-1 follow-up."""
    from django.utils import timezone

    from pathways.services import (
        enrollment_include,
        enrollment_propose,
        enrollment_transition,
        gp_agreement_record_phone,
    )
    from pathways.services.activities import activity_plan, activity_set_status
    from pathways.services.care_plans import care_plan_draft, care_plan_issue
    from patients.models import Consent
    from patients.services import consent_record

    patient = patient_create(tenant=world.tenant, birth_name=name, first_names="Test", sex="M",
                             birth_date=date(1951, 2, 2), gp=world.professionals[Role.GP],
                             site=world.site)
    e = enrollment_propose(patient=patient, actor=None, questionnaire={
        "pathologies": {"copd": False, "nash": False}, "medico_social": ["poor_access"]})
    gp_agreement_record_phone(enrollment=e, actor=None)
    consent_record(patient=patient, kind=Consent.Kind.INFORMED, granted=True,
                   method=Consent.Method.ORAL, notice_version="v1", actor=None)
    e = enrollment_include(enrollment=e, actor=None)
    a = activity_plan(enrollment=e, kind="assessment",
                      scheduled_at=timezone.now() - timedelta(minutes=1))
    activity_set_status(activity=a, status="done")
    e = enrollment_transition(enrollment=e, to_phase="pps_definition", actor=None)
    care_plan_issue(care_plan=care_plan_draft(enrollment=e, actor=None, kind="initial"),
                    actor=world.user(Role.PHYSICIAN_COORDINATOR))
    return enrollment_transition(enrollment=e, to_phase="follow_up_y1", actor=None)


def api_auth(user: User, tenant: Tenant, capsys) -> dict:
    """The test client's headers for a new personal API token of ``user`` in ``tenant``
    (made by the management command, as an operator would)."""
    from django.core.management import call_command

    call_command("create_api_token", user.email, "--tenant", tenant.slug)
    return {"HTTP_AUTHORIZATION": f"Bearer {capsys.readouterr().out.strip()}"}
