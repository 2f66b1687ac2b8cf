"""Phase 0: the two doors, GP agreement, consent, inclusion limits, invitations."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from constel.roles import Role
from constel.tenancy import tenant_context
from pathways.models import Enrollment, GpAgreement, Phase
from pathways.services import (
    enrollment_exit,
    enrollment_include,
    enrollment_propose,
    gp_agreement_answer,
    gp_agreement_record_phone,
    inclusion_count,
    referral_accept,
    referral_decline,
    referral_submit,
)
from patients.catalogue import pathologies_load, table4
from patients.models import Consent, Pathology, Patient
from patients.services import (
    consent_record,
    diagnosis_add,
    group_on,
    invitation_accept,
    invitation_send,
    patient_create,
)

POLY = {"medico_social": ["poor_access"]}


@pytest.fixture
def catalogue(world):
    pathologies_load(tenant=world.tenant, groups=table4())
    with tenant_context(world.tenant):
        return {p.code: p for p in Pathology.objects.all()}


def _poly_patient(world, catalogue, name="MARTIN", **kw):
    patient = patient_create(tenant=world.tenant, birth_name=name, first_names="Jean", sex="M",
                             birth_date=date(1950, 5, 5), gp=world.professionals[Role.GP],
                             email=f"{name.lower()}@example.test", **kw)
    diagnosis_add(patient=patient, pathology=catalogue["type_2_diabetes"],
                  diagnosed_on=date(2015, 1, 1))
    diagnosis_add(patient=patient, pathology=catalogue["heart_failure_chronic_and_acute"],
                  diagnosed_on=date(2020, 1, 1))
    return patient


def _consent(patient, actor=None):
    consent_record(patient=patient, kind=Consent.Kind.INFORMED, granted=True,
                   method=Consent.Method.PORTAL, notice_version="v3", actor=actor,
                   evidence=b"signed", ip_address="127.0.0.1")


def test_table4_loads_17_pathologies_in_7_groups(world):
    n = pathologies_load(tenant=world.tenant, groups=table4())
    assert n == 17
    with tenant_context(world.tenant):
        assert Pathology.objects.values("group_code").distinct().count() == 7
        assert Pathology.objects.get(code="heart_failure_chronic_and_acute").label == \
            "Insuffisance cardiaque chronique et aiguë"


def test_group_history_keeps_dates(world, catalogue):
    patient = patient_create(tenant=world.tenant, birth_name="GROUP", first_names="A", sex="F",
                             birth_date=date(1950, 1, 1))
    diagnosis_add(patient=patient, pathology=catalogue["copd"], diagnosed_on=date(2020, 1, 1))
    today = timezone.localdate()
    assert group_on(patient, today) == "MONO"
    diagnosis_add(patient=patient, pathology=catalogue["nash"], diagnosed_on=date(2021, 6, 1))
    assert group_on(patient, today) == "POLY"
    assert group_on(patient, date(2021, 5, 31)) == "MONO"
    assert group_on(patient, date(2021, 6, 1)) == "POLY"
    assert group_on(patient, date(2019, 12, 31)) is None
    # Ending a pathology brings MONO back from that day; the past stays POLY.
    from patients.models import Diagnosis
    from patients.services import diagnosis_end

    with tenant_context(world.tenant):
        nash = Diagnosis.objects.get(patient=patient, pathology=catalogue["nash"])
    diagnosis_end(diagnosis=nash, ended_on=date(2024, 1, 1))
    assert group_on(patient, date(2023, 12, 31)) == "POLY"
    assert group_on(patient, date(2024, 1, 1)) == "MONO"


def test_door_a_physician_proposes_gp_confirms_then_inclusion(world, catalogue):
    patient = _poly_patient(world, catalogue)
    medco = world.user(Role.PHYSICIAN_COORDINATOR)
    enrollment = enrollment_propose(patient=patient, actor=medco, questionnaire=POLY)
    assert len(mail.outbox) == 0  # sent on commit
    with tenant_context(world.tenant):
        agreement = GpAgreement.objects.get(enrollment=enrollment)
    assert agreement.status == GpAgreement.Status.REQUESTED
    with pytest.raises(ValidationError) as exc:
        enrollment_include(enrollment=enrollment, actor=medco)
    text = " ".join(exc.value.messages)
    assert "agreement" in text and "consent" in text
    gp_agreement_record_phone(enrollment=enrollment, actor=world.user(Role.NURSE_COORDINATOR),
                              note="Appel du 12/11")
    _consent(patient)
    enrollment = enrollment_include(enrollment=enrollment, actor=medco)
    assert enrollment.phase == Phase.INITIAL_ASSESSMENT
    assert enrollment.included_on == timezone.localdate()
    with tenant_context(world.tenant):
        t = enrollment.transitions.get()
    assert (t.from_phase, t.to_phase, t.by) == (Phase.ENTRY, Phase.INITIAL_ASSESSMENT, medco)


def test_gp_answers_through_the_one_time_link(world, catalogue, django_capture_on_commit_callbacks):
    patient = _poly_patient(world, catalogue)
    with django_capture_on_commit_callbacks(execute=True):
        enrollment = enrollment_propose(patient=patient, actor=world.user(Role.PHYSICIAN_COORDINATOR),
                                        questionnaire=POLY)
    (message,) = mail.outbox
    link = next(w for w in message.body.split() if "/gp/agreement/" in w)
    token = link.rstrip("/").split("/")[-1]
    with pytest.raises(ValidationError):  # another GP cannot answer
        gp_agreement_answer(tenant=world.tenant, token=token, gp_user=world.unrelated_gp.user,
                            agree=True)
    agreement = gp_agreement_answer(tenant=world.tenant, token=token,
                                    gp_user=world.user(Role.GP), agree=False, comment="Non")
    assert agreement.status == GpAgreement.Status.OPPOSED
    with pytest.raises(ValidationError):  # one-time
        gp_agreement_answer(tenant=world.tenant, token=token, gp_user=world.user(Role.GP),
                            agree=True)
    _consent(patient)
    with pytest.raises(ValidationError, match="opposes"):
        enrollment_include(enrollment=enrollment, actor=None)
    with pytest.raises(ValidationError):  # a phone call does not override a written opposition
        gp_agreement_record_phone(enrollment=enrollment, actor=world.user(Role.NURSE_COORDINATOR))


def test_ineligible_proposal_is_refused_with_reasons_and_nothing_saved(world, catalogue):
    patient = patient_create(tenant=world.tenant, birth_name="MONO", first_names="A", sex="F",
                             birth_date=date(1950, 1, 1), gp=world.professionals[Role.GP])
    diagnosis_add(patient=patient, pathology=catalogue["copd"], diagnosed_on=date(2020, 1, 1))
    with pytest.raises(ValidationError) as exc:
        enrollment_propose(patient=patient, actor=None, questionnaire=POLY)
    assert "therapeutic failure" in " ".join(exc.value.messages)
    with tenant_context(world.tenant):
        assert not Enrollment.objects.filter(patient=patient).exists()


def test_door_b_gp_refers_secretary_accepts(world, catalogue):
    gp = world.professionals[Role.GP]
    enrollment = referral_submit(
        tenant=world.tenant, gp=gp, actor=world.user(Role.GP),
        identity={"birth_name": "REFERE", "first_names": "Luc", "sex": "M",
                  "birth_date": date(1948, 2, 2), "email": "luc@example.test"},
        questionnaire={"pathologies": {"copd": False, "nash": False}, "medico_social": ["gp_difficulty"]},
    )
    assert enrollment.referral_status == Enrollment.ReferralStatus.RECEIVED
    # The pathologies the GP ticked are on the record, and make the patient POLY.
    with tenant_context(world.tenant):
        referred = Patient.objects.get(pk=enrollment.patient_id)
    assert group_on(referred, timezone.localdate()) == "POLY"
    enrollment = referral_accept(enrollment=enrollment, actor=world.user(Role.SECRETARY))
    _consent(enrollment.patient)
    enrollment = enrollment_include(enrollment=enrollment, actor=world.user(Role.SECRETARY))
    assert enrollment.phase == Phase.INITIAL_ASSESSMENT


def test_declined_referral_records_reason_and_informs_the_gp(world, catalogue,
                                                             django_capture_on_commit_callbacks):
    enrollment = referral_submit(
        tenant=world.tenant, gp=world.professionals[Role.GP], actor=world.user(Role.GP),
        identity={"birth_name": "DECLINE", "first_names": "Ana", "sex": "F",
                  "birth_date": date(1948, 2, 2)},
        questionnaire={"pathologies": {"copd": False}},
    )
    with pytest.raises(ValidationError):
        referral_accept(enrollment=enrollment, actor=world.user(Role.SECRETARY))
    with pytest.raises(ValidationError, match="reason"):
        referral_decline(enrollment=enrollment, actor=world.user(Role.SECRETARY), reason=" ")
    with django_capture_on_commit_callbacks(execute=True):
        enrollment = referral_decline(enrollment=enrollment, actor=world.user(Role.SECRETARY),
                                      reason="Déjà suivi en ETP")
    assert enrollment.phase == Phase.DECLINED
    assert "Déjà suivi en ETP" in mail.outbox[-1].body


def _included(world, catalogue, name):
    patient = _poly_patient(world, catalogue, name=name)
    enrollment = enrollment_propose(patient=patient, actor=None, questionnaire=POLY)
    gp_agreement_record_phone(enrollment=enrollment, actor=None)
    _consent(patient)
    return enrollment


def test_inclusion_window_is_inclusive_then_closed(world, catalogue, monkeypatch):
    import pathways.services.enrollments as svc

    enrollment = _included(world, catalogue, "WINDOW")
    end = world.tenant.inclusion_window_end
    monkeypatch.setattr(svc, "_today", lambda: end + timedelta(days=1))
    with pytest.raises(ValidationError, match="window closed"):
        enrollment_include(enrollment=enrollment, actor=None)
    enrollment = enrollment_include(enrollment=enrollment, actor=None, on=end)
    assert enrollment.included_on == end


def test_cap_counts_inclusions_cumulatively_exit_frees_nothing(world, catalogue):
    world.tenant.cumulative_inclusion_cap = 3  # the world's own patient is already included
    world.tenant.save()
    first = enrollment_include(enrollment=_included(world, catalogue, "UN"), actor=None)
    enrollment_include(enrollment=_included(world, catalogue, "DEUX"), actor=None)
    enrollment_exit(enrollment=first, actor=None, reason="patient_choice")
    third = _included(world, catalogue, "TROIS")
    with pytest.raises(ValidationError, match="cap of 3"):
        enrollment_include(enrollment=third, actor=None)
    assert inclusion_count(world.tenant) == 3


def test_duplicate_ins_points_to_the_existing_record(world):
    ins = "253072B07300470"
    first = patient_create(tenant=world.tenant, birth_name="ONE", first_names="A", sex="F",
                           birth_date=date(1953, 7, 1), ins=ins)
    with pytest.raises(ValidationError) as exc:
        patient_create(tenant=world.tenant, birth_name="TWO", first_names="B", sex="F",
                       birth_date=date(1953, 7, 1), ins=ins)
    assert str(first.pk) in exc.value.message_dict["ins"][0]


def test_same_person_may_be_enrolled_in_another_tenant(world, other_world):
    ins = "253072B07300470"
    patient_create(tenant=world.tenant, birth_name="ONE", first_names="A", sex="F",
                   birth_date=date(1953, 7, 1), ins=ins)
    patient_create(tenant=other_world.tenant, birth_name="ONE", first_names="A", sex="F",
                   birth_date=date(1953, 7, 1), ins=ins)


def test_invitation_accept_creates_the_portal_account(world, django_capture_on_commit_callbacks):
    patient = patient_create(tenant=world.tenant, birth_name="INVITE", first_names="Rose",
                             sex="F", birth_date=date(1950, 1, 1), email="rose@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        invitation_send(patient=patient)
    token = mail.outbox[-1].body.split("/portal/invitation/")[1].split("/")[1]
    with pytest.raises(ValidationError):
        invitation_accept(tenant=world.tenant, token=token, password="short")
    user = invitation_accept(tenant=world.tenant, token=token, password="un-mot-de-passe-long")
    with tenant_context(world.tenant):
        assert Patient.objects.get(pk=patient.pk).user == user
    with pytest.raises(ValidationError):  # one-time
        invitation_accept(tenant=world.tenant, token=token, password="un-mot-de-passe-long")


def test_resent_invitation_replaces_the_old_link(world, django_capture_on_commit_callbacks):
    patient = patient_create(tenant=world.tenant, birth_name="RESEND", first_names="Rose",
                             sex="F", birth_date=date(1950, 1, 1), email="rose2@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        invitation_send(patient=patient)
        invitation_send(patient=patient)
    old = mail.outbox[-2].body.split("/portal/invitation/")[1].split("/")[1]
    new = mail.outbox[-1].body.split("/portal/invitation/")[1].split("/")[1]
    with pytest.raises(ValidationError):
        invitation_accept(tenant=world.tenant, token=old, password="un-mot-de-passe-long")
    invitation_accept(tenant=world.tenant, token=new, password="un-mot-de-passe-long")


def test_objections_are_mirrored_and_change_gp_access(world):
    from constel.access import can_see_clinical

    gp_membership = world.members[Role.GP]
    assert can_see_clinical(gp_membership, world.patient)
    consent_record(patient=world.patient, kind=Consent.Kind.SHARING_OBJECTION, granted=True,
                   method=Consent.Method.ORAL, actor=None)
    assert not can_see_clinical(gp_membership, world.patient)
    consent_record(patient=world.patient, kind=Consent.Kind.SHARING_OBJECTION, granted=False,
                   method=Consent.Method.ORAL, actor=None)
    assert can_see_clinical(gp_membership, world.patient)


def test_tenant_declares_two_pathologies_counting_as_one(client, login, world):
    from patients.services import pathology_counts_as

    # world.patient has COPD and heart failure: POLY.
    today = timezone.localdate()
    assert group_on(world.patient, today) == "POLY"
    with pytest.raises(ValidationError):
        pathology_counts_as(tenant=world.tenant, mapping={"copd": "copd"})
    login(world.user(Role.PROGRAMME_MANAGER))
    response = client.post("/patients/catalogue/",
                           {"counts_as_heart_failure_chronic_and_acute": "copd"})
    assert response.status_code == 302
    assert group_on(world.patient, today) == "MONO"
