"""The periodic jobs as the demo runs them (``manage.py run_periodic``) and as a worker
accepts them (Celery refuses to queue a task whose soft limit exceeds its hard one)."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.core.management import call_command

from constel.celery import app


def _ours():
    app.loader.import_default_modules()
    return [task for name, task in app.tasks.items() if not name.startswith("celery.")]


def test_every_task_can_be_queued_with_its_time_limits():
    """``apply_async`` raises when soft_time_limit > time_limit: a task with a short hard
    limit and the project's default soft one (240 s) was never queued by its periodic job."""
    soft_default = settings.CELERY_TASK_SOFT_TIME_LIMIT
    hard_default = settings.CELERY_TASK_TIME_LIMIT
    wrong = [task.name for task in _ours()
             if (task.soft_time_limit or soft_default) > (task.time_limit or hard_default)]
    assert wrong == []


@pytest.mark.django_db
def test_run_periodic_once_runs_every_interval_job_without_failure(world, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    out = io.StringIO()
    call_command("run_periodic", "--once", stdout=out)
    ran = out.getvalue().splitlines()
    interval_jobs = [name for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
                     if isinstance(entry["schedule"], int | float)]
    assert len(ran) == len(interval_jobs)
    assert not [m for m in ran if "failed" in m], ran
