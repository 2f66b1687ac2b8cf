"""Five wrong passwords lock that account, not everyone behind the same proxy (issue #19
finding 5); the client's address is the one the trusted proxy saw."""

from __future__ import annotations

import os

import pytest
from django.test import Client
from django.urls import reverse

from constel.roles import Role
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

PROXY = {"REMOTE_ADDR": "10.0.0.1"}  # every request arrives from the TLS proxy


def _login(client, email, password, client_ip="203.0.113.7"):
    return client.post(reverse("account_login"), {"login": email, "password": password},
                       HTTP_X_FORWARDED_FOR=client_ip, **PROXY)


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.CONSTEL_REQUIRE_STAFF_MFA = False


@pytest.fixture
def redis_cache(settings):
    """allauth's rate limits live in the cache: the real one, as in production."""
    if not os.environ.get("REDIS_URL"):
        pytest.skip("no Redis")  # CI sets REDIS_URL (tools/with_services.py): never skipped
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": os.environ["REDIS_URL"]}}
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.mark.redis
def test_failures_on_one_account_do_not_lock_another_behind_the_same_proxy(
        world, behind_proxy, redis_cache):
    attacker, nurse = Client(), Client()
    victim = world.user(Role.SECRETARY).email
    for _ in range(6):  # from the same clinic (same NAT address, same browser)
        _login(attacker, victim, "wrong-password")
    # The account under attack is locked, even with its right password …
    _login(attacker, victim, PASSWORD)
    assert "_auth_user_id" not in attacker.session
    # … but a colleague at the same address signs in.
    response = _login(nurse, world.user(Role.NURSE_COORDINATOR).email, PASSWORD)
    assert response.status_code == 302
    assert "_auth_user_id" in nurse.session


def test_the_address_is_the_one_the_trusted_proxy_saw(world, behind_proxy):
    from constel.middleware import ClientAddressMiddleware

    seen = {}

    def view(request):
        seen["ip"] = request.META["REMOTE_ADDR"]
        from django.http import HttpResponse

        return HttpResponse()

    from django.test import RequestFactory

    middleware = ClientAddressMiddleware(view)
    rf = RequestFactory()
    # a client that writes its own X-Forwarded-For: the proxy appends the real address
    middleware(rf.get("/", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.9", **PROXY))
    assert seen["ip"] == "198.51.100.9"
    middleware(rf.get("/", **PROXY))  # not through the proxy: the connection's own
    assert seen["ip"] == "10.0.0.1"
    middleware(rf.get("/", HTTP_X_FORWARDED_FOR="not-an-address", **PROXY))
    assert seen["ip"] == "10.0.0.1"
