"""Patient pages and API as users meet them: messages on bad input, nothing half-saved,
constant query counts."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import call_command
from django.urls import reverse

from constel.roles import Role
from constel.tenancy import tenant_context
from patients.models import Patient
from patients.services import patient_create

VALID = {"birth_name": "Nouveau", "first_names": "Lea", "sex": "F", "birth_date": "1953-07-14",
         "identity_status": "provisional"}


def _count(tenant) -> int:
    with tenant_context(tenant):
        return Patient.objects.count()


def test_nurse_creates_a_patient(client, login, world):
    login(world.user(Role.NURSE_COORDINATOR))
    before = _count(world.tenant)
    response = client.post(reverse("patients:create"), VALID)
    assert response.status_code == 302
    assert _count(world.tenant) == before + 1


@pytest.mark.parametrize(("field", "value", "message"), [
    ("ins", "253072B07300471", "key is wrong"),
    ("birth_date", "2090-01-01", "future"),
    ("birth_date", "1890-01-01", "120 years"),
    ("ins", "12345", "15 characters"),
    ("birth_date", "2012-01-01", "under 18"),
])
def test_bad_identity_gets_a_field_message_and_nothing_is_saved(client, login, world, field,
                                                                value, message):
    login(world.user(Role.SECRETARY))
    before = _count(world.tenant)
    client.cookies["django_language"] = "en"
    response = client.post(reverse("patients:create"), {**VALID, field: value},
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()
    assert _count(world.tenant) == before


def test_api_create_patient_and_field_errors(client, login, world):
    login(world.user(Role.NURSE_COORDINATOR))
    ok = client.post("/api/v1/patients/", {**VALID, "ins": "253072B07300470"},
                     content_type="application/json")
    assert ok.status_code == 201, ok.content
    assert ok.json()["ins"] is None  # not qualified: not shown as such
    dup = client.post("/api/v1/patients/", {**VALID, "ins": "253072B07300470"},
                      content_type="application/json")
    assert dup.status_code == 400
    assert "ins" in dup.json()
    bad = client.post("/api/v1/patients/", {**VALID, "birth_date": "31/02/1950"},
                      content_type="application/json")
    assert bad.status_code == 400 and "birth_date" in bad.json()


def test_api_patch_validates_like_the_form(client, login, world):
    login(world.user(Role.NURSE_COORDINATOR))
    url = f"/api/v1/patients/{world.patient.pk}/"
    assert client.patch(url, {"birth_date": "2099-01-01"},
                        content_type="application/json").status_code == 400
    response = client.patch(url, {"phone": "05 61 00 00 00"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["phone"] == "05 61 00 00 00"


def test_api_role_without_edit_right_cannot_create(client, login, world):
    login(world.user(Role.SPECIALIST))
    response = client.post("/api/v1/patients/", VALID, content_type="application/json")
    assert response.status_code == 403


def _queries(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", ["/patients/", "/api/v1/patients/", "/api/v1/enrollments/",
                                 "/api/v1/professionals/", "/pathway/referrals/",
                                 "/patients/professionals/"])
def test_list_queries_do_not_grow_with_rows(client, login, world, url,
                                            django_assert_max_num_queries):
    login(world.user(Role.NURSE_COORDINATOR))
    client.get(url)  # warm the session
    few = _queries(client, url)
    for i in range(30):
        patient_create(tenant=world.tenant, birth_name=f"LOT{i:02d}", first_names="X", sex="M",
                       birth_date=date(1950, 1, 1), gp=world.professionals[Role.GP])
    assert _queries(client, url) == few
    with django_assert_max_num_queries(25):  # session, user, tenant settings, header counts
        client.get(url)


def test_patient_list_filters(client, login, world):
    login(world.user(Role.NURSE_COORDINATOR))
    body = client.get(reverse("patients:list"), {"phase": "entry"}).content.decode()
    assert world.referral.patient.birth_name in body
    assert world.patient.birth_name + "</a>" not in body
    body = client.get(reverse("patients:list"), {"q": "12/04/1950"}).content.decode()
    assert world.patient.display_name in body
    assert client.get(reverse("patients:list"), {"site": "nonsense"}).status_code == 200


def test_create_api_token_command_and_token_use(client, world, capsys):
    user = world.user(Role.NURSE_COORDINATOR)
    call_command("create_api_token", user.email, "--tenant", world.tenant.slug)
    key = capsys.readouterr().out.strip()
    assert key.startswith("cst_")
    response = client.get("/api/v1/patients/", HTTP_AUTHORIZATION=f"Bearer {key}",
                          HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    names = {p["birth_name"] for p in response.json()["results"]}
    assert world.patient.birth_name in names


def test_token_of_one_tenant_never_reads_another(client, world, other_world, capsys):
    call_command("create_api_token", world.user(Role.NURSE_COORDINATOR).email,
                 "--tenant", world.tenant.slug)
    key = capsys.readouterr().out.strip()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    assert client.get(f"/api/v1/patients/{other_world.patient.pk}/", **auth).status_code == 404
    names = {p["birth_name"] for p in client.get("/api/v1/patients/", **auth).json()["results"]}
    assert other_world.patient.birth_name not in names
    assert client.get("/api/v1/patients/", HTTP_AUTHORIZATION="Bearer cst_forged").status_code == 401


def test_gp_refers_through_the_gp_space_and_secretary_sees_it(client, login, world):
    login(world.user(Role.GP))
    response = client.post(reverse("gp:refer"), {
        "id-birth_name": "ADRESSEE", "id-first_names": "Irene", "id-sex": "F",
        "id-birth_date": "1949-09-09", "q-pathologies": ["copd", "nash"],
        "q-medico_social": ["poor_access"],
    })
    assert response.status_code == 302, response.context and response.context["identity"].errors
    login(world.user(Role.SECRETARY))
    inbox = client.get(reverse("pathways:referrals")).content.decode()
    assert "ADRESSEE" in inbox


def test_expired_invitation_page_explains_how_to_get_a_new_link(client, world):
    from datetime import timedelta

    from django.utils import timezone

    from patients.models import PortalInvitation
    from patients.services import invitation_send, token_hash

    patient = patient_create(tenant=world.tenant, birth_name="EXPIRE", first_names="A", sex="F",
                             birth_date=date(1950, 1, 1), email="expire@example.test")
    invitation_send(patient=patient)
    with tenant_context(world.tenant):
        inv = PortalInvitation.objects.get(patient=patient)
        inv.token_hash = token_hash("known-token")
        inv.expires_at = timezone.now() - timedelta(minutes=1)
        inv.save()
    response = client.get(reverse("invitation_accept", args=[world.tenant.slug, "known-token"]),
                          HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 410
    assert "expired" in response.content.decode()
