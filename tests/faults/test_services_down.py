"""Fault drills (issue #10, item 5) on the services themselves: PostgreSQL stopped and
started again in the middle of a burst of readings through the API, Redis stopped while
readings and a letter are written. Counts of readings, evaluations, events and letters are
checked before and after: nothing lost, nothing duplicated, a 503 (never a 500) while the
database is away, and recovery without anyone restarting the web process.

They drive the cluster and the Redis that ``tools/with_services.py`` started for this
checkout; with servers given from outside (DATABASE_URL / REDIS_URL set before), they are
skipped: this test cannot stop somebody else's server."""

from __future__ import annotations

import importlib.util
import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from constel.celery import app
from constel.roles import Role
from constel.tenancy import tenant_context

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.faults]
ROOT = Path(__file__).resolve().parents[2]


def _services():
    spec = importlib.util.spec_from_file_location("with_services",
                                                  ROOT / "tools" / "with_services.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _ours(ws, url_var: str, port: int) -> bool:
    return f":{port}/" in os.environ.get(url_var, "") and (ws.WORK / "pgdata").exists()


def _token(world, capsys) -> str:
    call_command("create_api_token", world.user(Role.PATIENT).email, "--tenant",
                 world.tenant.slug)
    return capsys.readouterr().out.strip()


def test_database_restart_during_a_burst_answers_503_then_recovers_losing_nothing(
        transactional_db, world, capsys):
    from telemonitoring.models import AlertEvent, Reading

    ws = _services()
    if not _ours(ws, "DATABASE_URL", ws.PG_PORT):
        pytest.skip("PostgreSQL not started by tools/with_services.py for this checkout")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {_token(world, capsys)}"}
    client = Client(raise_request_exception=False)  # as the real server: no re-raise
    accepted: list[str] = []
    sent = 0

    def post(value: str):
        nonlocal sent
        sent += 1
        response = client.post("/api/v1/readings/", {
            "indicator": "spo2", "value": value,
            "measured_at": (timezone.now() - timedelta(minutes=sent)).isoformat()},
            content_type="application/json", **auth)
        if response.status_code == 201:
            accepted.append(value)
        return response

    values = ["86", "95", "97", "89", "96"] * 2
    assert [post(v).status_code for v in values] == [201] * 10
    ws.stop_postgres()
    try:
        down = [post("86") for _ in range(4)]
        assert [r.status_code for r in down] == [503] * 4
        assert all(r.has_header("Retry-After") for r in down)
    finally:
        ws.start_postgres()
    # The web process reconnects by itself: the next requests are accepted.
    assert [post(v).status_code for v in values] == [201] * 10
    with tenant_context(world.tenant):
        readings = Reading.objects.filter(enrollment=world.enrollment)
        assert readings.count() == len(accepted) == 20  # the refused ones: nothing stored
        assert not readings.filter(evaluated_at__isnull=True).exists()
        breaching = sum(1 for v in accepted if int(v) <= 92)
        events = AlertEvent.objects.filter(reading__in=readings)
        assert events.count() == breaching == 8
        assert events.values("reading", "rule").distinct().count() == breaching


def test_redis_down_while_readings_and_a_letter_are_written_nothing_is_lost(
        transactional_db, world, settings):
    from letters.models import Letter
    from letters.services import letter_create, letters_reconcile
    from telemonitoring.models import Reading
    from telemonitoring.services import reading_record, sweep

    ws = _services()
    if not _ours(ws, "REDIS_URL", ws.REDIS_PORT):
        pytest.skip("Redis not started by tools/with_services.py for this checkout")
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    app.conf.update(task_always_eager=False)  # publish for real: to the stopped Redis
    ws.stop_redis()
    try:
        for k, value in enumerate(["86", "95", "89"]):
            reading_record(enrollment=world.enrollment, indicator_code="spo2", value=value,
                           measured_at=timezone.now() - timedelta(minutes=k),
                           entered_by=None, source="portal")  # no error: stored
        from django.db import transaction

        with transaction.atomic():
            letter = letter_create(enrollment=world.enrollment, kind="periodic",
                                   event_key="drill", subject="Bilan", body="Bilan du trimestre")
    finally:
        ws.start_redis()
        app.control.purge()
        app.conf.update(task_always_eager=True)
    with tenant_context(world.tenant):
        assert Reading.objects.filter(enrollment=world.enrollment,
                                      evaluated_at__isnull=True).count() == 3
        assert Letter.objects.get(pk=letter.pk).status == "draft"  # its message was lost
    later = timezone.now() + timedelta(minutes=11)
    assert sweep(tenant=world.tenant, now=later)["late_evaluations"] == 3
    mail.outbox.clear()
    letters_reconcile(tenant=world.tenant, now=later)  # queues the letter again (eager)
    letters_reconcile(tenant=world.tenant, now=later)  # twice: still one e-mail
    with tenant_context(world.tenant):
        assert not Reading.objects.filter(evaluated_at__isnull=True).exists()
        assert Letter.objects.get(pk=letter.pk).status == "sent"
    assert len([m for m in mail.outbox if m.subject.startswith("Bilan")]) == 1
