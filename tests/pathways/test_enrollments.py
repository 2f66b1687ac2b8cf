"""Phases 1–5: transitions and their guards, the PPS lifecycle, sessions and rosters."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from constel.roles import Role
from constel.tenancy import tenant_context
from pathways import pps_defaults
from pathways.models import Activity, CarePlan, Phase
from pathways.services import enrollment_transition
from pathways.services.activities import (
    activity_plan,
    activity_set_status,
    group_session_create,
    group_session_enrol,
)
from pathways.services.care_plans import (
    care_plan_draft,
    care_plan_gp_answer,
    care_plan_issue,
    care_plan_item_save,
    care_plan_remind_gps,
)


def _items(plan):
    with tenant_context(plan.tenant_id):
        return {(i.kind, i.label): i for i in plan.items.all()}


# --- Table 3 defaults (pure) -----------------------------------------------------------------

def test_poly_year1_defaults_follow_table3():
    items = {p.code: p for p in pps_defaults.propose(group="POLY", year=1, age=70, smoker=True,
                                                      pathologies=["heart_failure_chronic_and_acute"])}
    assert items["dietitian"].count_per_year == 2
    assert items["psychologist"].count_per_year == 3  # 2.5 budget average → nearest whole
    assert items["neuropsychologist"].count_per_year == 1  # over 65
    assert items["tobacco_specialist"].count_per_year == 4  # smoker
    assert items["social_worker"].count_per_year == 1
    assert items["education_nurse_session"].count_per_year == 2
    assert items["body_weight"].details["rule"] == "+2 kg within 72 h"
    assert "scale" in items


def test_mono_year1_has_etp_programme_and_apa_in_groups_of_10():
    items = {p.code: p for p in pps_defaults.propose(group="MONO", year=1, age=50, smoker=False,
                                                      pathologies=["copd"])}
    assert items["dietitian"].count_per_year == 1 and items["psychologist"].count_per_year == 1
    assert "neuropsychologist" not in items and "tobacco_specialist" not in items
    assert items["etp_programme"].frequency == "8 h en groupes de 8 sur 2 ans"
    assert items["etp_programme"].label.startswith("Programme d'ETP")
    assert items["group_of_10"].details["group_size"] == 10
    with pytest.raises(ValueError):
        pps_defaults.propose(group="MONO", year=1, age=50, smoker=False, pathologies=[],
                             apa_schedule="group_of_4")


def test_year2_proposes_only_apa_among_sessions():
    kinds = {p.kind for p in pps_defaults.propose(group="POLY", year=2, age=80, smoker=True,
                                                  pathologies=[], apa_schedule="group_of_4")}
    assert "non_reimbursed" not in kinds and "education" not in kinds
    assert "apa" in kinds


@given(st.sampled_from(["MONO", "POLY"]), st.integers(1, 2), st.integers(18, 100), st.booleans())
def test_property_defaults_are_whole_numbers_and_deterministic(group, year, age, smoker):
    a = pps_defaults.propose(group=group, year=year, age=age, smoker=smoker, pathologies=["copd"])
    assert a == pps_defaults.propose(group=group, year=year, age=age, smoker=smoker,
                                     pathologies=["copd"])
    assert all(p.count_per_year is None or isinstance(p.count_per_year, int) for p in a)


# --- The PPS lifecycle -----------------------------------------------------------------------

def test_issued_version_is_never_edited(world):
    with pytest.raises(ValidationError, match="never edited"):
        care_plan_item_save(care_plan=world.care_plan, kind="goal", label="Perdre 3 kg")


def test_gp_requests_changes_which_starts_a_new_draft(world, django_capture_on_commit_callbacks):
    gp = world.user(Role.GP)
    with pytest.raises(ValidationError, match="Only the patient's GP"):
        care_plan_gp_answer(care_plan=world.care_plan, gp_user=world.unrelated_gp.user,
                            validate=True)
    with pytest.raises(ValidationError, match="changes"):
        care_plan_gp_answer(care_plan=world.care_plan, gp_user=gp, validate=False, comment="")
    plan = care_plan_gp_answer(care_plan=world.care_plan, gp_user=gp, validate=False,
                               comment="Ajouter une consultation de cardiologie")
    assert plan.gp_status == CarePlan.GpStatus.CHANGES_REQUESTED
    with tenant_context(world.tenant):
        draft = CarePlan.objects.get(enrollment=world.enrollment, status=CarePlan.Status.DRAFT)
    assert draft.version == 2 and "cardiologie" in draft.reason
    assert set(_items(draft)) == set(_items(world.care_plan))
    care_plan_item_save(care_plan=draft, kind="medical", label="Cardiologue",
                        count_per_year=2)
    with django_capture_on_commit_callbacks(execute=True):
        v2 = care_plan_issue(care_plan=draft, actor=world.user(Role.PHYSICIAN_COORDINATOR))
    assert v2.status == CarePlan.Status.ISSUED
    with tenant_context(world.tenant):
        assert CarePlan.objects.get(pk=world.care_plan.pk).status == CarePlan.Status.SUPERSEDED
    assert "PPS v2" in mail.outbox[-1].subject
    care_plan_gp_answer(care_plan=v2, gp_user=gp, validate=True)
    with pytest.raises(ValidationError):  # answered once
        care_plan_gp_answer(care_plan=v2, gp_user=gp, validate=True)


def test_gp_validation_is_chased_at_7_and_14_days_once_each(world,
                                                            django_capture_on_commit_callbacks):
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        assert care_plan_remind_gps(tenant=world.tenant, now=now + timedelta(days=6)) == 0
        assert care_plan_remind_gps(tenant=world.tenant, now=now + timedelta(days=8)) == 1
        assert care_plan_remind_gps(tenant=world.tenant, now=now + timedelta(days=9)) == 0
        assert care_plan_remind_gps(tenant=world.tenant, now=now + timedelta(days=15)) == 1
        assert care_plan_remind_gps(tenant=world.tenant, now=now + timedelta(days=30)) == 0
    assert sum("Reminder" in m.subject for m in mail.outbox) == 2


def test_follow_up_needs_an_issued_pps(world):
    from tests.factories import world_factory

    other = world_factory(world.tenant.__class__.objects.create(
        slug="t2", name="T2", operator="o", inclusion_window_end=world.tenant.inclusion_window_end,
        cumulative_inclusion_cap=10, claim_period_anchor=world.tenant.claim_period_anchor))
    with tenant_context(other.tenant):
        plan = CarePlan.objects.get(pk=other.care_plan.pk)
    # A fresh enrollment in PPS definition without an issued version cannot start follow-up.
    enrollment = other.enrollment
    with tenant_context(other.tenant):
        CarePlan.objects.filter(pk=plan.pk).update(status=CarePlan.Status.DRAFT)
        from pathways.models import Enrollment

        Enrollment.objects.filter(pk=enrollment.pk).update(phase=Phase.PPS_DEFINITION)
        enrollment.refresh_from_db()
    with pytest.raises(ValidationError, match="issued"):
        enrollment_transition(enrollment=enrollment, to_phase=Phase.FOLLOW_UP_Y1, actor=None)


def test_year_two_needs_the_annual_update_and_one_year_plan_goes_to_final(world):
    nurse = world.user(Role.NURSE_COORDINATOR)
    enrollment = enrollment_transition(enrollment=world.enrollment, to_phase=Phase.ANNUAL_UPDATE,
                                       actor=nurse)
    with pytest.raises(ValidationError, match="annual PPS update"):
        enrollment_transition(enrollment=enrollment, to_phase=Phase.FOLLOW_UP_Y2, actor=nurse)
    update = care_plan_draft(enrollment=enrollment, actor=nurse, kind="annual_update")
    kinds = {k for k, _label in _items(update)}
    assert "non_reimbursed" not in kinds and "apa" in kinds  # Table 11: only APA in year 2
    care_plan_issue(care_plan=update, actor=world.user(Role.PHYSICIAN_COORDINATOR))
    enrollment = enrollment_transition(enrollment=enrollment, to_phase=Phase.FOLLOW_UP_Y2,
                                       actor=nurse)
    assert enrollment.phase == Phase.FOLLOW_UP_Y2
    with pytest.raises(ValidationError, match="cannot move"):
        enrollment_transition(enrollment=enrollment, to_phase=Phase.PPS_DEFINITION, actor=nurse)


def test_pps_planned_for_one_year_skips_year_two(world):
    from pathways.services.care_plans import care_plan_update

    nurse = world.user(Role.NURSE_COORDINATOR)
    with pytest.raises(ValidationError, match="two years"):
        enrollment_transition(enrollment=world.enrollment, to_phase=Phase.FINAL_ASSESSMENT,
                              actor=nurse)
    revision = care_plan_draft(enrollment=world.enrollment, actor=nurse, kind="revision",
                               reason="Durée ramenée à un an")
    care_plan_update(care_plan=revision, planned_duration_years=1)
    care_plan_issue(care_plan=revision, actor=world.user(Role.PHYSICIAN_COORDINATOR))
    with pytest.raises(ValidationError, match="one year"):
        enrollment_transition(enrollment=world.enrollment, to_phase=Phase.ANNUAL_UPDATE,
                              actor=nurse)
    e = enrollment_transition(enrollment=world.enrollment, to_phase=Phase.FINAL_ASSESSMENT,
                              actor=nurse)
    assert e.phase == Phase.FINAL_ASSESSMENT


# --- Sessions ----------------------------------------------------------------------------------

def test_session_dated_before_the_enrollment_is_refused(world):
    with pytest.raises(ValidationError, match="before the enrollment"):
        activity_plan(enrollment=world.enrollment, kind="consultation",
                      scheduled_at=timezone.now() - timedelta(days=400))


def test_future_session_cannot_be_done_and_done_is_final(world):
    with pytest.raises(ValidationError, match="future"):
        activity_set_status(activity=world.activity, status="done")
    missed = activity_set_status(activity=world.activity, status="missed")
    assert missed.status == Activity.Status.MISSED


def test_apa_group_of_4_refuses_a_fifth_patient(world):
    from tests.factories import follow_up_patient

    session = group_session_create(tenant=world.tenant, label="APA 4",
                                   scheduled_at=timezone.now() + timedelta(days=2), capacity=4)
    group_session_enrol(session=session, enrollment=world.enrollment)
    with pytest.raises(ValidationError, match="already on the roster"):
        group_session_enrol(session=session, enrollment=world.enrollment)
    for i in range(3):
        group_session_enrol(session=session, enrollment=follow_up_patient(world, f"GRP{i}"))
    with pytest.raises(ValidationError, match="full"):
        group_session_enrol(session=session, enrollment=follow_up_patient(world, "GRP9"))


# --- Pages ---------------------------------------------------------------------------------------

def test_gp_validates_from_the_gp_space(client, login, world):
    login(world.user(Role.GP))
    home = client.get(reverse("gp:home")).content.decode()
    assert reverse("gp:care_plan", args=[world.care_plan.pk]) in home
    response = client.post(reverse("gp:care_plan", args=[world.care_plan.pk]),
                           {"answer": "validate"})
    assert response.status_code == 302
    with tenant_context(world.tenant):
        assert CarePlan.objects.get(pk=world.care_plan.pk).gp_status == "validated"


def test_nurse_worklist_shows_the_pending_validation_and_missed_session(client, login, world):
    with tenant_context(world.tenant):
        Activity.objects.filter(pk=world.activity.pk).update(
            status=Activity.Status.MISSED, scheduled_at=timezone.now() - timedelta(minutes=1))
    login(world.user(Role.NURSE_COORDINATOR))
    body = client.get(reverse("pathways:worklist")).content.decode()
    assert "PPS v1" in body
    assert world.patient.display_name in body
    response = client.post(reverse("pathways:activity_status", args=[world.activity.pk]),
                           {"status": "call", "next": "worklist"})
    assert response.status_code == 302
    with tenant_context(world.tenant):
        assert Activity.objects.filter(enrollment=world.enrollment, kind="call").exists()


def test_worklist_queries_do_not_grow_with_patients(client, login, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import follow_up_patient

    def listed(response):  # sections with rows: each costs one query, an empty one none
        return sum(1 for s in response.context["sections"] if s.count)

    login(world.user(Role.NURSE_COORDINATOR))
    url = reverse("pathways:worklist")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        before = listed(client.get(url))
    for i in range(8):
        follow_up_patient(world, f"WL{i}")
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.status_code == 200
    assert 0 < before <= listed(response) < 13
    assert (len(many.captured_queries) - listed(response)
            == len(few.captured_queries) - before)


def test_transition_page_refuses_with_the_reason(client, login, world):
    login(world.user(Role.NURSE_COORDINATOR))
    response = client.post(reverse("pathways:transition", args=[world.enrollment.pk]),
                           {"to_phase": "follow_up_y2"}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "cannot move" in response.content.decode()
    with tenant_context(world.tenant):
        world.enrollment.refresh_from_db()
    assert world.enrollment.phase == Phase.FOLLOW_UP_Y1


def test_api_transition_answers_400_with_the_blockers(client, login, world):
    login(world.user(Role.NURSE_COORDINATOR))
    url = f"/api/v1/enrollments/{world.enrollment.pk}/transition/"
    response = client.post(url, {"to_phase": "follow_up_y2"}, content_type="application/json")
    assert response.status_code == 400
    assert "phase" in response.json()
    bad = client.post(url, {"to_phase": "nowhere"}, content_type="application/json")
    assert bad.status_code == 400 and "to_phase" in bad.json()
    ok = client.post(url, {"to_phase": "annual_update"}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["phase"] == "annual_update"


def test_api_care_plan_flow(client, login, world):
    login(world.user(Role.GP))
    response = client.post(f"/api/v1/care-plans/{world.care_plan.pk}/request-changes/",
                           {"comment": "Ajouter la kiné"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["gp_status"] == "changes_requested"
    login(world.user(Role.PHYSICIAN_COORDINATOR))
    plans = client.get(f"/api/v1/care-plans/?enrollment={world.enrollment.pk}").json()["results"]
    draft = next(p for p in plans if p["status"] == "draft")
    issued = client.post(f"/api/v1/care-plans/{draft['id']}/issue/")
    assert issued.status_code == 200 and issued.json()["status"] == "issued"
    # The GP never sees drafts through the API.
    login(world.user(Role.GP))
    statuses = {p["status"] for p in client.get("/api/v1/care-plans/").json()["results"]}
    assert "draft" not in statuses


def test_api_activity_before_enrollment_is_a_field_error(client, login, world):
    login(world.user(Role.NURSE_COORDINATOR))
    response = client.post("/api/v1/activities/", {
        "enrollment": str(world.enrollment.pk), "kind": "consultation",
        "scheduled_at": "2020-01-01T10:00:00+01:00"}, content_type="application/json")
    assert response.status_code == 400 and "scheduled_at" in response.json()


def test_reminder_task_runs_per_tenant(world, other_world, django_capture_on_commit_callbacks):
    from pathways.tasks import remind_gps

    with tenant_context(world.tenant):
        CarePlan.objects.filter(pk=world.care_plan.pk).update(
            issued_at=timezone.now() - timedelta(days=8))
    with django_capture_on_commit_callbacks(execute=True):
        assert remind_gps.apply().get() == 2
    assert sum("Reminder" in m.subject for m in mail.outbox) == 1
    from django.conf import settings

    assert settings.CELERY_BEAT_SCHEDULE["remind-gps"]["task"] == "pathways.remind_gps"


def test_patient_sees_the_issued_pps_in_plain_words(client, login, world):
    login(world.user(Role.PATIENT))
    body = client.get(reverse("portal:care_plan"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Psychologue" in body and "fois par an" in body


@pytest.mark.parametrize("filters", [{}, {"site": "not-a-uuid"}, {"group": "POLY"},
                                     {"group": "MONO"}])
def test_worklist_counts_each_section_in_one_statement(world, filters):
    """The 13 counts come from one statement and equal the rows each section lists — also
    with a site filter that matches nothing and a group filter."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from constel.models import Membership
    from pathways import selectors
    from tests.factories import follow_up_patient

    with tenant_context(world.tenant):
        Activity.objects.filter(pk=world.activity.pk).update(
            status=Activity.Status.MISSED, scheduled_at=timezone.now() - timedelta(minutes=1))
    for i in range(3):
        follow_up_patient(world, f"WC{i}")
    nurse = world.user(Role.NURSE_COORDINATOR)
    with tenant_context(world.tenant, user_id=nurse.pk):
        membership = Membership.objects.select_related("tenant", "site").get(user=nurse)
        with CaptureQueriesContext(connection) as counted:
            sections = selectors.worklist(membership=membership, **filters)
        assert len([q for q in counted.captured_queries
                    if "count(*)" in q["sql"].lower()]) == (0 if filters.get("site") else 1)
        everything = selectors.worklist(membership=membership, limit=1000, **filters)
        with CaptureQueriesContext(connection) as listed:
            lists = [len(list(s.rows)) for s in everything]
        assert [s.count for s in sections] == lists
        # one query for each section that has rows, none for an empty one
        assert len(listed.captured_queries) == sum(1 for n in lists if n)
    counts = {s.key: s.count for s in sections}
    if not filters:
        assert counts["pps_validation"] >= 1 and counts["missed"] == 1
    if filters.get("site"):
        assert set(counts.values()) == {0}


