"""The API's ingestion path: on PostgreSQL a measurement is stored, audited, evaluated and its
alerts written by one statement (telefollowup._INGEST_SQL), not by the worker's claim. It
must decide exactly what the worker decides (DESIGN §5)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from constel.roles import Role
from constel.tenancy import tenant_context
from telemonitoring.models import Alert, AlertEvent, AlertRule, Reading
from telemonitoring.services import (
    evaluate_readings,
    patient_measurement_ingest,
    reading_record,
    reading_record_evaluated,
    sweep,
)

NOW = timezone.now


def _outcome(world) -> tuple:
    """What a nurse would see: the alerts (rule kind, indicator, level, status, outcome)
    and how many breach events each carries; every reading evaluated."""
    with tenant_context(world.tenant):
        alerts = sorted(
            (a.rule.kind, a.indicator.code, a.level, a.status, a.outcome,
             AlertEvent.objects.filter(alert=a).count())
            for a in Alert.objects.filter(enrollment=world.enrollment)
            .select_related("rule", "indicator"))
        assert not Reading.objects.filter(evaluated_at__isnull=True).exists()
    return tuple(alerts)


def _forget(world) -> None:
    with tenant_context(world.tenant):
        AlertEvent.objects.all().delete()
        Alert.objects.all().delete()
        Reading.objects.all().delete()


def _fields(world, code, value, hours_ago):
    return {"enrollment": world.enrollment, "indicator_code": code, "value": value,
            "measured_at": NOW() - timedelta(hours=hours_ago),
            "entered_by": world.user(Role.PATIENT), "source": "portal"}


SEQUENCES = {
    "rise exactly 2.0 kg within 72 h": [("body_weight", "70,0", 71), ("body_weight", "72", 0)],
    "rise 1.9 kg within 72 h": [("body_weight", "70.0", 71), ("body_weight", "71.9", 0)],
    "rise 2.0 kg over 73 h": [("body_weight", "70.0", 73), ("body_weight", "72.0", 0)],
    "lowest in the window, not the first": [("body_weight", "71", 60), ("body_weight", "69.5", 30),
                                            ("body_weight", "71.5", 0)],
    "late reading inside the window": [("body_weight", "72", 0), ("body_weight", "70", 10)],
    "warning then critical: one alert raised": [("spo2", "91", 3), ("spo2", "86", 2),
                                                ("spo2", "95", 1), ("spo2", "90", 0)],
    "exactly at the thresholds": [("spo2", "92", 1), ("spo2", "88", 0)],
    "no breach": [("spo2", "97", 1), ("body_weight", "70", 0)],
}


def _by_worker(world, steps) -> tuple:
    """The outcome of ``steps`` recorded and evaluated as the worker does; then forgotten."""
    for code, value, hours_ago in steps:
        readings = reading_record(**_fields(world, code, value, hours_ago))
        evaluate_readings(tenant_id=world.tenant.pk, reading_ids=[r.pk for r in readings])
    outcome = _outcome(world)
    _forget(world)
    return outcome


@pytest.mark.parametrize("steps", SEQUENCES.values(), ids=SEQUENCES.keys())
def test_the_api_path_decides_what_the_worker_decides(world, steps):
    by_worker = _by_worker(world, steps)
    for code, value, hours_ago in steps:
        readings, _alerts = reading_record_evaluated(**_fields(world, code, value, hours_ago))
        assert all(r.evaluated_at for r in readings)
    assert _outcome(world) == by_worker


def _patient_ingest(world, code, value, hours_ago, diastolic=None):
    return patient_measurement_ingest(
        tenant_id=world.tenant.pk, user=world.user(Role.PATIENT), indicator_code=code,
        value=value, diastolic=diastolic, measured_at=NOW() - timedelta(hours=hours_ago))


@pytest.mark.parametrize("steps", SEQUENCES.values(), ids=SEQUENCES.keys())
def test_the_patients_one_statement_path_decides_what_the_worker_decides(world, steps):
    by_worker = _by_worker(world, steps)
    answers = []
    for code, value, hours_ago in steps:
        readings, alerts = _patient_ingest(world, code, value, hours_ago)
        assert [r.indicator.code for r in readings] == [code]
        answers.append(sorted((a.level, a.status) for a in alerts))
    assert _outcome(world) == by_worker
    _forget(world)
    for (code, value, hours_ago), answer in zip(steps, answers, strict=True):
        _r, alerts = reading_record_evaluated(**_fields(world, code, value, hours_ago))
        assert sorted((a.level, a.status) for a in alerts) == answer


def test_the_one_statement_path_stores_what_the_checking_path_stores(world):
    from telemonitoring.api import reading_data
    from tests.telemonitoring.test_services import _add_blood_pressure

    _add_blood_pressure(world)
    fast, alerts = _patient_ingest(world, "blood_pressure", "185", 0, diastolic="95,5")
    assert [a.level for a in alerts] == ["critical"]
    with tenant_context(world.tenant):
        stored = {r.pk: r for r in Reading.objects.select_related("indicator")}
        assert len(stored) == 2
        for reading in fast:
            assert reading_data(reading) == reading_data(stored[reading.pk])
            assert stored[reading.pk].entered_by_id == world.user(Role.PATIENT).pk
            (h,) = stored[reading.pk].history.all()  # its author: the API test's (request)
            assert (h.history_type, h.value, h.source, h.evaluated_at) == (
                "+", reading.value, "portal", stored[reading.pk].evaluated_at)
    assert [(r.indicator.code, r.value) for r in fast] == [
        ("systolic_bp", Decimal("185")), ("diastolic_bp", Decimal("95.5"))]


@pytest.mark.parametrize("case", [
    ("spo2", "140", None, 0), ("spo2", "NaN", None, 0), ("spo2", "abc", None, 0),
    ("spo2", "95", None, -1), ("heart_rate", "70", None, 0), ("no_such", "1", None, 0),
    ("blood_pressure", "120", "130", 0), ("blood_pressure", "120", None, 0),
    ("blood_pressure", "120", "80", 0)])
def test_the_one_statement_path_stores_nothing_it_should_refuse(world, case):
    """Anything off (implausible, not a number, in the future, not followed by the PPS —
    heart rate and blood pressure have no rule here —, unknown, diastolic not lower):
    nothing stored, None — the API then takes the path that names the field."""
    code, value, diastolic, hours_ago = case
    assert _patient_ingest(world, code, value, hours_ago, diastolic=diastolic) is None
    with tenant_context(world.tenant):
        assert not Reading.objects.exists()


def test_the_one_statement_path_needs_a_follow_up_of_the_login(world, other_world):
    other = other_world.user(Role.PATIENT)
    assert patient_measurement_ingest(
        tenant_id=world.tenant.pk, user=other, indicator_code="spo2", value="95",
        measured_at=NOW()) is None
    with tenant_context(world.tenant):
        assert not Reading.objects.exists()


def test_the_api_refuses_not_a_number_with_a_field_message(client, world, capsys):
    from django.core.management import call_command

    call_command("create_api_token", world.user(Role.PATIENT).email, "--tenant",
                 world.tenant.slug)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {capsys.readouterr().out.strip()}"}
    for wrong in ("NaN", "Infinity", "-inf", "1e999"):
        response = client.post("/api/v1/readings/", {
            "indicator": "spo2", "value": wrong, "measured_at": NOW().isoformat()},
            content_type="application/json", **auth)
        assert response.status_code == 400 and "value" in response.json(), wrong
    with tenant_context(world.tenant):
        assert not Reading.objects.exists()


def test_the_expected_alerts_for_the_window_rule(world):
    """The comparison above holds for the right reason: the worker's answers are the rule's."""
    for code, value, hours_ago in SEQUENCES["rise exactly 2.0 kg within 72 h"]:
        reading_record_evaluated(**_fields(world, code, value, hours_ago))
    assert _outcome(world) == (("change", "body_weight", "warning", "open", "", 1),)
    _forget(world)
    for code, value, hours_ago in SEQUENCES["rise 1.9 kg within 72 h"]:
        reading_record_evaluated(**_fields(world, code, value, hours_ago))
    assert _outcome(world) == ()


def test_the_answer_carries_the_alert_raised_and_its_level(world):
    _r, alerts = reading_record_evaluated(**_fields(world, "spo2", "91", 1))
    (first,) = alerts
    assert (first.level, first.status) == ("warning", "open")
    _r, alerts = reading_record_evaluated(**_fields(world, "spo2", "86", 0))
    (same,) = alerts
    assert (same.pk, same.level) == (first.pk, "critical")
    with tenant_context(world.tenant):
        alert = Alert.objects.get(pk=first.pk)
        # opened, then raised: two historical rows
        assert [(h.history_type, h.level) for h in alert.history.order_by("history_date")] \
            == [("+", "warning"), ("~", "critical")]


def test_a_reading_resolves_the_missing_data_alert(world):
    with tenant_context(world.tenant):
        AlertRule.objects.filter(enrollment=world.enrollment).update(
            created_at=NOW() - timedelta(hours=49))
    sweep(tenant=world.tenant)
    with tenant_context(world.tenant):
        missing = Alert.objects.get(rule__kind="missing", indicator__code="body_weight")
    reading_record_evaluated(**_fields(world, "body_weight", "70", 0))
    with tenant_context(world.tenant):
        missing.refresh_from_db()
        assert (missing.status, missing.outcome) == ("closed", "resolved_by_reading")
        assert missing.history.latest().status == "closed"
        assert Alert.objects.filter(rule__kind="missing", status="open") \
            .exclude(indicator__code="body_weight").exists()


def test_a_blood_pressure_is_stored_with_its_history(world):
    from tests.telemonitoring.test_services import _add_blood_pressure

    _add_blood_pressure(world)
    readings, alerts = reading_record_evaluated(**_fields(world, "blood_pressure", "185", 0),
                                                diastolic="95")
    assert [r.indicator.code for r in readings] == ["systolic_bp", "diastolic_bp"]
    assert [a.level for a in alerts] == ["critical"]
    with tenant_context(world.tenant):
        stored = list(Reading.objects.filter(enrollment=world.enrollment).order_by("value"))
        assert [r.value for r in stored] == [Decimal("95"), Decimal("185")]
        assert len({r.measurement_id for r in stored}) == 1
        for r in stored:
            (h,) = r.history.all()
            assert (h.history_type, h.value) == ("+", r.value)
            assert h.evaluated_at == r.evaluated_at  # written by the statement that evaluates


def test_one_api_call_is_a_handful_of_statements(transactional_db, client, world, capsys,
                                                 django_assert_max_num_queries):
    """Two statements: the token with its membership (which also sets the tenant), then
    the patient's follow-up found, the measurement checked, written and evaluated
    (patient_measurement_ingest) — leaving the tenant costs none (the next statement, or
    the next token login, sets its own) — the count the ingestion benchmark depends on (in
    autocommit, as in production: no test transaction around it). A nurse's post, or a
    wrong one, takes the checking path: one statement more."""
    from django.core.management import call_command

    call_command("create_api_token", world.user(Role.PATIENT).email, "--tenant",
                 world.tenant.slug)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {capsys.readouterr().out.strip()}"}
    body = {"indicator": "spo2", "value": "95", "measured_at": NOW().isoformat()}
    client.post("/api/v1/readings/", body, content_type="application/json", **auth)
    with django_assert_max_num_queries(2):
        response = client.post("/api/v1/readings/", body, content_type="application/json",
                               **auth)
    assert response.status_code == 201
    body["unit"] = "%"  # a unit given: the checking path
    client.post("/api/v1/readings/", body, content_type="application/json", **auth)  # PREPAREs
    with django_assert_max_num_queries(3):
        response = client.post("/api/v1/readings/", body, content_type="application/json",
                               **auth)
    assert response.status_code == 201


def test_a_connection_left_holding_a_token_tenant_serves_the_next_token_its_own_rows(
        transactional_db, client, world, other_world, capsys):
    from django.core.management import call_command

    keys = []
    for w in (world, other_world):
        call_command("create_api_token", w.user(Role.PATIENT).email, "--tenant", w.tenant.slug)
        keys.append({"HTTP_AUTHORIZATION": f"Bearer {capsys.readouterr().out.strip()}"})
    body = {"indicator": "spo2", "value": "95", "measured_at": NOW().isoformat()}
    first = client.post("/api/v1/readings/", body, content_type="application/json", **keys[0])
    assert first.status_code == 201

    held = connection.connection.execute("SELECT current_setting('app.tenant_id', true)")
    assert held.fetchone()[0] == str(world.tenant.pk)  # left as it was: no reset statement
    listed = client.get("/api/v1/readings/", **keys[1])
    assert listed.status_code == 200 and listed.json()["count"] == 0
    assert client.get("/api/v1/readings/", **keys[0]).json()["count"] == 1
    assert _session_setting("app.tenant_id") == ""  # a statement outside: no tenant


def _session_setting(name: str) -> str:

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s, true)", [name])
        return cursor.fetchone()[0] or ""


@pytest.mark.parametrize("change", ["revoked", "inactive user", "membership ended", "none"])
def test_token_login_in_one_round_trip_refuses_and_leaves_no_tenant_set(
        transactional_db, client, world, capsys, change):
    """The login sets the token's tenant on the connection to read the membership: when
    the token is refused, or once the request is over, the connection holds no tenant."""
    from django.core.management import call_command

    from constel.models import ApiToken, Membership

    user = world.user(Role.PATIENT)
    call_command("create_api_token", user.email, "--tenant", world.tenant.slug)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {capsys.readouterr().out.strip()}"}
    if change == "revoked":
        ApiToken.objects.filter(user=user).update(revoked_at=NOW())
    elif change == "inactive user":
        type(user).objects.filter(pk=user.pk).update(is_active=False)
    elif change == "membership ended":
        with tenant_context(world.tenant):
            Membership.objects.filter(user=user).update(is_active=False)
    response = client.get("/api/v1/readings/", **auth)
    if change == "none":
        assert response.status_code == 200 and response.json()["count"] == 0
        assert ApiToken.objects.get(user=user).last_used_at is not None
    else:
        assert response.status_code == 401
        forged = client.get("/api/v1/readings/", HTTP_AUTHORIZATION="Bearer cst_forged")
        # "access ended" for a membership that ended, "invalid or revoked" otherwise
        assert (response.json()["detail"] != forged.json()["detail"]) == (
            change == "membership ended")
    assert _session_setting("app.tenant_id") == "" and _session_setting("app.user_id") == ""


def test_the_answer_represents_readings_as_the_serializer_does(world):
    from telemonitoring.api import ReadingSerializer, reading_data

    readings, _alerts = reading_record_evaluated(**_fields(world, "body_weight", "70,25", 1))
    (reading,) = readings
    assert reading_data(reading) == dict(ReadingSerializer(reading).data)
    with tenant_context(world.tenant):
        stored = Reading.objects.select_related("indicator").get(pk=reading.pk)
    assert reading_data(stored) == dict(ReadingSerializer(stored).data)
    assert reading_data(stored)["value"] == "70.25"
