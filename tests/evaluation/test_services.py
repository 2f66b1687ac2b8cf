"""The evaluators' pseudonymised export (issue #9, item 2)."""

from __future__ import annotations

import csv
import io
import zipfile

from django.urls import reverse
from django.utils import timezone

from constel.roles import Role
from constel.tenancy import tenant_context
from evaluation.models import EvaluationExport
from evaluation.services import pseudonym
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
    response = client.post(reverse("evaluation:evaluation_export"),
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
    url = reverse("evaluation:evaluation_export")
    assert client.post(url, {"start": "2025-13-01", "end": "2025-12-31"}).status_code == 400
    backwards = client.post(url, {"start": "2025-06-01", "end": "2025-01-01"})
    assert backwards.status_code == 400 and 'aria-invalid="true"' in backwards.content.decode()
    with tenant_context(world.tenant):
        assert not EvaluationExport.objects.exists()


def test_pseudonyms_are_stable_and_differ_between_programmes(world, other_world):
    a = pseudonym(world.tenant.pk, world.patient.pk)
    assert a == pseudonym(world.tenant.pk, world.patient.pk)
    assert a != pseudonym(other_world.tenant.pk, world.patient.pk)


def test_staff_export_the_same_data_zip_on_request(client, login, world):
    """The privacy officer's, on the patient's request (DESIGN §3; the secretary's before
    #19)."""
    login(world.user(Role.PRIVACY_OFFICER))
    response = client.post(reverse("patients:data_export", args=[world.patient.pk]),
                           {"reference": "Courrier du 01/12/2026"})
    z = zipfile.ZipFile(io.BytesIO(response.content))
    assert world.patient.birth_name in z.read("identite.csv").decode()
    from constel.models import AccessLog

    with tenant_context(world.tenant):
        assert AccessLog.objects.filter(patient_id=world.patient.pk,
                                        view="patients:data_export").exists()


def test_privacy_register_is_shown_to_everyone(client, login, world):
    login(world.user(Role.PATIENT))
    body = client.get(reverse("privacy")).content.decode()
    assert "Coordination des soins" in body and "20 ans" in body
    assert reverse("privacy") in client.get(reverse("portal:home")).content.decode()


def test_retention_dry_run_then_anonymisation(world, capsys):
    from datetime import date

    from django.core.management import call_command

    from engagement.models import Message
    from engagement.services import message_send
    from pathways.models import Enrollment
    from patients.models import Patient

    message_send(patient=world.patient, author=world.user(Role.PATIENT), from_patient=True,
                 body="Bonjour")
    with tenant_context(world.tenant):
        Enrollment.objects.filter(patient=world.patient).update(phase="exited",
                                                               exited_on=date(2004, 5, 1))
    call_command("purge_expired", "--tenant", world.tenant.slug)
    assert "1 record(s)" in capsys.readouterr().out
    with tenant_context(world.tenant):
        assert Patient.objects.get(pk=world.patient.pk).birth_name == world.patient.birth_name
    call_command("purge_expired", "--tenant", world.tenant.slug, "--apply")
    with tenant_context(world.tenant):
        p = Patient.objects.get(pk=world.patient.pk)
        assert (p.birth_name, p.ins, p.email, p.birth_date) == ("ANONYME", "", "",
                                                               date(1950, 1, 1))
        assert not Patient.history.filter(id=p.pk, birth_name=world.patient.birth_name).exists()
        assert not Message.objects.filter(patient=p).exists()
    world.user(Role.PATIENT).refresh_from_db()
    assert not world.user(Role.PATIENT).is_active
    call_command("purge_expired", "--tenant", world.tenant.slug)
    assert "0 record(s)" in capsys.readouterr().out


def test_programme_dashboard_figures_and_csv(client, login, world):
    from telemonitoring.services import evaluate_readings, reading_record

    follow_up_patient(world, "DEUXIEME")
    readings = reading_record(enrollment=world.enrollment, indicator_code="spo2", value="86",
                              measured_at=timezone.now(), entered_by=None, source="portal")
    evaluate_readings(tenant_id=world.tenant.pk, reading_ids=[r.pk for r in readings])
    login(world.user(Role.PROGRAMME_MANAGER))
    url = reverse("evaluation:dashboard")
    page = client.get(url)
    assert page.status_code == 200
    tables = {t.key: t for t in page.context["tables"]}
    month = f"{timezone.localdate():%Y-%m}"
    assert dict((r[0], r[1]) for r in tables["inclusions"].rows)[month] == 2
    active = dict(tables["active"].rows)
    assert list(active.values())[:2] == [2, 2]
    telefollowup = [r[1] for r in tables["telefollowup"].rows]
    assert telefollowup[1] == 1  # one alert
    csv_response = client.get(url, {"csv": "inclusions"})
    rows = list(csv.reader(io.StringIO(csv_response.content.decode())))
    assert rows[0] and [month, "2"] in rows
    bad = client.get(url, {"start": "2025-06-01", "end": "2025-01-01"})
    assert bad.status_code == 400
    assert world.patient.birth_name not in page.content.decode()  # aggregates only
