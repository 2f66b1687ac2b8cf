"""Login by e-mail, lockout, the second factor for staff, password reset, sessions."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse
from django.utils.html import escape

from constel.roles import Role
from tests.factories import PASSWORD


def _login_post(client, email, password):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_login_by_email_lands_on_the_role_home(client, world, settings):
    settings.CONSTEL_REQUIRE_STAFF_MFA = False
    response = _login_post(client, world.user(Role.NURSE_COORDINATOR).email, PASSWORD)
    assert response.status_code == 302
    home = client.get(reverse("home"), follow=True)  # the nurse lands on the worklist
    assert home.status_code == 200
    assert home.redirect_chain[-1][0] == reverse("pathways:worklist")
    assert escape(world.tenant.name) in home.content.decode()


@pytest.mark.redis
def test_repeated_failures_lock_the_account_even_with_the_right_password(client, world, settings):
    import os

    if not os.environ.get("REDIS_URL"):
        pytest.skip("no Redis")
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": os.environ["REDIS_URL"]}}
    email = world.user(Role.SECRETARY).email
    for _ in range(5):
        response = _login_post(client, email, "wrong-password")
        assert response.status_code in (200, 429, 403)
    response = _login_post(client, email, PASSWORD)
    assert "_auth_user_id" not in client.session
    body = response.content.decode()
    assert response.status_code == 429 or "Too many" in body or "Trop de" in body, body[-2000:]


def test_admin_login_is_locked_too(client, world):
    email = world.user(Role.FINANCE).email
    for _ in range(5):
        client.post("/admin/login/", {"username": email, "password": "nope"})
    response = client.post("/admin/login/", {"username": email, "password": PASSWORD})
    assert response.status_code == 429  # axes' lockout answer
    assert "_auth_user_id" not in client.session


def test_staff_without_second_factor_is_sent_to_enrol(client, world, settings):
    settings.CONSTEL_REQUIRE_STAFF_MFA = True
    client.force_login(world.user(Role.NURSE_COORDINATOR),
                       backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(reverse("patients:list"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    # The enrolment page itself is reachable (allauth first asks to confirm the password).
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))


def test_staff_with_totp_goes_through(client, world, settings):
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    settings.CONSTEL_REQUIRE_STAFF_MFA = True
    user = world.user(Role.NURSE_COORDINATOR)
    TOTP.activate(user, generate_totp_secret())
    assert Authenticator.objects.filter(user=user).exists()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get(reverse("patients:list")).status_code == 200


def test_patient_is_not_forced_to_enrol_a_second_factor(client, world, settings):
    settings.CONSTEL_REQUIRE_STAFF_MFA = True
    client.force_login(world.user(Role.PATIENT), backend="django.contrib.auth.backends.ModelBackend")
    assert client.get(reverse("portal:home")).status_code == 200


def test_staff_session_expires_after_30_idle_minutes_patient_after_60(client, world, settings):
    settings.CONSTEL_REQUIRE_STAFF_MFA = False
    client.force_login(world.user(Role.SECRETARY), backend="django.contrib.auth.backends.ModelBackend")
    client.get(reverse("patients:list"))
    assert client.session.get_expiry_age() == 30 * 60
    client.force_login(world.user(Role.PATIENT), backend="django.contrib.auth.backends.ModelBackend")
    client.get(reverse("portal:home"))
    assert client.session.get_expiry_age() == 60 * 60


def test_password_reset_sends_an_email(client, world):
    email = world.user(Role.GP).email
    response = client.post(reverse("account_reset_password"), {"email": email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert email in mail.outbox[0].to


def test_user_sees_and_ends_their_sessions(client, world, settings):
    settings.CONSTEL_REQUIRE_STAFF_MFA = False
    user = world.user(Role.CARE_MANAGER)
    _login_post(client, user.email, PASSWORD)
    page = client.get(reverse("usersessions_list"))
    assert page.status_code == 200
    assert page.context["show_last_seen_at"]  # each session's last activity is shown
    from allauth.usersessions.models import UserSession

    assert UserSession.objects.filter(user=user).count() >= 1


def test_activity_pushes_the_idle_expiry_back_at_most_once_a_minute(client, world, settings):
    """Pages within the minute write neither the session nor its "last seen"; the first page
    after it pushes the expiry back (the session row's expiry date moves) and records it."""
    from datetime import timedelta

    from allauth.usersessions.models import UserSession
    from django.contrib.sessions.models import Session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from constel.middleware import ACTIVITY_RESOLUTION

    settings.CONSTEL_REQUIRE_STAFF_MFA = False
    user = world.user(Role.SECRETARY)
    _login_post(client, user.email, PASSWORD)
    url = reverse("patients:list")
    client.get(url)
    key = client.session.session_key
    with CaptureQueriesContext(connection) as within:
        assert client.get(url).status_code == 200
    written = [q["sql"] for q in within.captured_queries
               if q["sql"].startswith(("UPDATE", "INSERT"))]
    assert written == []
    assert client.session.get_expiry_age() == 30 * 60

    # a minute later (the last recorded activity moved back), then the idle time is counted
    # again from now
    session = client.session
    session["constel_active_at"] -= int(ACTIVITY_RESOLUTION.total_seconds()) + 1
    session.save()
    Session.objects.filter(session_key=key).update(
        expire_date=Session.objects.get(session_key=key).expire_date - timedelta(minutes=5))
    UserSession.objects.filter(session_key=key).update(
        last_seen_at=UserSession.objects.get(session_key=key).last_seen_at
        - timedelta(minutes=5))
    before = Session.objects.get(session_key=key).expire_date
    seen = UserSession.objects.get(session_key=key).last_seen_at
    assert client.get(url).status_code == 200
    assert Session.objects.get(session_key=key).expire_date > before + timedelta(minutes=4)
    assert UserSession.objects.get(session_key=key).last_seen_at > seen + timedelta(minutes=4)


def test_open_signup_is_closed(client, db):
    response = client.get(reverse("account_signup"))
    assert response.status_code == 200
    assert "closed" in response.content.decode().lower() or "fermé" in response.content.decode()


def test_tenant_switcher_changes_the_active_programme(client, world, other_world, settings):
    from constel import services

    settings.CONSTEL_REQUIRE_STAFF_MFA = False
    gp = world.user(Role.GP)
    services.membership_create(user=gp, tenant=other_world.tenant, role=Role.GP)
    client.force_login(gp, backend="django.contrib.auth.backends.ModelBackend")
    # Two memberships and none chosen: the user must choose.
    assert client.get(reverse("home"))["Location"] == reverse("tenant_choose")
    page = client.get(reverse("tenant_choose")).content.decode()
    assert escape(world.tenant.name) in page and escape(other_world.tenant.name) in page
    from constel.models import Membership
    from constel.tenancy import tenant_context

    with tenant_context(other_world.tenant):
        other_membership = Membership.objects.get(user=gp)
    client.post(reverse("tenant_choose"), {"membership": str(other_membership.pk)})
    body = client.get(reverse("gp:home")).content.decode()
    assert escape(other_world.tenant.name) in body
    assert world.patient.birth_name not in body
    # A membership that is not the user's is refused.
    response = client.post(reverse("tenant_choose"), {"membership": str(world.members["nurse_coordinator"].pk)})
    assert response.status_code == 400


OIDC = {"openid_connect": {"OAUTH_PKCE_ENABLED": True, "APPS": [{
    "provider_id": "psc", "name": "Pro Santé Connect", "client_id": "constel-test",
    "secret": "s3cret", "settings": {"server_url": "https://auth.esante.gouv.fr/realms/"
                                                   "esante-wallet/.well-known/openid-configuration"}}]}}


def test_openid_connect_button_only_when_configured(client, settings, db):
    assert "Pro Santé Connect" not in client.get("/accounts/login/").content.decode()
    settings.SOCIALACCOUNT_PROVIDERS = OIDC
    body = client.get("/accounts/login/").content.decode()
    assert "Pro Santé Connect" in body and "/accounts/oidc/psc/login/" in body


def test_openid_connect_signs_in_only_members_of_a_programme_that_enabled_it(world, rf):
    from types import SimpleNamespace

    from allauth.core.exceptions import ImmediateHttpResponse
    from django.contrib.messages.storage.fallback import FallbackStorage

    from constel.accounts import SocialAccountAdapter

    def attempt(user):
        request = rf.get("/accounts/oidc/psc/login/callback/")
        request.session = {}
        request._messages = FallbackStorage(request)
        SocialAccountAdapter(request).pre_social_login(request, SimpleNamespace(user=user))

    gp = world.user(Role.GP)
    with pytest.raises(ImmediateHttpResponse):
        attempt(gp)  # the tenant has not enabled it
    world.tenant.oidc_login = True
    world.tenant.save()
    attempt(gp)  # now accepted
    with pytest.raises(ImmediateHttpResponse):
        from constel.models import User

        attempt(User(email="inconnu@example.test"))  # no account: no sign-up
    assert SocialAccountAdapter().is_open_for_signup(None, None) is False
