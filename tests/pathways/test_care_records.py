"""Records kept as care goes on: checklist windows, time, reconciliation, equipment,
hospitalisations, lab results, final assessment."""

from __future__ import annotations

import html
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from constel.roles import Role
from constel.tenancy import tenant_context
from pathways.models import Activity, ChecklistItem, Equipment, Phase
from pathways.services import enrollment_exit, enrollment_transition
from pathways.services.care_records import (
    checklist_mark,
    equipment_create,
    equipment_lend,
    equipment_return,
    final_assessment_record,
    hospitalisation_record,
    lab_result_record,
    reconciliation_record,
    time_record,
)

TODAY = timezone.localdate


def _item(world, code):
    with tenant_context(world.tenant):
        return ChecklistItem.objects.get(enrollment=world.enrollment, code=code)


def test_checklist_is_created_at_inclusion_with_validity_windows(world):
    biology = _item(world, "biology")
    assert biology.validity_days == 90
    # Biology done 89 days ago: not to repeat; 91 days ago: to collect again.
    item = checklist_mark(item=biology, done_on=TODAY() - timedelta(days=89), received=False)
    assert item.not_to_repeat(TODAY())
    item = checklist_mark(item=biology, done_on=TODAY() - timedelta(days=91), received=False)
    assert not item.not_to_repeat(TODAY())
    with pytest.raises(ValidationError):
        checklist_mark(item=biology, done_on=TODAY() + timedelta(days=1), received=True)


def test_retinopathy_only_for_diabetic_patients(world):
    with tenant_context(world.tenant):
        codes = set(ChecklistItem.objects.filter(enrollment=world.enrollment)
                    .values_list("code", flat=True))
    assert "biology" in codes and "retinopathy_screening" not in codes  # COPD + HF


def test_pharmacist_call_needs_the_patients_agreement(world):
    with pytest.raises(ValidationError, match="pharmacist"):
        time_record(enrollment=world.enrollment, kind="pharmacist_call", on=TODAY(),
                    minutes=10, by=None)
    entry = time_record(enrollment=world.enrollment, kind="motivational", on=TODAY(),
                        minutes=50, by=world.user(Role.NURSE_COORDINATOR), note="Appel")
    assert entry.minutes == 50
    with pytest.raises(ValidationError):
        time_record(enrollment=world.enrollment, kind="motivational", on=TODAY(), minutes=0,
                    by=None)


def test_reconciliation_needs_a_conclusion(world):
    with pytest.raises(ValidationError, match="conclusion"):
        reconciliation_record(enrollment=world.enrollment, pharmacist=None, done_on=TODAY(),
                              discrepancies=1, conclusion=" ", by=None)
    r = reconciliation_record(enrollment=world.enrollment, pharmacist=None, done_on=TODAY(),
                              discrepancies=2, conclusion="Arrêt d'un doublon d'IEC", by=None)
    assert r.discrepancies == 2


def test_equipment_is_lent_once_then_available_again_after_return(world, other_world):
    scale = equipment_create(tenant=world.tenant, kind="scale", serial_number="SC-001")
    with pytest.raises(ValidationError, match="already"):
        equipment_create(tenant=world.tenant, kind="scale", serial_number="SC-001")
    equipment_create(tenant=other_world.tenant, kind="scale", serial_number="SC-001")
    loan = equipment_lend(equipment=scale, enrollment=world.enrollment, on=TODAY())
    with pytest.raises(ValidationError, match="not available"):
        equipment_lend(equipment=scale, enrollment=world.enrollment, on=TODAY())
    equipment_return(loan=loan, on=TODAY())
    with tenant_context(world.tenant):
        assert Equipment.objects.get(pk=scale.pk).state == Equipment.State.AVAILABLE
    with pytest.raises(ValidationError, match="Already returned"):
        equipment_return(loan=loan, on=TODAY())


