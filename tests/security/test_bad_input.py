"""The inputs that answered 500 (issue #19): each is now a 4xx naming the field, and nothing
is written. Named after what a user (or an attacker) does."""

from __future__ import annotations

import html

import pytest
from django.db import connection
from django.urls import reverse

from constel.roles import Role
from constel.tenancy import tenant_context, tenant_owned_models
from tests.factories import api_auth

pytestmark = pytest.mark.django_db


def _token(world, role, capsys) -> dict:
    return api_auth(world.user(role), world.tenant, capsys)


def row_counts(tenant) -> dict[str, int]:
    """Rows of every tenant-owned table (history included), as the tenant sees them — but
    the access log, where every read of a record is written by design."""
    with tenant_context(tenant):
        return {m._meta.db_table: m._base_manager.count() for m in tenant_owned_models()
                if not m._meta.proxy and m._meta.db_table != "constel_accesslog"}


def _json(client, url, body, auth):
    import json

    return client.post(url, json.dumps(body), content_type="application/json", **auth)


@pytest.mark.parametrize("body", [{"comment": 1}, {"comment": None}, [], "x",
                                  {"comment": "x" * 3000}])
@pytest.mark.parametrize("action", ["validate", "request-changes"])
def test_gp_answer_with_a_wrong_body_is_a_400_and_the_pps_unchanged(client, world, capsys,
                                                                    body, action):
    auth = _token(world, Role.GP, capsys)
    before = row_counts(world.tenant)
    response = _json(client, f"/api/v1/care-plans/{world.care_plan.pk}/{action}/", body, auth)
    assert response.status_code == 400, response.content
    assert row_counts(world.tenant) == before


def test_escalating_with_a_list_body_is_a_400(client, world, capsys):
    from telemonitoring.models import Alert, AlertRule

    with tenant_context(world.tenant):
        rule = AlertRule.objects.filter(enrollment=world.enrollment).first()
        alert = Alert.objects.create(tenant=world.tenant, enrollment=world.enrollment,
                                     indicator=rule.indicator, rule=rule, level="critical",
                                     status="open", opened_at="2026-12-01T10:00:00Z")
    auth = _token(world, Role.NURSE_COORDINATOR, capsys)
    response = _json(client, f"/api/v1/alerts/{alert.pk}/escalate/", [], auth)
    assert response.status_code == 400
    with tenant_context(world.tenant):
        alert.refresh_from_db()
    assert alert.status == "open"


@pytest.mark.parametrize("since", ["2026-02-30", "2026-13-45", "0001-01-01", "9999-12-31",
                                   "2026-01-01T25:00", "x"])
@pytest.mark.parametrize("role", [Role.NURSE_COORDINATOR, Role.GP, Role.PATIENT])
def test_readings_since_an_impossible_date_is_a_400_naming_since(client, world, capsys,
                                                                  since, role):
    auth = _token(world, role, capsys)
    response = client.get("/api/v1/readings/", {"since": since}, **auth)
    assert response.status_code == 400 and "since" in response.json()


def test_readings_since_keeps_the_offset_given(client, world, capsys):
    auth = _token(world, Role.NURSE_COORDINATOR, capsys)
    response = client.get("/api/v1/readings/", {"since": "2026-01-01T00:30:00+01:00"}, **auth)
    assert response.status_code == 200


@pytest.mark.parametrize("period", ["0001-01-01", "9999-12-31", "2031-06-01", "1999-01-01"])
def test_compiling_an_impossible_period_is_refused_and_creates_no_draft(client, login, world,
                                                                        capsys, period):
    from billing.models import ClaimStatement

    auth = _token(world, Role.FINANCE, capsys)
    before = row_counts(world.tenant)
    response = _json(client, "/api/v1/claims/statements/compile/", {"period": period}, auth)
    assert response.status_code == 400 and "period" in response.json()
    login(world.user(Role.FINANCE))
    response = client.post(reverse("billing:compile"), {"period": period})
    assert response.status_code == 400 and 'id="compile-period-error"' in response.content.decode()
    with tenant_context(world.tenant):
        assert not ClaimStatement.objects.exists()
    assert row_counts(world.tenant) == before


def test_planning_a_session_with_a_wrong_professional_id_is_a_message(client, login, world):
    login(world.user(Role.NURSE_COORDINATOR))
    before = row_counts(world.tenant)
    response = client.post(reverse("pathways:activity_plan", args=[world.enrollment.pk]),
                           {"kind": "assessment", "scheduled_at": "2026-12-10T10:00",
                            "professional": "abc"})
    assert response.status_code == 400
    assert "Choisissez un professionnel dans la liste" in html.unescape(response.content.decode())
    assert row_counts(world.tenant) == before


def test_adding_equipment_with_a_wrong_site_or_a_long_serial_is_a_message(client, login,
                                                                         world):
    login(world.user(Role.NURSE_COORDINATOR))
    before = row_counts(world.tenant)
    for data in ({"kind": "scale", "serial_number": "S1", "site": "abc"},
                 {"kind": "scale", "serial_number": "S" * 65}):
        response = client.post(reverse("pathways:equipment"), data)
        assert response.status_code == 400
        assert data["serial_number"] in response.content.decode()  # kept as typed
    assert row_counts(world.tenant) == before


def test_a_pps_item_with_an_over_long_profession_is_refused(client, login, world):
    from pathways.services.care_plans import care_plan_draft

    draft = care_plan_draft(enrollment=world.enrollment, actor=world.user(Role.NURSE_COORDINATOR),
                            kind="revision", reason="Essai")
    login(world.user(Role.NURSE_COORDINATOR))
    before = row_counts(world.tenant)
    response = client.post(reverse("pathways:care_plan_edit", args=[draft.pk]),
                           {"action": "add", "kind": "consultation", "label": "Diététique",
                            "profession": "p" * 65})
    assert response.status_code == 400
    assert 'value="Diététique"' in html.unescape(response.content.decode())
    assert row_counts(world.tenant) == before


