"""A real Celery worker on the real Redis broker: tenant isolation holds in the worker."""

from __future__ import annotations

import os

import pytest

from constel.celery import app
from tests.constel.test_tenancy import read_patient_names

pytestmark = [pytest.mark.redis, pytest.mark.postgres]


@pytest.fixture
def redis_worker(transactional_db, settings):
    from celery.contrib.testing.worker import start_worker

    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("no Redis")
    app.conf.update(broker_url=url, result_backend=url.replace("/0", "/2"),
                    task_always_eager=False)
    _forget_backend()
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield
    finally:
        app.conf.update(task_always_eager=True, broker_url="memory://", result_backend=None)
        _forget_backend()


def _forget_backend() -> None:
    """Celery caches the result backend per thread: drop it so the new setting applies."""
    if hasattr(app._local, "backend"):
        del app._local.backend


def test_worker_task_for_tenant_a_reads_only_tenant_a(redis_worker, world, other_world):
    names = read_patient_names.delay(str(world.tenant.pk)).get(timeout=30)
    assert world.patient.birth_name in names
    assert other_world.patient.birth_name not in names
    names = read_patient_names.delay(str(other_world.tenant.pk)).get(timeout=30)
    assert other_world.patient.birth_name in names
    assert world.patient.birth_name not in names