def test_equipment_still_out_at_exit_shows_on_the_worklist(client, login, world):
    scale = equipment_create(tenant=world.tenant, kind="scale", serial_number="SC-002")
    equipment_lend(equipment=scale, enrollment=world.enrollment, on=TODAY())
    enrollment_exit(enrollment=world.enrollment, actor=None, reason="move")
    login(world.user(Role.NURSE_COORDINATOR))
    body = client.get(reverse("pathways:worklist")).content.decode()
    assert "SC-002" in body


def test_unplanned_hospitalisation_plans_the_return_home_review(world):
    with pytest.raises(ValidationError, match="discharge"):
        hospitalisation_record(enrollment=world.enrollment, kind="hospitalisation",
                               admitted_on=TODAY(), discharged_on=TODAY() - timedelta(days=1),
                               planned=False, cause="OAP")
    stay = hospitalisation_record(enrollment=world.enrollment, kind="hospitalisation",
                                  admitted_on=TODAY() - timedelta(days=5),
                                  discharged_on=TODAY() - timedelta(days=1), planned=False,
                                  cause="Décompensation cardiaque", place="Clinique Pasteur")
    assert stay.length_days == 4
    with tenant_context(world.tenant):
        assert Activity.objects.filter(enrollment=world.enrollment,
                                       kind="return_home_review", status="planned").exists()
    hospitalisation_record(enrollment=world.enrollment, kind="emergency", admitted_on=TODAY(),
                           discharged_on=None, planned=False, cause="Chute")
    with tenant_context(world.tenant):
        assert Activity.objects.filter(kind="return_home_review").count() == 1


@pytest.mark.parametrize(("code", "value", "ok"), [
    ("hba1c", "7.2", True), ("hba1c", "25", False), ("ldl", "0.05", False),
    ("egfr", "45", True), ("nope", "1", False),
])
def test_lab_results_have_plausible_ranges(world, code, value, ok):
    call = lambda: lab_result_record(enrollment=world.enrollment, code=code,  # noqa: E731
                                     value=Decimal(value), measured_on=TODAY())
    if ok:
        assert call().unit
    else:
        with pytest.raises(ValidationError):
            call()


def test_end_of_programme_needs_the_final_assessment(world):
    nurse = world.user(Role.NURSE_COORDINATOR)
    with pytest.raises(ValidationError, match="phase 5"):
        final_assessment_record(enrollment=world.enrollment, done_on=TODAY(),
                                synthesis="x", social_component="", by=nurse)
    from pathways.services.care_plans import care_plan_draft, care_plan_issue, care_plan_update

    revision = care_plan_draft(enrollment=world.enrollment, actor=nurse, kind="revision",
                               reason="Un an")
    care_plan_update(care_plan=revision, planned_duration_years=1)
    care_plan_issue(care_plan=revision, actor=world.user(Role.PHYSICIAN_COORDINATOR))
    e = enrollment_transition(enrollment=world.enrollment, to_phase=Phase.FINAL_ASSESSMENT,
                              actor=nurse)
    with pytest.raises(ValidationError, match="final assessment"):
        enrollment_exit(enrollment=e, actor=nurse, reason="end_of_programme")
    final_assessment_record(enrollment=e, done_on=TODAY(), synthesis="Objectifs atteints",
                            social_component="Aide à domicile mise en place", by=nurse)
    e = enrollment_exit(enrollment=e, actor=nurse, reason="end_of_programme")
    assert e.phase == Phase.EXITED


