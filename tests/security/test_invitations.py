"""Accounts and invitations (DESIGN §3, issue #19 finding 1): an invitation link never opens
an existing account; a professional's account never becomes a patient's or a carer's; the
password typed on the invitation page is the one that is set; an API token acts in the one
role it was made for."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from constel import services
from constel.models import Membership
from constel.roles import Role
from constel.tenancy import tenant_context
from patients.models import CarerAccess, PortalInvitation
from tests.factories import PASSWORD, user_factory

pytestmark = pytest.mark.django_db


def _invite(client, login, world, capture, *, email, carer_name="Sophie Martin"):
    login(world.user(Role.SECRETARY))
    with capture(execute=True):
        response = client.post(reverse("patients:invite", args=[world.patient.pk]),
                               {"carer_name": carer_name, "email": email})
    client.logout()
    return response


def _token(email):
    for message in reversed(mail.outbox):
        if message.to == [email]:
            return re.search(r"/portal/invitation/[^/]+/([^/\s]+)/", message.body).group(1)
    raise AssertionError(f"no invitation mailed to {email}")


def _pending(world):
    with tenant_context(world.tenant):
        return list(PortalInvitation.objects.filter(accepted_at=None, revoked_at=None))


def _url(world, token):
    return reverse("invitation_accept", args=[world.tenant.slug, token])


@pytest.mark.parametrize("role", [Role.PHYSICIAN_COORDINATOR, Role.NURSE_COORDINATOR,
                                  Role.FINANCE, Role.GP])
def test_a_professionals_address_is_refused_at_invitation(
        client, login, world, django_capture_on_commit_callbacks, role):
    staff = world.user(role)
    _invite(client, login, world, django_capture_on_commit_callbacks,
            email="sophie@example.test")
    before = _pending(world)
    _invite(client, login, world, django_capture_on_commit_callbacks, email=staff.email.upper())
    assert _pending(world) == before  # nothing sent, the earlier link still works
    assert not [m for m in mail.outbox if m.to == [staff.email]]


def test_a_professionals_address_in_another_programme_is_refused_too(
        client, login, world, other_world, django_capture_on_commit_callbacks):
    medco_elsewhere = other_world.user(Role.PHYSICIAN_COORDINATOR)
    _invite(client, login, world, django_capture_on_commit_callbacks,
            email=medco_elsewhere.email)
    assert not _pending(world)


def test_an_account_that_became_a_professionals_after_the_invitation_is_refused(
        client, login, world, other_world, django_capture_on_commit_callbacks):
    person = user_factory("later-staff")
    _invite(client, login, world, django_capture_on_commit_callbacks, email=person.email)
    token = _token(person.email)
    services.membership_create(user=person, tenant=other_world.tenant,
                               role=Role.PHYSICIAN_COORDINATOR)
    medco_elsewhere = person
    # The link does not sign anyone in, whatever is posted on it.
    response = client.post(_url(world, token), {"password1": "x-nimporte-quoi-12",
                                                "password2": "x-nimporte-quoi-12"})
    assert "_auth_user_id" not in client.session
    assert response.status_code == 200
    # The owner, signed in normally, is still refused: a professional's account.
    login(medco_elsewhere)
    response = client.post(_url(world, token))
    assert response.status_code == 400
    with tenant_context(world.tenant):
        assert not Membership.objects.filter(user=medco_elsewhere).exists()
        assert not CarerAccess.objects.filter(user=medco_elsewhere).exists()


def test_an_invitation_to_an_existing_account_never_signs_in_without_its_password(
        client, login, world, other_world, django_capture_on_commit_callbacks):
    # A patient of another programme, who is also this patient's daughter.
    daughter = other_world.user(Role.PATIENT)
    _invite(client, login, world, django_capture_on_commit_callbacks, email=daughter.email)
    token = _token(daughter.email)
    page = client.get(_url(world, token))
    assert page.status_code == 200
    assert b'type="password"' not in page.content  # no password asked: a sign-in link
    assert reverse("account_login").encode() in page.content
    response = client.post(_url(world, token), {"password1": "attacker-chose-this-1",
                                                "password2": "attacker-chose-this-1"})
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("portal:home")).status_code == 302  # to the login
    daughter.refresh_from_db()
    assert daughter.check_password(PASSWORD)  # the account's password is unchanged
    with tenant_context(world.tenant):
        assert not CarerAccess.objects.filter(user=daughter).exists()
    assert response.status_code == 200


def test_signed_in_as_someone_else_the_invitation_is_not_attached(
        client, login, world, other_world, django_capture_on_commit_callbacks):
    daughter = other_world.user(Role.PATIENT)
    _invite(client, login, world, django_capture_on_commit_callbacks, email=daughter.email)
    token = _token(daughter.email)
    intruder = user_factory("intruder")
    services.membership_create(user=intruder, tenant=other_world.tenant, role=Role.PATIENT)
    login(intruder)
    assert client.post(_url(world, token)).status_code == 403
    with tenant_context(world.tenant):
        assert not CarerAccess.objects.exists()
        assert len(_pending(world)) == 1


def test_the_owner_signed_in_attaches_the_invitation_and_acts_as_carer(
        client, login, world, other_world, django_capture_on_commit_callbacks):
    daughter = other_world.user(Role.PATIENT)
    _invite(client, login, world, django_capture_on_commit_callbacks, email=daughter.email)
    token = _token(daughter.email)
    login(daughter)  # as allauth does after password (and second factor)
    response = client.post(_url(world, token))
    assert response.status_code == 302
    with tenant_context(world.tenant):
        access = CarerAccess.objects.get(user=daughter)
        assert access.patient_id == world.patient.pk
        assert Membership.objects.get(user=daughter).role == Role.PATIENT
    # The same link a second time (a double click) is no longer valid.
    assert client.post(_url(world, token)).status_code == 410


def test_a_new_account_gets_the_password_typed_on_the_invitation_page(
        client, login, world, django_capture_on_commit_callbacks):
    from constel.models import User

    _invite(client, login, world, django_capture_on_commit_callbacks,
            email="nouvelle.aidante@example.test")
    token = _token("nouvelle.aidante@example.test")
    response = client.post(_url(world, token), {"password1": "un-mot-de-passe-solide-51",
                                                "password2": "un-mot-de-passe-solide-51"})
    assert response.status_code == 302
    user = User.objects.get(email="nouvelle.aidante@example.test")
    assert user.check_password("un-mot-de-passe-solide-51")


@pytest.mark.parametrize("email", [
    "sophie@example.test\r\nBcc: all@example.test", "sophie\x00@example.test",
    "not-an-email", "a@b.fr, c@d.fr", "x" * 250 + "@example.test",
])
def test_a_bad_address_is_refused_before_the_old_link_is_revoked(
        client, login, world, django_capture_on_commit_callbacks, email):
    _invite(client, login, world, django_capture_on_commit_callbacks,
            email="sophie@example.test")
    before = _pending(world)
    sent = len(mail.outbox)
    response = _invite(client, login, world, django_capture_on_commit_callbacks, email=email)
    assert response.status_code in (302, 400)  # a message on the page, or the NUL refused
    assert _pending(world) == before and len(before) == 1
    assert len(mail.outbox) == sent


def test_a_token_acts_in_its_own_role_after_the_user_gains_another(client, world, capsys):
    from django.core.management import call_command

    # "patient" sorts before "physician_coordinator": the old login picked it.
    nurse = world.user(Role.PHYSICIAN_COORDINATOR)
    call_command("create_api_token", nurse.email, "--tenant", world.tenant.slug)
    key = capsys.readouterr().out.strip()
    # The same person is later given a patient membership in the same programme.
    services.membership_create(user=nurse, tenant=world.tenant, role=Role.PATIENT)
    response = client.get("/api/v1/alerts/", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200  # still the physician's view of the alerts
    response = client.get("/api/v1/patients/", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200
    assert len(response.json()["results"]) >= 2  # the tenant's patients, not one record
