"""Tenant isolation: the ORM barrier everywhere, row-level security on PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from constel.models import AccessLog, Membership
from constel.roles import Role
from constel.tasks import tenant_task
from constel.tenancy import (
    TenantOwned,
    current_tenant_id,
    current_user_id,
    tenant_context,
    tenant_owned_models,
)
from patients.models import Patient

pg = pytest.mark.postgres


def _raw(sql: str, params=None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchall()


def test_orm_returns_nothing_without_a_tenant(world):
    assert current_tenant_id() is None
    assert Patient.objects.count() == 0


def test_orm_returns_only_the_current_tenants_rows(world, other_world):
    with tenant_context(world.tenant):
        names = set(Patient.objects.values_list("birth_name", flat=True))
    assert world.patient.birth_name in names
    assert other_world.patient.birth_name not in names


def test_writing_a_row_into_another_tenant_is_refused(world, other_world):
    with tenant_context(world.tenant), pytest.raises(ValueError):
        Patient.objects.filter  # noqa: B018
        p = other_world.patient
        p.used_name = "X"
        p.save()


def test_every_tenant_owned_model_has_a_leading_tenant_in_its_unique_constraints():
    for model in tenant_owned_models():
        field_names = {f.name for f in model._meta.get_fields()}
        assert "tenant" in field_names, f"{model.__name__} lacks the tenant column"
        for constraint in getattr(model._meta, "constraints", []):
            fields = getattr(constraint, "fields", None)
            if fields:
                assert fields[0] == "tenant", f"{model.__name__}.{constraint.name}"


@pg
def test_application_role_cannot_bypass_rls(db):
    (row,) = _raw(
        "SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
    )
    user, is_super, bypass = row
    assert user == "constel_app"
    assert not is_super and not bypass
    owners = {r[0] for r in _raw("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname='public'")}
    assert "constel_app" not in owners


@pg
def test_meta_every_tenant_owned_table_has_forced_rls_and_a_policy(db):
    tables = {m._meta.db_table for m in tenant_owned_models()}
    assert {"patients_patient", "patients_historicalpatient", "constel_accesslog"} <= tables
    rows = dict(
        (name, (rls, force))
        for name, rls, force in _raw(
            "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
            "WHERE relname = ANY(%s)", [list(tables)]
        )
    )
    policies = {r[0] for r in _raw("SELECT tablename FROM pg_policies WHERE policyname='tenant_isolation'")}
    for table in tables:
        assert rows[table] == (True, True), f"{table}: RLS not enabled and forced"
        assert table in policies, f"{table}: no tenant_isolation policy"


@pg
def test_raw_sql_sees_nothing_of_another_tenant(world, other_world):
    with tenant_context(world.tenant):
        rows = _raw("SELECT birth_name FROM patients_patient WHERE tenant_id = %s",
                    [other_world.tenant.pk])
        assert rows == []
        everything = {r[0] for r in _raw("SELECT birth_name FROM patients_patient")}
        assert world.patient.birth_name in everything
        assert other_world.patient.birth_name not in everything
        history = _raw("SELECT count(*) FROM patients_historicalpatient WHERE tenant_id = %s",
                       [other_world.tenant.pk])
        assert history == [(0,)]


@pg
def test_raw_sql_without_tenant_sees_no_row_at_all(world, other_world):
    for model in tenant_owned_models():
        if model is Membership:
            continue
        assert _raw(f'SELECT count(*) FROM "{model._meta.db_table}"') == [(0,)], model


@pg
def test_join_through_a_foreign_key_does_not_cross_tenants(world, other_world):
    with tenant_context(world.tenant):
        rows = _raw(
            "SELECT p.birth_name FROM patients_careassignment a "
            "JOIN patients_patient p ON p.id = a.patient_id"
        )
        assert {r[0] for r in rows} == {world.patient.birth_name}


@pg
def test_raw_insert_into_another_tenant_is_refused(world, other_world):
    with tenant_context(world.tenant), pytest.raises(DatabaseError), transaction.atomic():
        _raw(
            "INSERT INTO constel_accesslog (id, tenant_id, patient_id, view, path, at) "
            "VALUES (gen_random_uuid(), %s, gen_random_uuid(), 'x', '/x', now())",
            [other_world.tenant.pk],
        )


@pg
def test_access_log_is_append_only_for_the_application(world):
    with tenant_context(world.tenant):
        AccessLog.objects.create(tenant=world.tenant, patient_id=world.patient.pk, view="v", path="/")
        with pytest.raises(DatabaseError), transaction.atomic():
            AccessLog.objects.update(view="changed")
        with pytest.raises(DatabaseError), transaction.atomic():
            AccessLog.objects.all().delete()


@pg
def test_memberships_of_the_user_are_visible_across_tenants_for_the_switcher(world, other_world):
    from constel import services

    gp = world.user("gp")
    services.membership_create(user=gp, tenant=other_world.tenant, role="gp")
    with tenant_context(None, user_id=gp.pk):
        assert Membership.unscoped.filter(user=gp).count() == 2
        # ...but not other users' memberships.
        assert Membership.unscoped.exclude(user=gp).count() == 0


@tenant_task(name="tests.read_patient_names")
def read_patient_names(tenant_id: str) -> list[str]:
    return sorted(r[0] for r in _raw("SELECT birth_name FROM patients_patient"))


def test_a_task_for_tenant_a_cannot_read_tenant_b(world, other_world):
    names = read_patient_names.apply(args=[str(world.tenant.pk)]).get()
    assert world.patient.birth_name in names
    assert other_world.patient.birth_name not in names
    # The context does not outlive the task.
    assert current_tenant_id() is None


def test_tenant_owned_is_abstract_base():
    assert TenantOwned._meta.abstract


@pg
def test_entering_the_tenant_in_force_costs_nothing_and_rollbacks_cannot_fool_it(
        transactional_db, world, other_world):
    from django.test.utils import CaptureQueriesContext

    def names() -> set:
        return {r[0] for r in _raw("SELECT birth_name FROM patients_patient")}

    nurse = world.user(Role.NURSE_COORDINATOR)
    with tenant_context(world.tenant, user_id=nurse.pk):  # autocommit: it holds
        with CaptureQueriesContext(connection) as queries, tenant_context(world.tenant):
            assert current_user_id() == nurse.pk  # same tenant: same user
            assert world.patient.birth_name in names()
        assert len(queries) == 1  # the SELECT only: no set_config
        # Another tenant entered inside a transaction that rolls back: the way back to
        # this tenant was set inside it too, so it is not trusted and is set again.
        with pytest.raises(RuntimeError), transaction.atomic():
            with tenant_context(other_world.tenant):
                assert current_user_id() is None  # another tenant: no user carried over
                assert other_world.patient.birth_name in names()
            raise RuntimeError
        with CaptureQueriesContext(connection) as queries, tenant_context(world.tenant):
            seen = names()
        assert world.patient.birth_name in seen and other_world.patient.birth_name not in seen
        assert len(queries) == 2  # set again, the SELECT (leaving: the same state)
    # A tenant whose exit was written inside a rolled-back transaction: the session went
    # back to what it held before (nothing), and nothing is visible.
    with pytest.raises(RuntimeError), transaction.atomic(), tenant_context(world.tenant):
        raise RuntimeError
    with tenant_context(None):
        assert names() == set()


def _session_holds() -> str:
    """What the PostgreSQL session holds, read past the guard (the driver's connection)."""
    return connection.connection.execute(
        "SELECT current_setting('app.tenant_id', true)").fetchone()[0] or ""


@pg
def test_leaving_a_context_costs_no_statement_and_the_next_statement_runs_in_the_current_one(
        transactional_db, world, other_world):
    from django.test.utils import CaptureQueriesContext

    def names() -> set:
        return {r[0] for r in _raw("SELECT birth_name FROM patients_patient")}

    with CaptureQueriesContext(connection) as queries, tenant_context(world.tenant):
        assert world.patient.birth_name in names()
    assert len(queries) == 2  # set, SELECT; leaving wrote nothing
    assert _session_holds() == str(world.tenant.pk)  # the session still holds it...
    with CaptureQueriesContext(connection) as queries:
        assert names() == set()  # ...but the next statement runs with no tenant
    assert len(queries) == 2
    assert _session_holds() == ""
    # Left holding one tenant, a context of another sees only the other's rows.
    with tenant_context(world.tenant):
        names()
    with tenant_context(other_world.tenant):
        seen = names()
    assert other_world.patient.birth_name in seen and world.patient.birth_name not in seen


@pg
def test_a_rollback_cannot_bring_back_the_state_of_a_context_left(transactional_db, world):
    def names() -> set:
        return {r[0] for r in _raw("SELECT birth_name FROM patients_patient")}

    with tenant_context(world.tenant):
        assert world.patient.birth_name in names()
    assert _session_holds() == str(world.tenant.pk)
    # The first statement of a transaction puts "no tenant" first, inside the transaction;
    # the rollback undoes that and the session holds the tenant again...
    with pytest.raises(RuntimeError), transaction.atomic():
        assert names() == set()
        raise RuntimeError
    assert _session_holds() == str(world.tenant.pk)
    # ...which the next transaction's first statement does not trust.
    with transaction.atomic():
        assert names() == set()
        assert names() == set()
    assert names() == set()
    with transaction.atomic(), tenant_context(world.tenant):
        assert world.patient.birth_name in names()
    assert names() == set()


@pg
def test_savepoints_rolled_back_cannot_bring_back_a_context_left(transactional_db, world,
                                                                 other_world):
    """SAVEPOINT, RELEASE and ROLLBACK TO go through the guard too: a savepoint always
    starts in the current context's state, so rolling back to it restores that state."""
    def names() -> set:
        return {r[0] for r in _raw("SELECT birth_name FROM patients_patient")}

    with transaction.atomic():
        with tenant_context(world.tenant):
            assert world.patient.birth_name in names()
        # left without a round trip: the session holds the tenant, the context none
        with pytest.raises(RuntimeError), transaction.atomic():
            assert names() == set()
            raise RuntimeError
        assert names() == set()
        with tenant_context(other_world.tenant):
            with pytest.raises(DatabaseError), transaction.atomic():
                with tenant_context(world.tenant):
                    assert world.patient.birth_name in names()
                _raw("SELECT 1 / 0")  # a failed statement: ROLLBACK TO SAVEPOINT follows
            seen = names()
            assert other_world.patient.birth_name in seen
            assert world.patient.birth_name not in seen
            with pytest.raises(RuntimeError), transaction.atomic():
                with tenant_context(world.tenant):
                    names()
                raise RuntimeError
            assert world.patient.birth_name not in names()
        assert names() == set()
    assert names() == set()


def test_a_rollback_to_a_savepoint_does_not_leave_a_believed_tenant_state(world):
    """A savepoint rolled back undoes the tenant setting made after it while the transaction
    stays open: the next query in that tenant's context must set it again, not trust it
    (else row-level security hides the tenant's own rows — or shows another's)."""
    from django.db import transaction

    from patients.models import Patient

    with transaction.atomic():
        sid = transaction.savepoint()
        with tenant_context(world.tenant):
            assert Patient.objects.filter(pk=world.patient.pk).exists()
            transaction.savepoint_rollback(sid)
            assert Patient.objects.filter(pk=world.patient.pk).exists()
