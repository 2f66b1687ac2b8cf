"""Fixtures: two tenants ("tenant" and "other_tenant") with one member of every role.

On PostgreSQL the test database is created and migrated by the owner role; the tests then
run as DATABASE_APP_ROLE, which owns nothing and cannot bypass row-level security.
"""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.db import connections

from constel.tenancy import tenant_context
from tests.factories import World, tenant_factory, world_factory

MISSING = set(filter(None, os.environ.get("CONSTEL_TEST_SERVICES_MISSING", "").split(",")))


def pytest_collection_modifyitems(config, items):
    for item in items:
        for service in ("postgres", "redis"):
            if service in item.keywords and service in MISSING:
                item.add_marker(pytest.mark.skip(reason=f"{service} not available (not CI)"))


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    conn = connections["default"]
    owner = conn.settings_dict["USER"]
    app_role = settings.DATABASE_APP_ROLE
    with django_db_blocker.unblock():
        with conn.cursor() as cursor:
            # Only the tests need TRUNCATE (TransactionTestCase flushes tables).
            cursor.execute(f'GRANT TRUNCATE ON ALL TABLES IN SCHEMA public TO "{app_role}"')
        conn.close()
        conn.settings_dict["USER"] = app_role
        conn.settings_dict["PASSWORD"] = getattr(settings, "DATABASE_APP_PASSWORD", "")
    yield
    with django_db_blocker.unblock():
        conn.close()
        conn.settings_dict["USER"] = owner


@pytest.fixture
def tenant(db):
    return tenant_factory("clinavenir", "Constel'Action — Clinavenir")


@pytest.fixture
def other_tenant(db):
    return tenant_factory("lear", "Programme Lear")


@pytest.fixture
def world(tenant) -> World:
    return world_factory(tenant)


@pytest.fixture
def other_world(other_tenant) -> World:
    return world_factory(other_tenant, patient_name="LEAR")


@pytest.fixture(scope="module")
def module_worlds(django_db_setup, django_db_blocker):
    """(world, other_world) built once for a module whose tests only read them or change
    them inside their own transaction (the access matrix: ~2,000 requests on one world).

    Setup data the way Django's setUpTestData keeps it: inside an outer transaction rolled
    back when the module ends; each test runs in a savepoint of it, rolled back after the
    test, so a test still sees the world as built. Use through module-level fixtures named
    ``world`` / ``other_world`` that also ask for ``db``."""
    from django.db import transaction

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer._from_testcase = True  # as TestCase's own: durable blocks inside are allowed
        outer.__enter__()
        try:
            built = (world_factory(tenant_factory("clinavenir", "Constel'Action — Clinavenir")),
                     world_factory(tenant_factory("lear", "Programme Lear"),
                                   patient_name="LEAR"))
            yield built
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def in_tenant():
    """``with in_tenant(t): ...`` — read as that tenant would."""
    return tenant_context


@pytest.fixture
def login(client, settings):
    """Log a user in (second factor not required unless a test asks for it)."""
    settings.CONSTEL_REQUIRE_STAFF_MFA = False

    def _login(user):
        client.logout()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return _login


@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate-limit counters live in the cache: each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _english_messages():
    """Service messages are asserted in English (pages get French through the middleware)."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Uploads (educational videos) go to a temporary folder, not the checkout's var/."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
