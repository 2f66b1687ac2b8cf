"""FHIR R4 export (issue #9, item 4): every resource produced is parsed by an independent
FHIR library (fhir.resources, R4B models: FHIR 4.3, the R4 line) so it is real FHIR."""

from __future__ import annotations

import pytest
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class

from constel.roles import Role
from telemonitoring.services import evaluate_readings, reading_record


def _valid(resource: dict):
    return get_fhir_model_class(resource["resourceType"]).model_validate(resource)


@pytest.fixture
def data(world):
    with_ins = world.patient
    readings = reading_record(enrollment=world.enrollment, indicator_code="spo2", value="86",
                              measured_at=timezone.now(), entered_by=None, source="portal")
    readings += reading_record(enrollment=world.enrollment, indicator_code="body_weight",
                               value="71,5", measured_at=timezone.now(), entered_by=None,
                               source="portal")
    evaluate_readings(tenant_id=world.tenant.pk, reading_ids=[r.pk for r in readings])
    return with_ins


def test_everything_is_a_valid_bundle_with_every_kind_of_resource(client, login, world, data):
    login(world.user(Role.NURSE_COORDINATOR))
    response = client.get(f"/fhir/R4/Patient/{world.patient.pk}/$everything")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    bundle = response.json()
    _valid(bundle)
    kinds = {}
    for entry in bundle["entry"]:
        _valid(entry["resource"])
        kinds.setdefault(entry["resource"]["resourceType"], []).append(entry["resource"])
    assert set(kinds) == {"Patient", "Practitioner", "Observation", "CarePlan", "Flag"}
    spo2 = next(o for o in kinds["Observation"] if o["code"]["coding"][0]["code"] == "59408-5")
    assert spo2["valueQuantity"] == {"value": 86.0, "unit": "%",
                                     "system": "http://unitsofmeasure.org", "code": "%"}
    weight = next(o for o in kinds["Observation"]
                  if o["code"]["coding"][0]["code"] == "29463-7")
    assert weight["valueQuantity"]["value"] == 71.5 and weight["valueQuantity"]["code"] == "kg"
    assert kinds["Flag"][0]["status"] == "active"
    assert kinds["CarePlan"][0]["status"] == "active" and kinds["CarePlan"][0]["activity"]


def test_patient_ins_only_when_the_identity_is_qualified(client, login, world):
    from constel.tenancy import tenant_context

    login(world.user(Role.NURSE_COORDINATOR))
    url = f"/fhir/R4/Patient/{world.patient.pk}"
    with tenant_context(world.tenant):
        world.patient.ins = "2500412345678"
        world.patient.identity_status = "provisional"
        world.patient.save()
    body = client.get(url).json()
    _valid(body)
    assert "identifier" not in body
    with tenant_context(world.tenant):
        world.patient.identity_status = "qualified"
        world.patient.save()
    body = client.get(url).json()
    assert body["identifier"][0]["system"] == "urn:oid:1.2.250.1.213.1.4.8"
    assert body["identifier"][0]["value"] == "2500412345678"
    assert body["generalPractitioner"] == [{"reference": f"Practitioner/{world.patient.gp_id}"}]
    practitioner = client.get(f"/fhir/R4/Practitioner/{world.patient.gp_id}").json()
    _valid(practitioner)


def test_searches_and_their_errors_are_fhir(client, login, world, data):
    login(world.user(Role.NURSE_COORDINATOR))
    found = client.get("/fhir/R4/Observation", {"patient": world.patient.pk,
                                                "code": "http://loinc.org|59408-5"}).json()
    _valid(found)
    assert found["total"] == 1
    for kind in ("CarePlan", "Flag"):
        _valid(client.get(f"/fhir/R4/{kind}", {"patient": str(world.patient.pk)}).json())
    bad = client.get("/fhir/R4/Observation", {"patient": world.patient.pk, "date": "ge2025"})
    assert bad.status_code == 400
    outcome = bad.json()
    _valid(outcome)
    assert outcome["resourceType"] == "OperationOutcome" and "date" in \
        outcome["issue"][0]["diagnostics"]
    missing = client.get("/fhir/R4/Patient/not-a-uuid")
    assert missing.status_code == 404 and missing.json()["resourceType"] == "OperationOutcome"


def test_other_tenant_and_unrelated_roles_see_nothing(client, login, world, other_world, data):
    login(other_world.user(Role.NURSE_COORDINATOR))
    assert client.get(f"/fhir/R4/Patient/{world.patient.pk}").status_code == 404
    empty = client.get("/fhir/R4/Observation", {"patient": world.patient.pk}).json()
    assert empty["total"] == 0
    login(world.user(Role.FINANCE))
    assert client.get(f"/fhir/R4/Patient/{world.patient.pk}").status_code == 403
    login(world.unrelated_gp.user)
    assert client.get(f"/fhir/R4/Patient/{world.patient.pk}").status_code == 404
