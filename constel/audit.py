"""Audit: who changed what (django-simple-history) and who read which patient record.

Changes made by a Celery task or a management command record the job's name and, where one
started it, the user (``acting``), so every historical row says who or what made it.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import models
from django.dispatch import receiver
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

_actor_user_id: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "actor_user_id", default=None
)
_job: contextvars.ContextVar[str] = contextvars.ContextVar("job", default="")


@contextmanager
def acting(*, user_id: int | None = None, job: str = "") -> Iterator[None]:
    """Attribute the changes made inside the block to ``user_id`` and/or ``job``."""
    user_token, job_token = _actor_user_id.set(user_id), _job.set(job)
    try:
        yield
    finally:
        _actor_user_id.reset(user_token)
        _job.reset(job_token)


def history_user(instance: Any = None, request: Any = None, **kwargs: Any) -> Any:
    if request is not None and getattr(request.user, "is_authenticated", False):
        return request.user
    user_id = _actor_user_id.get()
    if user_id is None:
        return None
    from constel.models import User

    return User(pk=user_id)


def current_actor() -> tuple[int | None, str]:
    """The acting user's id and the job's name, for history rows written in SQL: the
    request's user (as simple-history's middleware records it) or the job's ``acting``."""
    user = history_user(request=getattr(HistoricalRecords.context, "request", None))
    return (user.pk if user is not None else None), _job.get()


class AuditedHistory(models.Model):
    """Extra columns of every historical table."""

    history_job = models.CharField(max_length=120, blank=True, default="")

    class Meta:
        abstract = True


def clinical_history(**kwargs: Any) -> HistoricalRecords:
    """The HistoricalRecords every clinical and billing model declares."""
    return HistoricalRecords(bases=[AuditedHistory], get_user=history_user, **kwargs)


@receiver(pre_create_historical_record)
def _record_job(sender: Any, history_instance: Any, **kwargs: Any) -> None:
    if hasattr(history_instance, "history_job"):
        history_instance.history_job = _job.get()
