"""History of changes (who or which job) and the access log of patient reads."""

from __future__ import annotations

from django.urls import reverse

from constel.audit import acting
from constel.models import AccessLog
from constel.roles import Role
from constel.tasks import tenant_task
from constel.tenancy import tenant_context
from patients.models import Patient


def test_reading_a_patient_record_is_logged(client, login, world):
    nurse = world.user(Role.NURSE_COORDINATOR)
    login(nurse)
    client.get(reverse("patients:detail", args=[world.patient.pk]))
    with tenant_context(world.tenant):
        log = AccessLog.objects.get()
    assert log.user == nurse
    assert log.patient_id == world.patient.pk
    assert log.view == "patients:detail"


def test_a_refused_read_is_not_logged_as_a_read(client, login, world):
    login(world.unrelated_gp.user)
    # another GP's patient, and in any case no back-office page for a GP (DESIGN §3)
    assert client.get(reverse("patients:detail", args=[world.patient.pk])).status_code in (
        403, 404)
    with tenant_context(world.tenant):
        assert not AccessLog.objects.exists()


def test_privacy_officer_searches_the_access_log(client, login, world):
    login(world.user(Role.SECRETARY))
    client.get(reverse("patients:detail", args=[world.patient.pk]))
    client.get(reverse("patients:detail", args=[world.other_gp_patient.pk]))
    login(world.user(Role.PRIVACY_OFFICER))
    page = client.get(reverse("access_log"), {"patient": world.patient.birth_name[:4]})
    body = page.content.decode()
    assert page.status_code == 200
    assert world.user(Role.SECRETARY).email in body
    assert body.count("patients:detail") == 2  # DUPONT and DUPONT-AUTRE both match "DUPO"
    page = client.get(reverse("access_log"), {"patient": world.other_gp_patient.birth_name})
    assert page.content.decode().count("patients:detail") == 1


def test_access_log_bad_date_is_a_field_message(client, login, world):
    login(world.user(Role.PRIVACY_OFFICER))
    page = client.get(reverse("access_log"), {"since": "31/02/2025"})
    assert page.status_code == 200
    assert 'aria-invalid="true"' in page.content.decode()


def test_history_records_the_user_of_a_change(world):
    nurse = world.user(Role.NURSE_COORDINATOR)
    with tenant_context(world.tenant), acting(user_id=nurse.pk):
        patient = Patient.objects.get(pk=world.patient.pk)
        patient.phone = "05 61 00 00 00"
        patient.save()
        last = patient.history.order_by("-history_date").first()
    assert last.history_user_id == nurse.pk
    assert last.phone == "05 61 00 00 00"


@tenant_task(name="tests.rename_patient")
def rename_patient(tenant_id: str, patient_id: str, name: str) -> None:
    patient = Patient.objects.get(pk=patient_id)
    patient.used_name = name
    patient.save()


def test_history_records_the_task_and_who_started_it(world):
    nurse = world.user(Role.NURSE_COORDINATOR)
    rename_patient.apply(args=[str(world.tenant.pk), str(world.patient.pk), "MARTIN"],
                         kwargs={"actor_id": nurse.pk})
    with tenant_context(world.tenant):
        last = Patient.objects.get(pk=world.patient.pk).history.order_by("-history_date").first()
    assert last.used_name == "MARTIN"
    assert last.history_job == "tests.rename_patient"
    assert last.history_user_id == nurse.pk
