"""Readings, set-based evaluation, alerts and their lifecycle (DESIGN §5)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from constel.roles import Role
from constel.tenancy import tenant_context
from pathways.models import Activity
from telemonitoring.models import Alert, AlertEvent, AlertRule, Reading
from telemonitoring.services import (
    alert_close,
    alert_escalate,
    alert_take,
    evaluate_readings,
    reading_record,
    sweep,
)

NOW = timezone.now


def _read(world, code, value, *, hours_ago=0, **kw):
    return reading_record(enrollment=world.enrollment, indicator_code=code, value=value,
                          measured_at=NOW() - timedelta(hours=hours_ago),
                          entered_by=world.user(Role.PATIENT), source="portal", **kw)


def _alerts(world, **filters):
    with tenant_context(world.tenant):
        return list(Alert.objects.filter(enrollment=world.enrollment, **filters)
                    .select_related("rule", "indicator"))


def test_issuing_the_pps_created_the_rules(world):
    with tenant_context(world.tenant):
        kinds = set(AlertRule.objects.filter(enrollment=world.enrollment, active=True)
                    .values_list("indicator__code", "kind"))
    # Heart failure: weight bounds, missing and +2 kg / 72 h; COPD: SpO2.
    assert {("body_weight", "change"), ("body_weight", "missing"), ("spo2", "bounds"),
            ("spo2", "missing"), ("body_weight", "bounds")} <= kinds


def _add_blood_pressure(world):
    """The author adds blood pressure to the PPS (a revision, issued)."""
    from pathways.services.care_plans import care_plan_draft, care_plan_issue, care_plan_item_save

    nurse = world.user(Role.NURSE_COORDINATOR)
    draft = care_plan_draft(enrollment=world.enrollment, actor=nurse, kind="revision",
                            reason="Tension à suivre")
    care_plan_item_save(care_plan=draft, kind="telefollow_up", label="Tension artérielle",
                        frequency="3 fois par semaine",
                        details={"indicator": "blood_pressure", "frequency": "3/week"})
    care_plan_issue(care_plan=draft, actor=world.user(Role.PHYSICIAN_COORDINATOR))


@pytest.mark.parametrize(("code", "value", "field"), [
    ("spo2", "140", "value"), ("body_weight", "900", "value"), ("body_weight", "abc", "value"),
    ("heart_rate", "70", "indicator"),  # not in this patient's PPS
])
def test_bad_readings_are_refused_and_nothing_stored(world, code, value, field):
    with pytest.raises(ValidationError) as exc:
        _read(world, code, value)
    assert field in exc.value.message_dict
    with tenant_context(world.tenant):
        assert not Reading.objects.exists()


def test_blood_pressure_is_one_measurement_and_systolic_must_exceed_diastolic(world):
    _add_blood_pressure(world)
    with pytest.raises(ValidationError) as exc:
        _read(world, "blood_pressure", "80", diastolic="90")
    assert "diastolic" in exc.value.message_dict
    readings = _read(world, "blood_pressure", "135", diastolic="85")
    assert len(readings) == 2 and readings[0].measurement_id == readings[1].measurement_id


def test_future_reading_refused_and_french_comma_accepted(world):
    with pytest.raises(ValidationError):
        reading_record(enrollment=world.enrollment, indicator_code="body_weight", value="70",
                       measured_at=NOW() + timedelta(hours=2), entered_by=None, source="portal")
    (r,) = _read(world, "body_weight", "72,5")
    assert r.value == Decimal("72.5")


def test_reading_is_evaluated_after_commit_into_an_alert(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _read(world, "spo2", "91")  # ≤ 92 warning
    (alert,) = _alerts(world)
    assert alert.level == "warning" and alert.indicator.code == "spo2"
    with django_capture_on_commit_callbacks(execute=True):
        _read(world, "spo2", "87")  # ≤ 88 critical: attaches, raises the level
    (alert,) = _alerts(world)
    assert alert.level == "critical"
    with tenant_context(world.tenant):
        assert AlertEvent.objects.filter(alert=alert).count() == 2
        assert not Reading.objects.filter(evaluated_at__isnull=True).exists()


def test_alert_opened_and_raised_by_the_worker_is_in_the_history_with_the_job(world):
    from constel.audit import acting

    with acting(job="evaluate_readings"):
        evaluate_readings(tenant_id=world.tenant.pk,
                          reading_ids=[r.pk for r in _read(world, "spo2", "91")])
        evaluate_readings(tenant_id=world.tenant.pk,
                          reading_ids=[r.pk for r in _read(world, "spo2", "90")])
        evaluate_readings(tenant_id=world.tenant.pk,
                          reading_ids=[r.pk for r in _read(world, "spo2", "87")])
    (alert,) = _alerts(world)
    with tenant_context(world.tenant):
        rows = list(alert.history.order_by("history_date", "history_type")
                    .values_list("history_type", "level", "history_job"))
    # opened, then raised to critical; the second warning changed nothing, so no row
    assert rows == [("+", "warning", "evaluate_readings"), ("~", "critical", "evaluate_readings")]


def test_a_large_batch_is_evaluated_like_single_readings(world):
    """Over 100 readings the claim plans for an index scan (SET LOCAL): same results."""
    values = ["86", "95", "91", "97"] * 40  # 160 readings: 40 critical, 40 warning
    ids = [r.pk for k, v in enumerate(values)
           for r in _read(world, "spo2", v, hours_ago=k / 10)]
    assert evaluate_readings(tenant_id=world.tenant.pk, reading_ids=ids) == 80
    (alert,) = _alerts(world)
    assert alert.level == "critical"
    with tenant_context(world.tenant):
        assert not Reading.objects.filter(evaluated_at__isnull=True).exists()
    assert evaluate_readings(tenant_id=world.tenant.pk, reading_ids=ids) == 0


def test_evaluating_twice_changes_nothing(world):
    readings = _read(world, "spo2", "85")
    ids = [r.pk for r in readings]
    assert evaluate_readings(tenant_id=world.tenant.pk, reading_ids=ids) == 1
    with tenant_context(world.tenant):
        Reading.objects.filter(pk__in=ids).update(evaluated_at=None)  # a redelivered task
    assert evaluate_readings(tenant_id=world.tenant.pk, reading_ids=ids) == 0
    assert len(_alerts(world)) == 1


def test_weight_gain_of_2kg_in_3_days_raises_the_heart_failure_alert(world):
    first = _read(world, "body_weight", "70.0", hours_ago=71)
    evaluate_readings(tenant_id=world.tenant.pk, reading_ids=[r.pk for r in first])
    r = _read(world, "body_weight", "71.9")
    evaluate_readings(tenant_id=world.tenant.pk, reading_ids=[x.pk for x in r])
    assert not _alerts(world, rule__kind="change")
    r = _read(world, "body_weight", "72.0")
    evaluate_readings(tenant_id=world.tenant.pk, reading_ids=[x.pk for x in r])
    assert len(_alerts(world, rule__kind="change")) == 1


def test_missing_data_sweep_then_resolved_by_a_new_reading(world):
    with tenant_context(world.tenant):
        AlertRule.objects.filter(enrollment=world.enrollment).update(
            created_at=NOW() - timedelta(hours=49))
    from constel import sms

    sms.outbox.clear()
    world.patient.phone = "06 11 22 33 44"
    from patients.services import patient_update

    patient_update(patient=world.patient, phone="06 11 22 33 44")
    result = sweep(tenant=world.tenant)
    assert result["missing"] >= 1
    (reminder,) = sms.outbox  # one SMS for all the missing indicators
    assert reminder.to == "06 11 22 33 44" and "poids" in reminder.body.lower()
    assert sweep(tenant=world.tenant)["missing"] == 0  # one open alert per rule
    readings = _read(world, "body_weight", "70")
    evaluate_readings(tenant_id=world.tenant.pk, reading_ids=[r.pk for r in readings])
    (closed,) = _alerts(world, rule__kind="missing", indicator__code="body_weight")
    assert closed.status == "closed" and closed.outcome == "resolved_by_reading"
    assert closed.closed_at is not None
    with tenant_context(world.tenant):
        assert closed.history.latest().status == "closed"  # the step is recorded
        still_open = _alerts(world, rule__kind="missing", status="open")
    assert still_open and all(a.indicator.code != "body_weight" for a in still_open)


def test_sweep_evaluates_readings_a_lost_message_left_behind(world):
    _read(world, "spo2", "86")  # no on_commit execution: the task never ran
    with tenant_context(world.tenant):
        Reading.objects.update(entered_at=NOW() - timedelta(minutes=2))
    assert sweep(tenant=world.tenant)["late_evaluations"] == 1
    assert _alerts(world, level="critical")


def test_critical_alert_not_taken_is_escalated_after_the_delay(world):
    readings = _read(world, "spo2", "85")
    evaluate_readings(tenant_id=world.tenant.pk, reading_ids=[r.pk for r in readings])
    assert sweep(tenant=world.tenant, now=NOW() + timedelta(hours=3, minutes=59))["escalated"] == 0
    assert sweep(tenant=world.tenant, now=NOW() + timedelta(hours=4, minutes=1))["escalated"] == 1
    (alert,) = _alerts(world)
    assert alert.status == "escalated" and alert.auto_escalated


def test_nurse_and_physician_outcomes(world):
    readings = _read(world, "spo2", "85")
    evaluate_readings(tenant_id=world.tenant.pk, reading_ids=[r.pk for r in readings])
    (alert,) = _alerts(world)
    nurse, medco = world.user(Role.NURSE_COORDINATOR), world.user(Role.PHYSICIAN_COORDINATOR)
    with pytest.raises(ValidationError, match="Take the alert"):
        alert_close(alert=alert, by=nurse, role="nurse_coordinator", outcome="advice")
    alert = alert_take(alert=alert, nurse=nurse)
    with pytest.raises(ValidationError, match="coordinating physician"):
        alert_close(alert=alert, by=nurse, role="nurse_coordinator", outcome="medical_action")
    alert = alert_escalate(alert=alert, by=nurse)
    with pytest.raises(ValidationError, match="GP"):
        alert_close(alert=alert, by=medco, role="physician_coordinator",
                    outcome="alert_consultation", consultation_profession="dietitian")
    alert = alert_close(alert=alert, by=medco, role="physician_coordinator",
                        outcome="alert_consultation", consultation_profession="dietitian",
                        gp_involvement="Dr informé par téléphone")
    assert alert.status == "closed"
    with tenant_context(world.tenant):
        assert Activity.objects.filter(enrollment=world.enrollment,
                                       kind="alert_consultation").exists()
    with pytest.raises(ValidationError, match="already closed"):
        alert_close(alert=alert, by=nurse, role="nurse_coordinator", outcome="no_action")


def test_patient_enters_readings_on_the_portal_and_nurse_sees_the_alert(
        client, login, world, django_capture_on_commit_callbacks):
    from django.urls import reverse

    login(world.user(Role.PATIENT))
    page = client.get(reverse("portal:readings")).content.decode()
    assert "spo2" in page and "body_weight" in page
    bad = client.post(reverse("portal:readings"), {"spo2": "140"}, HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 400 and "not a possible value" in bad.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        ok = client.post(reverse("portal:readings"), {"spo2": "86", "body_weight": "71,4"})
    assert ok.status_code == 302
    login(world.user(Role.NURSE_COORDINATOR))
    worklist = client.get(reverse("pathways:worklist"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Alerts to handle: to triage and taken" in worklist and world.patient.display_name in worklist
    (alert,) = _alerts(world)
    url = reverse("telemonitoring:alert", args=[alert.pk])
    assert client.post(url, {"action": "take"}).status_code == 302
    client.post(url, {"action": "close", "confirmed": "1", "outcome": "advice", "note": "Conseils donnés"})
    (alert,) = _alerts(world)
    assert alert.status == "closed" and alert.outcome == "advice"


def test_nurse_records_a_reading_given_by_phone(client, login, world):
    from django.urls import reverse

    login(world.user(Role.NURSE_COORDINATOR))
    response = client.post(reverse("telemonitoring:reading_by_phone", args=[world.enrollment.pk]),
                           {"indicator": "body_weight", "value": "70,2",
                            "measured_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 302
    with tenant_context(world.tenant):
        r = Reading.objects.get(enrollment=world.enrollment)
    assert r.source == "nurse_phone" and r.value == Decimal("70.2")


def test_api_post_reading_answers_201_with_the_evaluation(client, world, capsys):
    from django.core.management import call_command

    call_command("create_api_token", world.user(Role.PATIENT).email, "--tenant",
                 world.tenant.slug)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {capsys.readouterr().out.strip()}"}
    at = timezone.now().isoformat()
    ok = client.post("/api/v1/readings/", {"indicator": "spo2", "value": "86",
                                           "measured_at": at},
                     content_type="application/json", **auth)
    assert ok.status_code == 201, ok.content
    body = ok.json()
    assert body["readings"][0]["evaluated_at"] and body["alerts"][0]["level"] == "critical"
    (reading,) = body["readings"]
    assert set(reading) == {"id", "enrollment", "indicator", "value", "unit", "measured_at",
                            "entered_at", "source", "entered_by", "measurement_id", "evaluated_at"}
    assert (reading["enrollment"], reading["indicator"], reading["value"], reading["unit"],
            reading["source"]) == (str(world.enrollment.pk), "spo2", "86.00", "%", "portal")
    with tenant_context(world.tenant):
        stored = Reading.objects.get(pk=reading["id"])
        # written with its historical row, which names the patient who typed it
        (created,) = stored.history.all()
        assert (created.history_type, created.history_user_id, created.value) == (
            "+", world.user(Role.PATIENT).pk, Decimal("86"))
    assert stored.entered_by_id == world.user(Role.PATIENT).pk
    bad = client.post("/api/v1/readings/", {"indicator": "spo2", "value": "140",
                                            "measured_at": at},
                      content_type="application/json", **auth)
    assert bad.status_code == 400 and "value" in bad.json()
    mine = client.get("/api/v1/readings/?indicator=spo2", **auth).json()
    assert mine["count"] == 1
    assert client.get("/api/v1/readings/?since=yesterday", **auth).status_code == 400


def test_api_patient_cannot_post_for_another_patient(client, world, other_world, capsys):
    from django.core.management import call_command

    call_command("create_api_token", world.user(Role.PATIENT).email, "--tenant",
                 world.tenant.slug)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {capsys.readouterr().out.strip()}"}
    response = client.post("/api/v1/readings/", {
        "enrollment": str(other_world.enrollment.pk), "indicator": "spo2", "value": "95",
        "measured_at": timezone.now().isoformat()}, content_type="application/json", **auth)
    assert response.status_code == 400
    with tenant_context(other_world.tenant):
        assert not Reading.objects.exists()


def test_api_alert_actions(client, login, world):
    readings = _read(world, "spo2", "85")
    evaluate_readings(tenant_id=world.tenant.pk, reading_ids=[r.pk for r in readings])
    (alert,) = _alerts(world)
    login(world.user(Role.NURSE_COORDINATOR))
    base = f"/api/v1/alerts/{alert.pk}/"
    assert client.post(base + "take/").json()["status"] == "taken"
    bad = client.post(base + "close/", {"outcome": "medical_action"},
                      content_type="application/json")
    assert bad.status_code == 400 and "outcome" in bad.json()
    done = client.post(base + "close/", {"outcome": "advice"}, content_type="application/json")
    assert done.json()["status"] == "closed"


@pytest.mark.postgres
def test_sql_bounds_agree_with_the_rules_reference(world):
    """The evaluation statement decides as pathways.rules.bounds_level, the written-down
    rule (edges included: a bound is in the band it opens)."""
    from telemonitoring import rules as reference
    from telemonitoring.services import _evaluate_sql

    values = ["86", "88", "88.01", "91.99", "92", "92.01", "95", "100"]
    readings = [r for v in values for r in _read(world, "spo2", v)]
    with tenant_context(world.tenant):
        rules = list(AlertRule.objects.filter(enrollment=world.enrollment, active=True))
        Reading.objects.filter(pk__in=[r.pk for r in readings]).update(evaluated_at=None)
        by_sql = {b[:3] for b in _evaluate_sql([r.pk for r in readings])[0]}
    by_python = set()
    for reading in readings:
        for rule in rules:
            if rule.kind == AlertRule.Kind.BOUNDS and rule.indicator_id == reading.indicator_id:
                level = reference.bounds_level(reading.value, reference.Bounds(
                    rule.warn_low, rule.warn_high, rule.crit_low, rule.crit_high))
                if level:
                    by_python.add((reading.pk, rule.pk, level))
    assert by_sql == by_python
    assert {lvl for _r, _ru, lvl in by_sql} == {"warning", "critical"}
    assert len(by_sql) == 5  # 86, 88 critical; 88.01, 91.99, 92 warning


def test_author_sets_patient_thresholds_which_become_the_rules(world):
    from pathways.models import CarePlanItem
    from pathways.services.care_plans import (
        care_plan_draft,
        care_plan_issue,
        care_plan_item_thresholds,
    )

    nurse = world.user(Role.NURSE_COORDINATOR)
    draft = care_plan_draft(enrollment=world.enrollment, actor=nurse, kind="revision",
                            reason="BPCO : cible SpO2 88-92")
    with tenant_context(world.tenant):
        item = CarePlanItem.objects.get(care_plan=draft, label__icontains="SpO2")
    with pytest.raises(ValidationError, match="rise"):
        care_plan_item_thresholds(item=item, thresholds={"spo2": {"crit_low": "90",
                                                                  "warn_low": "88"}})
    with pytest.raises(ValidationError, match="outside"):
        care_plan_item_thresholds(item=item, thresholds={"spo2": {"crit_low": "20"}})
    care_plan_item_thresholds(item=item, thresholds={"spo2": {"crit_low": "84",
                                                              "warn_low": "86,5"}})
    care_plan_issue(care_plan=draft, actor=world.user(Role.PHYSICIAN_COORDINATOR))
    with tenant_context(world.tenant):
        rule = AlertRule.objects.get(enrollment=world.enrollment, active=True,
                                     indicator__code="spo2", kind="bounds")
    assert rule.warn_low == Decimal("86.5") and rule.crit_low == Decimal("84")
    # The old version's rules are kept, inactive: rule changes are versioned with the PPS.
    with tenant_context(world.tenant):
        assert AlertRule.objects.filter(enrollment=world.enrollment, active=False,
                                        indicator__code="spo2").exists()
    readings = _read(world, "spo2", "87")  # no longer an alert for this patient
    assert evaluate_readings(tenant_id=world.tenant.pk, reading_ids=[r.pk for r in readings]) == 0


def test_thresholds_from_the_pps_page(client, login, world):
    from django.urls import reverse

    from pathways.models import CarePlanItem
    from pathways.services.care_plans import care_plan_draft

    draft = care_plan_draft(enrollment=world.enrollment, actor=None, kind="revision",
                            reason="Seuils")
    with tenant_context(world.tenant):
        item = CarePlanItem.objects.get(care_plan=draft, label__icontains="SpO2")
    login(world.user(Role.NURSE_COORDINATOR))
    page = client.get(reverse("pathways:care_plan", args=[draft.pk])).content.decode()
    assert 'name="spo2__warn_low"' in page
    client.post(reverse("pathways:care_plan_edit", args=[draft.pk]),
                {"action": "thresholds", "item": str(item.pk), "spo2__warn_low": "90",
                 "spo2__crit_low": "85"})
    with tenant_context(world.tenant):
        item.refresh_from_db()
    assert item.details["thresholds"]["spo2"] == {"crit_low": "85", "warn_low": "90"}


def test_nurse_corrects_a_mistyped_reading_and_history_keeps_the_old_value(client, login,
                                                                           world):
    from django.urls import reverse

    readings = _read(world, "spo2", "59")  # typed 59 for 95
    evaluate_readings(tenant_id=world.tenant.pk, reading_ids=[r.pk for r in readings])
    (alert,) = _alerts(world)
    login(world.user(Role.NURSE_COORDINATOR))
    url = reverse("telemonitoring:alert", args=[alert.pk])
    client.post(url, {"action": "correct", "reading": str(readings[0].pk), "value": "95"})
    with tenant_context(world.tenant):
        r = Reading.objects.get(pk=readings[0].pk)
        assert r.value == Decimal("95")
        assert [h.value for h in r.history.order_by("history_date")] == [Decimal("59"),
                                                                         Decimal("95")]
    client.post(url, {"action": "take"})
    client.post(url, {"action": "close", "confirmed": "1", "outcome": "erroneous_entry"})
    (alert,) = _alerts(world)
    assert alert.outcome == "erroneous_entry"


def test_header_badge_counts_open_alerts_and_refreshes_itself(client, login, world):
    from django.urls import reverse

    readings = _read(world, "spo2", "85")
    evaluate_readings(tenant_id=world.tenant.pk, reading_ids=[r.pk for r in readings])
    login(world.user(Role.NURSE_COORDINATOR))
    badge = client.get(reverse("telemonitoring:alert_count")).content.decode()
    assert ">1</span>" in badge and 'hx-trigger="every 30s"' in badge
    page = client.get(reverse("pathways:worklist")).content.decode()
    assert "htmx.min.js" in page


@pytest.mark.postgres
def test_sql_window_rules_agree_with_the_rules_reference(world):
    """The statement's window rules decide as pathways.rules.change_breached."""
    from datetime import timedelta

    from telemonitoring import rules as reference
    from telemonitoring.services import _evaluate_sql

    series = [(80, "70.0"), (60, "70.5"), (40, "69.8"), (20, "71.0"), (1, "71.8"), (0, "72.1")]
    readings = [r for hours, v in series for r in _read(world, "body_weight", v, hours_ago=hours)]
    with tenant_context(world.tenant):
        rules_ = list(AlertRule.objects.filter(enrollment=world.enrollment, kind="change",
                                               active=True))
        Reading.objects.filter(pk__in=[x.pk for x in readings]).update(evaluated_at=None)
        rule_ids = {r.pk for r in rules_}
        by_sql = {(b[0], b[1]) for b in _evaluate_sql([x.pk for x in readings])[0]
                  if b[1] in rule_ids}
    history = [(r.measured_at, r.value) for r in readings]
    by_python = set()
    for rule in rules_:
        change = reference.Change(rule.amount, timedelta(hours=rule.window_hours),
                                  rule.direction or "rise")
        for r in readings:
            past = [(t, v) for t, v in history if t != r.measured_at]
            if reference.change_breached((r.measured_at, r.value), past, change):
                by_python.add((r.pk, rule.pk))
    assert by_sql == by_python
    assert len(by_sql) == 2  # 71.8 and 72.1 are ≥ 2 kg above 69.8 within 72 h