def test_worklist_lists_a_row_in_every_section_from_the_columns_it_selected(
        client, login, world, monkeypatch):
    """Each section selects only the columns the page shows: with a row in all 14 sections,
    the page shows each row and never goes back for a column it left out (one query per row
    and per column, otherwise)."""
    from django.db.models import Model

    from engagement.models import Message
    from letters.models import Letter
    from pathways.models import ChecklistItem, Enrollment, Equipment, EquipmentLoan
    from pathways.services import enrollment_include, enrollment_propose
    from patients.services import patient_create
    from telemonitoring.models import Alert, AlertRule, Indicator

    t, now = world.tenant, timezone.now()
    asked = {"pathologies": {"copd": False, "nash": False}, "medico_social": ["poor_access"]}
    medco = world.user(Role.PHYSICIAN_COORDINATOR)
    specialist = world.professionals[Role.SPECIALIST]
    enrollment_propose(patient=world.other_gp_patient, actor=medco,
                       questionnaire=asked)  # entry
    assessed = patient_create(tenant=t, birth_name="BILAN", first_names="Rose", sex="F",
                              birth_date=date(1949, 5, 5), site=world.site,
                              gp=world.professionals[Role.GP])
    e2 = enrollment_propose(patient=assessed, actor=medco,
                            questionnaire=asked)
    from pathways.services import gp_agreement_record_phone
    from patients.models import Consent
    from patients.services import consent_record

    gp_agreement_record_phone(enrollment=e2, actor=medco)
    consent_record(patient=assessed, kind=Consent.Kind.INFORMED, granted=True,
                   method=Consent.Method.ORAL, notice_version="v1", actor=None)
    e2 = enrollment_include(enrollment=e2, actor=medco)  # initial assessment to organise
    exited = patient_create(tenant=t, birth_name="SORTIE", first_names="Luc", sex="M",
                            birth_date=date(1947, 7, 7), site=world.site)
    e = world.enrollment
    with tenant_context(t):
        spo2 = Indicator.objects.get(code="spo2")
        rule = AlertRule.objects.create(tenant=t, enrollment=e, indicator=spo2, kind="bounds",
                                        warn_low=92, crit_low=88)
        Alert.objects.create(tenant=t, enrollment=e, rule=rule, indicator=spo2,
                             level="critical", opened_at=now)
        Message.objects.create(tenant=t, patient=world.patient, from_patient=True,
                               body="Je suis essoufflée")
        Letter.objects.create(tenant=t, enrollment=e, kind="alert", event_key="w", subject="S",
                              body="B", status=Letter.Status.FAILED, last_error="refusée")
        CarePlan.objects.filter(pk=world.care_plan.pk).update(
            gp_status=CarePlan.GpStatus.PENDING, gp_reminders_sent=1)
        CarePlan.objects.create(tenant=t, enrollment=e, version=2, kind="revision",
                                status=CarePlan.Status.DRAFT)
        for kind, status, days in (("apa", "missed", -2), ("consultation", "planned", -1),
                                   ("return_home_review", "planned", 1), ("call", "planned", 0)):
            Activity.objects.create(tenant=t, enrollment=e, kind=kind, status=status,
                                    scheduled_at=now + timedelta(days=days),
                                    professional=specialist)
        assert ChecklistItem.objects.filter(enrollment=e2, received=False).exists()
        gone = Enrollment.objects.create(tenant=t, patient=exited, door="programme_physician",
                                         phase=Phase.EXITED)
        EquipmentLoan.objects.create(
            tenant=t, enrollment=gone, lent_on=date(2026, 1, 5),
            equipment=Equipment.objects.create(tenant=t, kind="scale", serial_number="SN-42"))

    def loaded_later(self, *args, **kwargs):
        raise AssertionError(f"{type(self).__name__} went back for {kwargs or args}")

    monkeypatch.setattr(Model, "refresh_from_db", loaded_later)
    login(world.user(Role.NURSE_COORDINATOR))
    response = client.get(reverse("pathways:worklist"))
    assert response.status_code == 200
    # Every section has something (none folded into the "nothing to do" line).
    assert response.context["idle"] == [] and len(response.context["sections"]) == 14
    body = response.content.decode()
    for shown in ("DUPONT Jeanne", "Je suis essoufflée", "refusée", "PPS v2", "Dr ",
                  "BILAN Rose", "SN-42", "DUPONT-AUTRE Paul"):
        assert shown in body, shown


