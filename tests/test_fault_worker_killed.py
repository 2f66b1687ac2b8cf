"""Fault drill (issues #5 and #10): a real Celery worker *process* is killed (SIGKILL) while
it evaluates a burst of readings; the sweep then evaluates what was left, and nothing is lost
or duplicated (every reading evaluated once, one event per breaching reading, one open alert
per rule)."""

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
ROOT = Path(__file__).resolve().parent.parent


def _database_url() -> str:
    s = connection.settings_dict
    auth = quote(s["USER"]) + (f":{quote(s['PASSWORD'])}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{s['NAME']}"


def test_worker_killed_mid_burst_loses_and_duplicates_nothing(transactional_db, world):
    from pathways.models import Alert, AlertEvent, Reading
    from pathways.services.telefollowup import reading_record, sweep

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
