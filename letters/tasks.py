"""The letters' tasks. Names keep their ``pathways.`` prefix: messages already queued (and
the routes and beat schedule of the settings) name them so."""

from __future__ import annotations

from constel.celery import app
from constel.models import Tenant
from constel.tasks import fan_out, tenant_task


# Routed to the "letters" queue by CELERY_TASK_ROUTES (settings).
@tenant_task(name="pathways.send_letter", acks_late=True, time_limit=120, soft_time_limit=100,
             autoretry_for=(OSError, ConnectionError, TimeoutError),
             retry_backoff=True, retry_backoff_max=600, max_retries=8)
def send_letter_task(tenant_id: str, letter_id: str) -> str:
    from letters.services import letter_send

    return letter_send(letter_id=letter_id, tenant_id=tenant_id)


@tenant_task(name="pathways.reconcile_letters_of_tenant", acks_late=True, time_limit=120,
             soft_time_limit=100)
def reconcile_letters_of_tenant(tenant_id: str) -> int:
    from letters.services import letters_reconcile

    return letters_reconcile(tenant=Tenant.objects.get(pk=tenant_id))


@app.task(name="pathways.reconcile_letters")
def reconcile_letters() -> int:
    """Letters left "sending" by an interrupted worker, one task per tenant."""
    return fan_out(reconcile_letters_of_tenant)