def test_my_patients_on_the_worklist_are_those_assigned_to_me_or_whose_alert_i_took(
        client, login, world):
    """Issue #21, item 11: a nurse filters the worklist on her own patients."""
    from patients.models import Professional
    from patients.services import care_assign
    from telemonitoring.services import alert_take, evaluate_readings, reading_record
    from tests.factories import follow_up_patient

    other = follow_up_patient(world, "AUTRE")
    third = follow_up_patient(world, "TIERS")
    nurse = world.user(Role.NURSE_COORDINATOR)
    readings = reading_record(enrollment=third, indicator_code="spo2", value="84",
                              measured_at=timezone.now(), entered_by=None, source="portal")
    evaluate_readings(tenant_id=world.tenant.pk, reading_ids=[r.pk for r in readings])
    with tenant_context(world.tenant):
        alert_take(alert=third.alerts.get(), nurse=nurse)
        me = Professional.objects.create(tenant=world.tenant, kind=Professional.Kind.NURSE,
                                         first_name="Nina", last_name="IDEC", user=nurse)
    care_assign(patient=other.patient, professional=me)
    login(nurse)
    everything = client.get(reverse("pathways:worklist")).content.decode()
    mine = client.get(reverse("pathways:worklist"), {"mine": "1"}).content.decode()
    for name in ("AUTRE", "TIERS", world.patient.birth_name):
        assert name in everything
    assert "AUTRE" in mine and "TIERS" in mine and world.patient.birth_name not in mine