def test_enrollment_page_shows_every_section(client, login, world):
    login(world.user(Role.NURSE_COORDINATOR))
    body = client.get(reverse("pathways:enrollment", args=[world.enrollment.pk]),
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for heading in ("Pre-assessment checklist", "Calls and time spent",
                    "Medication reconciliation", "Equipment lent",
                    "Hospitalisations and emergency visits", "Lab results and goals"):
        assert heading in body


def test_bad_lab_value_from_the_page_is_a_message_not_a_500(client, login, world):
    login(world.user(Role.NURSE_COORDINATOR))
    response = client.post(reverse("pathways:lab_result_record", args=[world.enrollment.pk]),
                           {"code": "hba1c", "value": "abc", "measured_on": "2025-01-01"})
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert 'id="lab-value-error"' in page and 'value="abc"' in page


def test_assessment_day_consultations_follow_the_pathologies():
    from pathways.services.activities import assessment_day_proposal

    day = assessment_day_proposal(pathologies=["type_2_diabetes"], age=70, smoker=True)
    assert day[:3] == ["diabetologist", "cardiologist", "sports_physician"]
    assert {"neuropsychologist", "tobacco_specialist", "physical_activity_tests"} <= set(day)
    young = assessment_day_proposal(pathologies=["copd", "nash", "crohn_disease",
                                                 "chronic_kidney_disease"], age=50, smoker=False)
    specialists = young[:young.index("nurse")]
    assert len(specialists) == 4 and specialists[-1] == "sports_physician"
    assert "neuropsychologist" not in young and "tobacco_specialist" not in young


def test_assessment_day_is_planned_once_in_phase_1(world):
    from datetime import date

    from pathways.services import enrollment_include, enrollment_propose, gp_agreement_record_phone
    from pathways.services.activities import assessment_day_plan
    from patients.models import Consent
    from patients.services import consent_record, patient_create

    with pytest.raises(ValidationError, match="phase 1"):
        assessment_day_plan(enrollment=world.enrollment, day=TODAY() + timedelta(days=7))
    patient = patient_create(tenant=world.tenant, birth_name="BILAN", first_names="A", sex="F",
                             birth_date=date(1950, 1, 1), gp=world.professionals[Role.GP],
                             smoker=True)
    e = enrollment_propose(patient=patient, actor=None, questionnaire={
        "pathologies": {"type_2_diabetes": False, "copd": False},
        "medico_social": ["poor_access"]})
    gp_agreement_record_phone(enrollment=e, actor=None)
    consent_record(patient=patient, kind=Consent.Kind.INFORMED, granted=True,
                   method=Consent.Method.ORAL, notice_version="v1", actor=None)
    e = enrollment_include(enrollment=e, actor=None)
    with pytest.raises(ValidationError, match="today or later"):
        assessment_day_plan(enrollment=e, day=TODAY() - timedelta(days=1))
    planned = assessment_day_plan(enrollment=e, day=TODAY() + timedelta(days=7))
    professions = [a.profession for a in planned]
    assert professions[:3] == ["diabetologist", "cardiologist", "pulmonologist"]
    assert "sports_physician" in professions and "tobacco_specialist" in professions
    assert planned[1].scheduled_at - planned[0].scheduled_at == timedelta(minutes=45)
    with pytest.raises(ValidationError, match="already planned"):
        assessment_day_plan(enrollment=e, day=TODAY() + timedelta(days=8))


def test_the_secretary_is_never_shown_a_link_she_cannot_open(client, login, world):
    """Issue #22, item 7: the equipment page linked the secretary to pathway pages that
    answer 403; she is led to the patient's record instead, which she opens."""
    from pathways.models import Equipment
    from pathways.services.care_records import equipment_lend

    with tenant_context(world.tenant):
        scale = Equipment.objects.create(tenant=world.tenant, kind="scale", serial_number="S-9")
    equipment_lend(equipment=scale, enrollment=world.enrollment, on=date(2026, 1, 5))
    for role, opens in ((Role.SECRETARY, "patients:detail"),
                        (Role.NURSE_COORDINATOR, "pathways:enrollment")):
        login(world.user(role))
        page = client.get(reverse("pathways:equipment")).content.decode()
        target = reverse(opens, args=[world.patient.pk if opens == "patients:detail"
                                      else world.enrollment.pk])
        assert f'href="{target}"' in page, role
        assert client.get(target).status_code == 200, role
