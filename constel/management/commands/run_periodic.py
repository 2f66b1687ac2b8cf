"""The periodic jobs without a broker: the demo's beat (``make demo`` starts it beside the
server when no ``REDIS_URL`` is set; with Redis a real worker and beat run instead).

Reads ``CELERY_BEAT_SCHEDULE`` — the one schedule production's beat follows — and runs each
task in this process when it is due: the jobs on an interval (sweep, reconciliation,
reminders to GPs) once at start and then every interval, the daily ones at their hour."""

from __future__ import annotations

import logging
import time

from celery.schedules import schedule as every
from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from constel.celery import app

log = logging.getLogger("constel.periodic")


def _entries() -> list[tuple[str, str, object]]:
    entries = []
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        when = entry["schedule"]
        if isinstance(when, int | float):
            when = every(run_every=timezone.timedelta(seconds=when))
        entries.append((name, entry["task"], when))
    return entries


class Command(BaseCommand):
    help = "Run the beat schedule's tasks in this process, each when due (the demo's beat)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true",
                            help="run every interval job once and stop")

    def handle(self, *args, **options):
        app.conf.task_always_eager = True
        app.loader.import_default_modules()  # the apps' tasks modules (autodiscovery)
        entries = _entries()
        # Interval jobs are due at start (the demo's missing data shows at once); the daily
        # ones wait for their hour.
        last = {name: (None if isinstance(when, every) else timezone.now())
                for name, _task, when in entries}
        while True:
            wait = 60.0
            for name, task, when in entries:
                due, next_in = (True, when.run_every.total_seconds()) if last[name] is None \
                    else when.is_due(last[name])
                if due:
                    self._run(name, task)
                    last[name] = timezone.now()
                wait = min(wait, max(next_in, 1.0))
            if options["once"]:
                return
            time.sleep(wait)

    def _run(self, name: str, task: str) -> None:
        started = time.monotonic()
        try:
            result = app.tasks[task].apply(throw=True).get()
        except Exception as exc:  # a failing job is logged; the others keep their schedule
            log.exception("periodic job %s failed", name)
            self.stdout.write(f"periodic job {name} failed: {exc!r}")
            return
        self.stdout.write(f"periodic job {name}: {result} ({time.monotonic() - started:.1f} s)")
