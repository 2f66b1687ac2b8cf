"""Periodic work of the pathway (scheduled by the one beat process)."""

from __future__ import annotations

from constel.celery import app
from constel.models import Tenant
from constel.tasks import fan_out, tenant_task


@tenant_task(name="pathways.remind_gps_of_tenant", acks_late=True, time_limit=300)
def remind_gps_of_tenant(tenant_id: str) -> int:
    from pathways.services.care_plans import care_plan_remind_gps

    return care_plan_remind_gps(tenant=Tenant.objects.get(pk=tenant_id))


@app.task(name="pathways.remind_gps")
def remind_gps() -> int:
    """Fan out one task per tenant (each runs inside its tenant's context)."""
    return fan_out(remind_gps_of_tenant)


@tenant_task(name="pathways.remind_appointments_of_tenant", acks_late=True, time_limit=300)
def remind_appointments_of_tenant(tenant_id: str) -> int:
    from pathways.services.activities import appointments_remind

    return appointments_remind(tenant=Tenant.objects.get(pk=tenant_id))


@app.task(name="pathways.remind_appointments")
def remind_appointments() -> int:
    """Every evening: tomorrow's appointments, by SMS (patients may opt out)."""
    return fan_out(remind_appointments_of_tenant)


@tenant_task(name="pathways.periodic_reports_of_tenant", acks_late=True, time_limit=600)
def periodic_reports_of_tenant(tenant_id: str) -> int:
    from pathways.services.reports import periodic_reports

    return periodic_reports(tenant=Tenant.objects.get(pk=tenant_id))


@app.task(name="pathways.periodic_reports")
def periodic_reports() -> int:
    """The GPs' periodic follow-up reports, one task per tenant."""
    return fan_out(periodic_reports_of_tenant)
