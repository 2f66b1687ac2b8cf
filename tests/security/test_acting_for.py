"""A login that acts for more than one patient says for whom (DESIGN §3, issue #19 finding 2):
a patient who is also her husband's carer files her own blood pressure on her own record, his
on his, and a critical value never opens an alert on the other; each reading records who
entered it and in what capacity."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from constel.roles import Role
from constel.tenancy import tenant_context
from patients.models import CarerAccess
from telemonitoring.models import Alert, Reading
from tests.factories import follow_up_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def husband(world):
    """Another patient in follow-up, whose carer is world.patient's own login."""
    enrollment = follow_up_patient(world, "DUPONT-MARI")
    with tenant_context(world.tenant):
        CarerAccess.objects.create(tenant=world.tenant, patient=enrollment.patient,
                                   user=world.user(Role.PATIENT), name="Jeanne Dupont")
    return enrollment


@pytest.fixture
def auth(world, capsys):
    call_command("create_api_token", world.user(Role.PATIENT).email, "--tenant",
                 world.tenant.slug)
    return {"HTTP_AUTHORIZATION": f"Bearer {capsys.readouterr().out.strip()}"}


def _post(client, auth, **fields):
    body = {"indicator": "spo2", "value": "84",  # critical for both
            "measured_at": timezone.now().isoformat(), **fields}
    return client.post("/api/v1/readings/", body, content_type="application/json", **auth)


def _readings(world):
    with tenant_context(world.tenant):
        return list(Reading.objects.values_list("enrollment__patient_id", "source",
                                                "entered_by_id"))


def test_unnamed_the_reading_is_refused_naming_the_patient_field(client, world, husband, auth):
    response = _post(client, auth)
    assert response.status_code == 400 and "patient" in response.json()
    assert _readings(world) == []


def test_the_patients_own_reading_goes_on_her_record_only(client, world, husband, auth):
    response = _post(client, auth, patient=str(world.patient.pk))
    assert response.status_code == 201, response.content
    login = world.user(Role.PATIENT).pk
    assert set(_readings(world)) == {(world.patient.pk, "portal", login)}
    with tenant_context(world.tenant):
        # The critical value opened its alert on her, none on him.
        assert Alert.objects.filter(enrollment__patient=world.patient).exists()
        assert not Alert.objects.filter(enrollment=husband).exists()


def test_for_the_cared_for_patient_it_is_recorded_as_the_carers(client, world, husband, auth):
    response = _post(client, auth, patient=str(husband.patient_id))
    assert response.status_code == 201, response.content
    assert response.json()["readings"][0]["source"] == "carer"
    assert response.json()["readings"][0]["entered_by"]
    login = world.user(Role.PATIENT).pk
    assert set(_readings(world)) == {(husband.patient_id, "carer", login)}
    with tenant_context(world.tenant):
        assert not Alert.objects.filter(enrollment__patient=world.patient).exists()


def test_a_patient_not_theirs_is_refused(client, world, husband, auth):
    stranger = follow_up_patient(world, "INCONNU")
    response = _post(client, auth, patient=str(stranger.patient_id))
    assert response.status_code == 400 and "patient" in response.json()
    assert _readings(world) == []


def test_a_revoked_carer_can_no_longer_file_for_him(client, world, husband, auth):
    with tenant_context(world.tenant):
        CarerAccess.objects.filter(patient=husband.patient).update(revoked_at=timezone.now())
    assert _post(client, auth, patient=str(husband.patient_id)).status_code == 400
    # …and her own readings go to her record again without naming it.
    assert _post(client, auth).status_code == 201
    assert {p for p, _s, _u in _readings(world)} == {world.patient.pk}


def test_portal_shows_for_whom_and_files_on_the_patient_the_form_was_for(
        client, login, world, husband):
    login(world.user(Role.PATIENT))
    page = client.get(reverse("portal:readings")).content.decode()
    assert 'name="for_patient"' in page and str(world.patient.pk) in page
    assert reverse("portal:act_for") in page  # the visible switch
    # Switch to him in one tab …
    client.post(reverse("portal:act_for"), {"patient": str(husband.patient_id)})
    page = client.get(reverse("portal:readings")).content.decode()
    assert "Dupont-Mari" in page
    # … while the form of another tab, shown for her, is sent: it goes to her.
    client.post(reverse("portal:readings"), {"for_patient": str(world.patient.pk),
                                             "spo2": "96"})
    client.post(reverse("portal:readings"), {"for_patient": str(husband.patient_id),
                                             "spo2": "93"})
    login_pk = world.user(Role.PATIENT).pk
    with tenant_context(world.tenant):
        rows = set(Reading.objects.filter(indicator__code="spo2").values_list(
            "enrollment__patient_id", "value", "source", "entered_by_id"))
    assert {(p, int(v), s, u) for p, v, s, u in rows} == {
        (world.patient.pk, 96, "portal", login_pk), (husband.patient_id, 93, "carer", login_pk)}


def test_portal_refuses_a_form_for_a_patient_not_theirs(client, login, world, husband):
    stranger = follow_up_patient(world, "INCONNU")
    login(world.user(Role.PATIENT))
    response = client.post(reverse("portal:readings"), {
        "for_patient": str(stranger.patient_id), "spo2": "96"})
    assert response.status_code == 404
    assert _readings(world) == []


def test_the_nurse_sees_who_entered_the_reading_and_in_what_capacity(
        client, login, world, husband, auth):
    _post(client, auth, patient=str(husband.patient_id))
    login(world.user(Role.NURSE_COORDINATOR))
    page = client.get(reverse("pathways:enrollment", args=[husband.pk])).content.decode()
    carer = world.user(Role.PATIENT)
    assert carer.get_full_name() in page
    # Its phases were moved by no one (the system): the pages still answer.
    assert client.get(reverse("patients:detail", args=[husband.patient_id])).status_code == 200
