"""Fault drills (issues #5 and #10): a real Celery worker *process* is killed (SIGKILL) while
it evaluates a burst of readings — the sweep then evaluates what was left, and nothing is lost
or duplicated (every reading evaluated once, one event per breaching reading, one open alert
per rule) — and while it sends a letter (never sent twice, never forgotten)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.utils import timezone

from constel.celery import app
from constel.tenancy import tenant_context

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.faults]
ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    s = connection.settings_dict
    auth = quote(s["USER"]) + (f":{quote(s['PASSWORD'])}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{s['NAME']}"


def test_worker_killed_mid_burst_loses_and_duplicates_nothing(transactional_db, world):
    from telemonitoring.models import Alert, AlertEvent, Reading
    from telemonitoring.services import reading_record, sweep

    redis = os.environ.get("REDIS_URL")
    if not redis:
        pytest.skip("no Redis")
    app.conf.update(task_always_eager=False)  # the broker is the test Redis already
    app.control.purge()  # nothing left over from an earlier run
    env = dict(os.environ, DATABASE_URL=_database_url(), REDIS_URL=redis,
               DJANGO_SETTINGS_MODULE="constel.settings.dev", CELERY_TASK_ALWAYS_EAGER="0",
               DJANGO_DEBUG="0")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "constel", "worker", "--pool", "solo",
         "-Q", "celery,evaluation,letters,billing",
         "--loglevel", "WARNING", "--without-heartbeat", "--without-mingle",
         "--without-gossip"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    try:
        values = ["86", "95", "96", "89", "97"] * 40  # 200 readings, 80 breach the bounds
        for k, v in enumerate(values):
            reading_record(enrollment=world.enrollment, indicator_code="spo2", value=v,
                           measured_at=timezone.now() - timezone.timedelta(minutes=k),
                           entered_by=None, source="portal")  # each enqueues on commit
        deadline = time.monotonic() + 60
        with tenant_context(world.tenant):
            while time.monotonic() < deadline and not Reading.objects.filter(
                    evaluated_at__isnull=False).exists():
                time.sleep(0.05)
            started = Reading.objects.filter(evaluated_at__isnull=False).count()
        worker.send_signal(signal.SIGKILL)  # in the middle of the burst
        worker.wait(timeout=10)
        with tenant_context(world.tenant):
            left = Reading.objects.filter(evaluated_at__isnull=True).count()
        assert started > 0 and left > 0, (started, left)  # it was killed mid-way
        later = timezone.now() + timezone.timedelta(minutes=1)
        sweep(tenant=world.tenant, now=later)
        with tenant_context(world.tenant):
            assert not Reading.objects.filter(evaluated_at__isnull=True).exists()
            events = AlertEvent.objects.filter(reading__isnull=False)
            assert events.count() == 80
            assert events.values("reading", "rule").distinct().count() == 80
            assert Alert.objects.exclude(status="closed").filter(
                rule__kind="bounds").count() == 1
    finally:
        if worker.poll() is None:
            worker.kill()
        app.control.purge()
        app.conf.update(task_always_eager=True)


def test_worker_killed_while_sending_a_letter_neither_duplicates_nor_loses_it(
        transactional_db, world, tmp_path):
    """The worker is killed while the SMTP server holds the letter (after "sending" was
    committed): the letter is never sent twice by a machine — the reconciliation flags it
    for a person, whose retry sends it once."""
    from django.core import mail
    from django.db import transaction

    from letters.models import Letter
    from letters.services import letter_create, letter_send, letters_reconcile

    redis = os.environ.get("REDIS_URL")
    if not redis:
        pytest.skip("no Redis")
    app.conf.update(task_always_eager=False)
    app.control.purge()
    env = dict(os.environ, DATABASE_URL=_database_url(), REDIS_URL=redis,
               DJANGO_SETTINGS_MODULE="constel.settings.dev", CELERY_TASK_ALWAYS_EAGER="0",
               DJANGO_DEBUG="0", EMAIL_BACKEND="tests.slow_mail.SlowBackend",
               CONSTEL_SLOW_MAIL_DIR=str(tmp_path), CONSTEL_SLOW_MAIL_SECONDS="60")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "constel", "worker", "--pool", "solo",
         "-Q", "letters", "--loglevel", "WARNING", "--without-heartbeat", "--without-mingle",
         "--without-gossip"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    try:
        with transaction.atomic():  # queued on commit, to the letters queue
            letter = letter_create(enrollment=world.enrollment, kind="periodic",
                                   event_key="drill-kill", subject="Bilan trimestriel",
                                   body="Bilan du trimestre")
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not list(tmp_path.glob("started-*")):
            time.sleep(0.1)
        assert list(tmp_path.glob("started-*")), "the worker never reached the SMTP step"
        worker.send_signal(signal.SIGKILL)  # while the e-mail is in the SMTP exchange
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
        app.control.purge()
        app.conf.update(task_always_eager=True)
    with tenant_context(world.tenant):
        assert Letter.objects.get(pk=letter.pk).status == "sending"
    assert not list(tmp_path.glob("sent-*"))
    later = timezone.now() + timezone.timedelta(minutes=11)
    assert letters_reconcile(tenant=world.tenant, now=later) == 1  # flagged for a person
    assert letters_reconcile(tenant=world.tenant, now=later) == 0  # and not re-queued
    with tenant_context(world.tenant):
        flagged = Letter.objects.get(pk=letter.pk)
    assert flagged.status == "failed" and "check with the GP" in flagged.last_error
    mail.outbox.clear()
    assert letter_send(letter_id=letter.pk, tenant_id=world.tenant.pk) == "sent"  # the retry
    assert letter_send(letter_id=letter.pk, tenant_id=world.tenant.pk) == "sent"  # no resend
    assert len(mail.outbox) == 1