def test_a_return_home_review_is_listed_once(client, login, world):
    """Issue #21, item 11: duplicates removed — the review has its own section, it is not
    listed again among the appointments to confirm."""
    from pathways.services.activities import activity_plan

    with tenant_context(world.tenant):
        activity_plan(enrollment=world.enrollment, kind=Activity.Kind.RETURN_HOME_REVIEW,
                      scheduled_at=timezone.now() + timedelta(days=2))
    login(world.user(Role.NURSE_COORDINATOR))
    sections = {s.key: s for s in client.get(reverse("pathways:worklist")).context["sections"]}
    assert [a.kind for a in sections["return_home"].rows] == ["return_home_review"]
    assert "return_home_review" not in [a.kind for a in sections["to_confirm"].rows]


def test_a_second_missed_session_does_not_plan_a_second_call(client, login, world):
    """Issue #21, item 11 (duplicates removed): one call covers every missed session; the
    call is 'to make' today, not a 'past appointment still planned'."""
    with tenant_context(world.tenant):
        for days in (3, 2):
            Activity.objects.create(tenant=world.tenant, enrollment=world.enrollment,
                                    kind="apa", status="missed",
                                    scheduled_at=timezone.now() - timedelta(days=days))
    login(world.user(Role.NURSE_COORDINATOR))
    with tenant_context(world.tenant):
        missed = list(Activity.objects.filter(enrollment=world.enrollment, status="missed"))
    for a in missed:
        client.post(reverse("pathways:activity_status", args=[a.pk]),
                    {"status": "call", "next": "worklist"})
    with tenant_context(world.tenant):
        assert Activity.objects.filter(enrollment=world.enrollment, kind="call").count() == 1
    sections = {s.key: s for s in client.get(reverse("pathways:worklist")).context["sections"]}
    assert sections["calls"].count == 1 and "overdue" not in sections
    assert "missed" not in sections  # both missed sessions have their call
