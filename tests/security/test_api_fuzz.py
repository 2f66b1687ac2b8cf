"""Fuzzing the API from its OpenAPI schema (issue #19) with schemathesis: for a token of each
kind of role, every operation gets a bounded, derandomised set of generated requests — valid
ones (with real ids of the world, and random ones) and invalid ones. No answer is a 5xx, and
every answer the schema documents conforms to it.

The requests go through Django's test client (the test's database transaction and the
tenant's row-level security, as in production); schemathesis generates the cases and
checks the answers.
"""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from constel.roles import Role

schemathesis = pytest.importorskip("schemathesis")

pytestmark = pytest.mark.django_db

#: Examples per operation and mode: bounded so CI is stable and quick.
EXAMPLES = 6
ROLES = [Role.NURSE_COORDINATOR, Role.GP, Role.PATIENT, Role.SECRETARY, Role.FINANCE]


def _response(case, django_response):
    """The test client's answer as schemathesis' Response."""
    import requests
    from schemathesis.core.transport import Response

    request = requests.Request(method=case.method.upper(),
                               url=f"http://testserver{case.formatted_path}").prepare()
    headers = {k: [v] for k, v in django_response.headers.items()}
    return Response(status_code=django_response.status_code, headers=headers,
                    content=django_response.content, request=request, elapsed=0.0,
                    verify=False)


def _send(client, case, auth):
    method = getattr(client, case.method.lower())
    kwargs = dict(auth)
    path = case.formatted_path
    if case.query:
        from urllib.parse import urlencode

        path += "?" + urlencode(case.query, doseq=True)
    if case.body is not None and case.method.upper() in ("POST", "PUT", "PATCH"):
        try:
            payload = json.dumps(case.body)
        except (TypeError, ValueError):
            payload = str(case.body)
        return method(path, payload, content_type="application/json", **kwargs)
    return method(path, **kwargs)


def _known_ids(world) -> dict[str, str]:
    """Real ids for the operations' {id}, by the path's first segment."""
    from constel.tenancy import tenant_context
    from telemonitoring.models import Alert, AlertRule

    with tenant_context(world.tenant):
        rule = AlertRule.objects.filter(enrollment=world.enrollment).first()
        alert = Alert.objects.create(tenant=world.tenant, enrollment=world.enrollment,
                                     indicator=rule.indicator, rule=rule, level="warning",
                                     status="open", opened_at="2026-12-01T08:00:00Z")
    return {"patients": world.patient.pk, "enrollments": world.enrollment.pk,
            "care-plans": world.care_plan.pk, "activities": world.activity.pk,
            "alerts": alert.pk, "professionals": world.professionals[Role.GP].pk}


@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
def test_no_operation_answers_5xx_and_documented_answers_fit_the_schema(
        client, world, capsys, role):
    from schemathesis.generation import GenerationMode

    call_command("create_api_token", world.user(role).email, "--tenant", world.tenant.slug)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {capsys.readouterr().out.strip()}"}
    raw = client.get("/api/schema/", {"format": "json"}, **auth)
    assert raw.status_code == 200
    schema = schemathesis.openapi.from_dict(json.loads(raw.content))
    ids = _known_ids(world)
    failures: list = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        segment = operation.path.removeprefix("/api/v1/").split("/")[0]
        strategies = [operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
                      operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)]
        if "{id}" in operation.path and segment in ids:
            strategies.append(operation.as_strategy(
                generation_mode=GenerationMode.POSITIVE,
                path_parameters={"id": str(ids[segment])}))

        run = _runner(operation, strategies, client, auth, failures)
        run()
    assert operations > 20
    assert not failures, failures[:10]


def _runner(operation, strategies, client, auth, failures):
    from schemathesis.checks import not_a_server_error
    from schemathesis.generation import GenerationMode
    from schemathesis.specs.openapi.checks import response_schema_conformance

    @given(case=st.one_of(*strategies))
    @settings(max_examples=EXAMPLES * len(strategies), derandomize=True, deadline=None,
              database=None, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    def run(case):
        response = _send(client, case, auth)
        if response.status_code >= 500:
            failures.append((operation.label, response.status_code, case.body, case.query))
            return
        if not case.meta or case.meta.generation.mode == GenerationMode.POSITIVE:
            try:
                case.validate_response(_response(case, response),
                                       checks=[not_a_server_error, response_schema_conformance])
            except Exception as exc:  # schemathesis raises a FailureGroup of its checks
                failures.append((operation.label, response.status_code,
                                 str(exc).splitlines()[:6]))

    return run
