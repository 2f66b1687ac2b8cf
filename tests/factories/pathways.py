"""Factories of pathways/: a patient driven into follow-up through the services."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from constel.roles import Role
from constel.tenancy import tenant_context
from pathways.models import Enrollment
from patients.services import patient_create

if TYPE_CHECKING:
    from tests.factories.world import World


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