def test_accepting_a_referral_twice_is_no_error(client, login, world):
    login(world.user(Role.SECRETARY))
    url = reverse("pathways:referral", args=[world.referral.pk])
    assert client.post(url, {"action": "accept"}).status_code == 302
    second = client.post(url, {"action": "accept"})  # the double click
    assert second.status_code == 302


@pytest.mark.parametrize(("name", "params", "role"), [
    ("access_log", {"since": "0001-01-01", "until": "9999-12-31"}, Role.PRIVACY_OFFICER),
    ("evaluation:dashboard", {"start": "0001-01-01", "end": "9999-12-31"},
     Role.PROGRAMME_MANAGER),
])
def test_out_of_range_dates_on_pages_are_a_message(client, login, world, name, params, role):
    login(world.user(role))
    response = client.get(reverse(name), params)
    assert response.status_code in (200, 400)
    assert "1900" in response.content.decode()


def test_the_evaluator_export_with_an_out_of_range_period_is_a_message(client, login, world):
    login(world.user(Role.EVALUATOR))
    response = client.post(reverse("evaluation:evaluation_export"),
                           {"start": "0001-01-01", "end": "9999-12-31"})
    assert response.status_code in (200, 400)
    assert response.get("Content-Type", "").startswith("text/html")


@pytest.mark.parametrize(("name", "param"), [
    ("patients:list", "q"), ("patients:list", "phase"), ("telemonitoring:alerts", "status"),
    ("telemonitoring:alerts", "indicator"), ("access_log", "patient"), ("access_log", "user"),
])
def test_a_nul_byte_in_a_query_parameter_is_a_400_naming_it(client, login, world, name,
                                                            param):
    role = Role.PRIVACY_OFFICER if name == "access_log" else Role.NURSE_COORDINATOR
    login(world.user(role))
    response = client.get(reverse(name), {param: "a\x00b"})
    assert response.status_code == 400 and param in response.content.decode()


def test_a_nul_byte_in_a_message_or_a_token_name_is_a_400_and_nothing_written(
        client, login, world, capsys):
    login(world.user(Role.PATIENT))
    before = row_counts(world.tenant)
    response = client.post(reverse("portal:messages"), {"body": "Bonjour\x00"})
    assert response.status_code == 400 and "body" in response.content.decode()
    login(world.user(Role.NURSE_COORDINATOR))
    assert client.post(reverse("api_tokens"), {"name": "t\x00"}).status_code == 400
    assert row_counts(world.tenant) == before
    auth = _token(world, Role.PATIENT, capsys)
    response = _json(client, "/api/v1/readings/", {"indicator": "spo2\x00", "value": "95",
                                                   "measured_at": "2026-12-01T10:00:00Z"},
                     auth)
    assert response.status_code == 400 and "indicator" in response.json()
    response = _json(client, "/api/v1/readings/", {"indicator": "spo2", "value": "95",
                                                   "unit": "%\x00"}, auth)
    assert response.status_code == 400 and list(response.json()) == ["unit"]


def test_an_api_transition_to_exited_is_the_exit_or_refused(client, world, capsys):
    from letters.models import Letter

    auth = _token(world, Role.NURSE_COORDINATOR, capsys)
    url = f"/api/v1/enrollments/{world.enrollment.pk}/transition/"
    response = _json(client, url, {"to_phase": "exited"}, auth)
    assert response.status_code == 400 and "exit_reason" in response.json()
    with tenant_context(world.tenant):
        world.enrollment.refresh_from_db()
    assert world.enrollment.phase != "exited"
    response = _json(client, url, {"to_phase": "exited", "exit_reason": "patient_choice"}, auth)
    assert response.status_code == 200, response.content
    with tenant_context(world.tenant):
        world.enrollment.refresh_from_db()
        assert world.enrollment.phase == "exited"
        assert world.enrollment.exit_reason == "patient_choice"
        assert Letter.objects.filter(enrollment=world.enrollment, kind="exit").exists()


def test_the_page_transition_to_exited_is_refused_too(client, login, world):
    login(world.user(Role.NURSE_COORDINATOR))
    client.post(reverse("pathways:transition", args=[world.enrollment.pk]),
                {"to_phase": "exited"})
    with tenant_context(world.tenant):
        world.enrollment.refresh_from_db()
    assert world.enrollment.phase != "exited"


def test_the_schema_tells_the_truth_about_next_phases_and_adjusts(client, login, world):
    login(world.user(Role.NURSE_COORDINATOR))
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    op = schema["paths"]["/api/v1/enrollments/{id}/next-phases/"]["get"]
    body = op["responses"]["200"]["content"]["application/json"]["schema"]
    if "$ref" in body:
        body = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    assert body["type"] == "array", body
    adjusts = schema["components"]["schemas"]["ClaimLine"]["properties"]["adjusts"]
    assert adjusts.get("nullable") is True


def test_a_database_refusal_is_a_400_not_a_500(client, login, world, monkeypatch):
    from django.db import DataError

    login(world.user(Role.NURSE_COORDINATOR))

    def boom(*args, **kwargs):
        raise DataError("value too long for type character varying(64)")

    monkeypatch.setattr("pathways.services.care_records.equipment_create", boom)
    response = client.post(reverse("pathways:equipment"), {"kind": "scale",
                                                           "serial_number": "S1"})
    assert response.status_code == 400
    assert connection.vendor == "postgresql"
