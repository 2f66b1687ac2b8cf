"""The evaluators' pseudonymised export (issue #9, item 2)."""

from __future__ import annotations

import csv
import io
import zipfile

from django.urls import reverse
from django.utils import timezone

from constel.roles import Role
from constel.tenancy import tenant_context
from pathways.models import EvaluationExport
from pathways.services.evaluation import pseudonym
from tests.factories import follow_up_patient


def _rows(z: zipfile.ZipFile, name: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(z.read(name).decode())))


def test_export_is_pseudonymised_leaves_out_objections_and_is_logged(client, login, world):
    from patients.services import consent_record

    objecting = follow_up_patient(world, "OPPOSANT").patient
    consent_record(patient=objecting, kind="evaluation_objection", granted=True,
                   method="oral", actor=None)
    today = timezone.localdate()
    login(world.user(Role.EVALUATOR))
    response = client.post(reverse("pathways:evaluation_export"),
                           {"start": f"{today.year - 1}-01-01", "end": today.isoformat()})
    assert response["Content-Type"] == "application/zip"
    z = zipfile.ZipFile(io.BytesIO(response.content))
    assert {"patients.csv", "readings.csv", "alerts.csv", "activities.csv",
            "questionnaires.csv", "dictionary.csv"} <= set(z.namelist())
    patients = _rows(z, "patients.csv")
    assert [p["pseudo_id"] for p in patients] == [pseudonym(world.tenant.pk, world.patient.pk)]
    assert patients[0]["birth_year"] == "1950" and patients[0]["group"] == "POLY"
    everything = b"".join(z.read(n) for n in z.namelist()).decode()
    for identifying in (world.patient.birth_name, world.patient.first_names, "OPPOSANT",
                        str(world.patient.pk), "1950-04-12"):
        assert identifying not in everything
    with tenant_context(world.tenant):
        log = EvaluationExport.objects.get()
    assert log.by == world.user(Role.EVALUATOR) and log.patients == 1
    assert log.excluded_objections == 1


def test_a_period_that_does_not_parse_or_ends_before_it_starts(client, login, world):
    login(world.user(Role.PROGRAMME_MANAGER))
    url = reverse("pathways:evaluation_export")
    assert client.post(url, {"start": "2025-13-01", "end": "2025-12-31"}).status_code == 400
    backwards = client.post(url, {"start": "2025-06-01", "end": "2025-01-01"})
    assert backwards.status_code == 400 and 'aria-invalid="true"' in backwards.content.decode()
    with tenant_context(world.tenant):
        assert not EvaluationExport.objects.exists()


def test_pseudonyms_are_stable_and_differ_between_programmes(world, other_world):
    a = pseudonym(world.tenant.pk, world.patient.pk)
    assert a == pseudonym(world.tenant.pk, world.patient.pk)
    assert a != pseudonym(other_world.tenant.pk, world.patient.pk)