def test_the_apis_enrollment_of_a_patient_login_matches_the_access_scope(world, other_world):
    """The API's one-statement lookup of a patient login's enrollment: a login that acts for
    its own record only; nobody else (another tenant's patient, a carer — who names the
    patient and takes the checking path, DESIGN §3 —, a patient whose follow-up has not
    started)."""
    from constel.access import patients_in_scope
    from constel.models import Membership, User
    from patients.models import CarerAccess
    from telemonitoring.services import FOLLOWING_PHASES, enrollment_of_patient_login

    def lookup(w, user):
        with tenant_context(w.tenant):
            return enrollment_of_patient_login(tenant_id=w.tenant.pk, user_id=user.pk)

    def by_scope(w, user):
        with tenant_context(w.tenant):
            membership = Membership.objects.get(tenant=w.tenant, user=user, role=Role.PATIENT)
            from pathways.models import Enrollment

            return Enrollment.objects.filter(patient__in=patients_in_scope(membership),
                                             phase__in=FOLLOWING_PHASES) \
                .order_by("-created_at").first()

    patient = world.user(Role.PATIENT)
    assert lookup(world, patient) == world.enrollment == by_scope(world, patient)
    assert lookup(other_world, patient) is None  # not a patient there
    carer = User.objects.create(email="aidant@example.test")
    with tenant_context(world.tenant):
        Membership.objects.create(tenant=world.tenant, user=carer, role=Role.PATIENT)
        access = CarerAccess.objects.create(tenant=world.tenant, patient=world.patient,
                                            user=carer, name="Aidant")
    assert lookup(world, carer) is None and by_scope(world, carer) == world.enrollment
    with tenant_context(world.tenant):
        access.revoked_at = timezone.now()
        access.save()
    assert lookup(world, carer) is None and by_scope(world, carer) is None
    # A patient who becomes a carer of someone else no longer posts unnamed.
    with tenant_context(world.tenant):
        other = CarerAccess.objects.create(tenant=world.tenant, patient=world.other_gp_patient,
                                           user=patient, name="Jeanne")
    assert lookup(world, patient) is None
    with tenant_context(world.tenant):
        other.revoked_at = timezone.now()
        other.save()
    with tenant_context(world.tenant):
        world.enrollment.phase = "initial_assessment"
        world.enrollment.save(update_fields=["phase"])
    assert lookup(world, patient) is None and by_scope(world, patient) is None


