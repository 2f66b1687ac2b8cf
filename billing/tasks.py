"""Claim compilation by Celery: on demand (finance) and at each period end (beat, daily:
the day after a period ends, its statement is compiled; compiling again changes nothing)."""

from __future__ import annotations

from datetime import date, timedelta

from constel.celery import app
from constel.models import Tenant
from constel.tasks import tenant_task


@tenant_task(name="billing.compile_claims", acks_late=True, time_limit=900)
def compile_claims_task(tenant_id: str, day: str) -> str:
    from billing.services import compile_claims

    statement = compile_claims(tenant=Tenant.objects.get(pk=tenant_id),
                               day=date.fromisoformat(day))
    return str(statement.pk)


@app.task(name="billing.compile_ended_periods")
def compile_ended_periods() -> int:
    """Each tenant whose claim period ended yesterday gets that period compiled."""
    from billing.services import period_of
    from constel import dates

    count = 0
    for tenant in Tenant.objects.all():
        yesterday = dates.today(tenant) - timedelta(days=1)  # each programme's own day
        _start, end = period_of(tenant, yesterday)
        if end == yesterday:
            compile_claims_task.delay(str(tenant.pk), yesterday.isoformat())
            count += 1
    return count
