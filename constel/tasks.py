"""Task plumbing: every tenant task runs inside its tenant's context.

``@tenant_task`` tasks take ``tenant_id`` first; the wrapper enters ``tenant_context`` (so RLS
lets the task see that tenant only) and ``acting`` (so history rows name the task and the
user who started it, passed as ``actor_id``). Enqueue them with :func:`enqueue_on_commit`,
never inside an open transaction.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.db import transaction

from constel.audit import acting
from constel.celery import app
from constel.tenancy import tenant_context


def tenant_task(*, name: str | None = None, **options: Any) -> Callable:
    def decorator(func: Callable) -> Any:
        task_name = name or f"{func.__module__}.{func.__name__}"

        @app.task(name=task_name, **options)
        @functools.wraps(func)
        def run(tenant_id: str, *args: Any, actor_id: int | None = None, **kwargs: Any) -> Any:
            with tenant_context(tenant_id), acting(user_id=actor_id, job=task_name):
                return func(tenant_id, *args, **kwargs)

        return run

    return decorator


def enqueue_on_commit(task: Any, *args: Any, **kwargs: Any) -> None:
    # robust: a broker that cannot be reached is logged, not raised after the commit.
    transaction.on_commit(lambda: task.delay(*args, **kwargs), robust=True)


def fan_out(task: Any) -> int:
    """Queue ``task`` once per tenant (each run enters its tenant's context): the shape of
    every periodic job. Returns the number of tenants."""
    from constel.models import Tenant

    tenants = list(Tenant.objects.values_list("pk", flat=True))
    for tenant_id in tenants:
        task.delay(str(tenant_id))
    return len(tenants)