def _weight_missing_rule(world) -> AlertRule:
    with tenant_context(world.tenant):
        return AlertRule.objects.get(enrollment=world.enrollment, active=True, kind="missing",
                                     indicator__code="body_weight")


@pytest.mark.parametrize(("hours_ago", "breached"), [(47.9, False), (48.1, True), (24 * 40, True)])
def test_missing_weight_is_judged_on_the_last_reading_whatever_its_age(world, hours_ago,
                                                                       breached):
    """Weight daily × tolerance 2 = 48 h. The last reading decides, even long before the
    rule's own start (a PPS revision re-creates the rules): the sweep reads only the recent
    months' partitions and asks for an older reading only when none is recent."""
    rule = _weight_missing_rule(world)
    assert (rule.expected_interval_hours or 24) * rule.tolerance == 48
    now = NOW()
    readings = _read(world, "body_weight", "70", hours_ago=0)
    with tenant_context(world.tenant):
        Reading.objects.filter(pk=readings[0].pk).update(
            measured_at=now - timedelta(hours=hours_ago))
        AlertRule.objects.filter(pk=rule.pk).update(created_at=now - timedelta(hours=1))
    sweep(tenant=world.tenant, now=now)
    assert bool(_alerts(world, rule=rule)) is breached


def test_missing_weight_without_any_reading_counts_from_the_rules_start(world):
    rule = _weight_missing_rule(world)
    now = NOW()
    with tenant_context(world.tenant):
        AlertRule.objects.filter(pk=rule.pk).update(created_at=now - timedelta(hours=47))
    sweep(tenant=world.tenant, now=now)
    assert not _alerts(world, rule=rule)
    sweep(tenant=world.tenant, now=now + timedelta(hours=2))
    assert _alerts(world, rule=rule)


def test_the_reading_input_fields_are_fresh_for_each_post():
    """ReadingCreateSerializer copies its declared fields shallowly (the hot path): each
    instance still validates on its own and names its own wrong fields."""
    import constel.api  # noqa: F401 (loads the API's modules in their order)
    from telemonitoring.api import ReadingCreateSerializer

    bad = ReadingCreateSerializer(data={"indicator": "", "value": "95",
                                        "measured_at": "yesterday"})
    good = ReadingCreateSerializer(data={"indicator": "spo2", "value": " 95 ",
                                         "measured_at": "2026-11-30T08:00:00+01:00"})
    assert not bad.is_valid() and set(bad.errors) == {"indicator", "measured_at"}
    assert good.is_valid(), good.errors
    assert good.validated_data["value"] == "95" and good.validated_data["indicator"] == "spo2"
    assert good.fields["value"].parent is good and bad.fields["value"].parent is bad
    assert getattr(ReadingCreateSerializer._declared_fields["value"], "parent", None) is None
    missing = ReadingCreateSerializer(data={"value": "95"})
    assert not missing.is_valid() and set(missing.errors) == {"indicator", "measured_at"}
