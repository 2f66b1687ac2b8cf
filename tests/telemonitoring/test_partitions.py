"""Readings partitioned by month on PostgreSQL (migration 0023, telemonitoring.partitions)."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from constel.roles import Role
from constel.tenancy import tenant_context
from telemonitoring.models import Indicator, Reading
from telemonitoring.partitions import detach_before, partitions_list
from telemonitoring.services import _EVALUATE_SQL, evaluate_readings, reading_record
from telemonitoring.tasks import reading_partitions

pytestmark = pytest.mark.postgres


def _raw(sql: str, params=None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchall()


def _month_name(when: datetime) -> str:
    return f"pathways_reading_y{when:%Y}m{when:%m}"


def _months_ahead(n: int) -> datetime:
    today = datetime.now(UTC)
    year, month = divmod(today.month - 1 + n, 12)
    return datetime(today.year + year, month + 1, 15, 12, tzinfo=UTC)


def _partition_of(reading_id) -> str:
    (row,) = _raw("SELECT tableoid::regclass::text FROM pathways_reading WHERE id = %s",
                  [reading_id])
    return row[0]


def test_readings_are_partitioned_by_month_with_months_ahead_and_a_default(db):
    (kind,) = _raw("SELECT relkind FROM pg_class WHERE relname = 'pathways_reading'")[0]
    assert kind == "p"
    names = {p.name for p in partitions_list() if p.attached}
    assert "pathways_reading_default" in names
    assert {_month_name(_months_ahead(n)) for n in range(4)} <= names


def test_a_reading_lands_in_its_months_partition(world):
    (systolic, diastolic) = _add_bp_reading(world)
    with tenant_context(world.tenant):
        assert _partition_of(systolic.pk) == _month_name(systolic.measured_at)
        assert Reading.objects.filter(pk__in=[systolic.pk, diastolic.pk]).count() == 2


def _add_bp_reading(world):
    from tests.telemonitoring.test_services import _add_blood_pressure

    _add_blood_pressure(world)
    return reading_record(enrollment=world.enrollment, indicator_code="blood_pressure",
                          value="150", diastolic="90", measured_at=timezone.now(),
                          entered_by=world.user(Role.PATIENT), source="portal")


def test_every_partition_has_forced_row_level_security_and_its_policy(db):
    parts = [p.name for p in partitions_list()]
    rows = dict((n, (r, f)) for n, r, f in _raw(
        "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
        "WHERE relname = ANY(%s)", [parts]))
    policies = {r[0] for r in _raw("SELECT tablename FROM pg_policies "
                                   "WHERE policyname = 'tenant_isolation'")}
    for name in parts:
        assert rows[name] == (True, True), name
        assert name in policies, name


def test_a_partition_read_directly_shows_nothing_of_another_tenant(world, other_world):
    reading = _weight(other_world, timezone.now())
    name = _month_name(reading.measured_at)
    with tenant_context(world.tenant):
        assert _raw(f'SELECT count(*) FROM "{name}"') == [(0,)]
    with tenant_context(other_world.tenant):
        assert _raw(f'SELECT count(*) FROM "{name}" WHERE id = %s', [reading.pk]) == [(1,)]


def _weight(world, when: datetime, value="70") -> Reading:
    with tenant_context(world.tenant):
        return Reading.objects.create(
            tenant_id=world.tenant.pk, enrollment=world.enrollment,
            indicator=Indicator.objects.get(code="body_weight"), value=Decimal(value),
            measured_at=when, entered_by=world.user(Role.NURSE_COORDINATOR),
            source="nurse_phone")


def test_the_daily_job_creates_months_ahead_and_moves_rows_out_of_the_default(
        world, other_world, settings):
    later = _months_ahead(7)
    reading = _weight(world, later)
    with tenant_context(world.tenant):
        assert _partition_of(reading.pk) == "pathways_reading_default"
    settings.READING_PARTITIONS_AHEAD = 8
    # the job runs in its own transaction: no deferred foreign-key check may be pending
    # on the default partition it alters (here the test's transaction holds the insert's)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    # the application role runs it (the function is the owner's, SECURITY DEFINER)
    assert reading_partitions() >= 4
    assert reading_partitions() == 0  # idempotent
    with tenant_context(world.tenant):
        assert _partition_of(reading.pk) == _month_name(later)
        assert Reading.objects.get(pk=reading.pk).value == Decimal("70")
    with tenant_context(other_world.tenant):
        assert not Reading.objects.filter(pk=reading.pk).exists()
    # the moved-into partition is as closed as the others
    with tenant_context(other_world.tenant):
        assert _raw(f'SELECT count(*) FROM "{_month_name(later)}"') == [(0,)]


def test_the_application_role_cannot_ask_for_absurd_ranges(db):
    with pytest.raises(Exception, match="months_ahead"):
        _raw("SELECT constel_reading_partitions(current_date, 500)")


def test_the_evaluation_claim_reads_only_the_partitions_of_the_batch(world):
    reading = _weight(world, timezone.now())
    now = reading.measured_at
    with tenant_context(world.tenant), connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + _EVALUATE_SQL, {
            "now": now, "ids": [reading.pk], "lo": now, "hi": now, "user": None, "job": ""})
        plan = "\n".join(r[0] for r in cursor.fetchall())
    claim = plan[plan.index("CTE claimed"):plan.index("CTE resolved")]
    scanned = set(re.findall(r"on (pathways_reading_\w+) ", claim))
    assert scanned == {_month_name(now)}, claim


def test_a_batch_is_claimed_within_its_span_only(world):
    reading = _weight(world, timezone.now())
    evaluate_readings(tenant_id=world.tenant.pk, reading_ids=[reading.pk],
                      measured=[reading.measured_at.isoformat()] * 2)
    with tenant_context(world.tenant):
        assert Reading.objects.get(pk=reading.pk).evaluated_at is not None
    # a span that misses the reading claims nothing (the span is the partitions to read)
    other = _weight(world, timezone.now() - timedelta(days=1), value="31")
    assert evaluate_readings(tenant_id=world.tenant.pk, reading_ids=[other.pk],
                             measured=[(timezone.now() + timedelta(days=1)).isoformat()] * 2) == 0
    with tenant_context(world.tenant):
        assert Reading.objects.get(pk=other.pk).evaluated_at is None


def test_detaching_needs_the_owner(db):
    with pytest.raises(CommandError, match="owner"):
        call_command("reading_partitions", "--detach-before", "2020-01")


def test_detaching_recent_months_needs_force(db):
    with pytest.raises(CommandError, match="--force"):
        call_command("reading_partitions", "--detach-before",
                     f"{datetime.now(UTC):%Y-%m}")


def test_the_command_rejects_a_malformed_month(db):
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("reading_partitions", "--from", "2024-13")


@pytest.mark.django_db(transaction=True)
def test_the_owner_detaches_old_months_and_their_rows_leave_the_table(world):
    """As the owner, in a transaction rolled back (the test database stays whole); the
    world is committed first (an open transaction on the readings would hold the lock)."""
    old = _weight(world, _months_ahead(0))
    current = _month_name(old.measured_at)
    url = os.environ["DATABASE_URL"]
    with psycopg.connect(url, dbname=connection.settings_dict["NAME"]) as owner:
        with owner.cursor() as cursor:
            cursor.execute("SET lock_timeout = '10s'")
            detached = detach_before(cursor, _months_ahead(1).date().replace(day=1))
            assert current in detached
            assert all(name < current for name in detached if name != current)
            cursor.execute("SELECT relispartition FROM pg_class WHERE relname = %s",
                           [current])
            assert cursor.fetchone() == (False,)
            next_month = _month_name(_months_ahead(1))
            cursor.execute("SELECT relispartition FROM pg_class WHERE relname = %s",
                           [next_month])
            assert cursor.fetchone() == (True,)
            # the month's reading left the table with its partition
            cursor.execute("SELECT set_config('app.tenant_id', %s, true)",
                           [str(world.tenant.pk)])
            cursor.execute("SELECT count(*) FROM pathways_reading WHERE id = %s", [old.pk])
            assert cursor.fetchone() == (0,)
            cursor.execute(f'SELECT count(*) FROM "{current}" WHERE id = %s', [old.pk])
            assert cursor.fetchone() == (1,)
        owner.rollback()
