"""Telefollow-up's work for the workers: evaluating readings, the sweep (missing data,
late evaluations, auto-escalation), the readings' partitions. The task names keep their
``pathways.`` prefix: messages already queued and the beat schedule name them."""

from __future__ import annotations

from constel.celery import app
from constel.models import Tenant
from constel.tasks import fan_out, tenant_task


@tenant_task(name="pathways.evaluate_readings", acks_late=True, time_limit=120,
             soft_time_limit=100, autoretry_for=(ConnectionError,), retry_backoff=True,
             max_retries=5)
def evaluate_readings_task(tenant_id: str, reading_ids: list[str],
                           measured: list[str] | None = None) -> int:
    """``measured``: the readings' first and last measurement times (ISO), so the claim
    reads only their months' partitions; absent (older messages): every partition."""
    from telemonitoring.services import evaluate_readings

    return evaluate_readings(tenant_id=tenant_id, reading_ids=reading_ids, measured=measured)


@tenant_task(name="pathways.sweep_tenant", acks_late=True, time_limit=300)
def sweep_tenant(tenant_id: str) -> dict:
    from telemonitoring.services import sweep

    return sweep(tenant=Tenant.objects.get(pk=tenant_id))


@app.task(name="pathways.reading_partitions", acks_late=True, time_limit=600)
def reading_partitions() -> int:
    """Daily: the readings' monthly partitions created ahead (no tenant: catalogue only)."""
    from telemonitoring.partitions import partitions_create

    return partitions_create()


@app.task(name="pathways.sweep")
def sweep_all() -> int:
    """Missing data, late evaluations and auto-escalation, one task per tenant."""
    return fan_out(sweep_tenant)
