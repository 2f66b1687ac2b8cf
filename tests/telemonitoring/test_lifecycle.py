"""An alert's moves (DESIGN §5): one transition function with its table; each move leaves a
historical row, the sweep's auto-escalation included."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from constel.roles import Role
from constel.tenancy import tenant_context
from telemonitoring.lifecycle import ALERT_MOVES, alert_take, alert_transition
from telemonitoring.models import Alert
from telemonitoring.services import evaluate_readings, reading_record, sweep


def _critical_alert(world) -> Alert:
    readings = reading_record(enrollment=world.enrollment, indicator_code="spo2", value="84",
                              measured_at=timezone.now(), entered_by=None, source="portal")
    evaluate_readings(tenant_id=world.tenant.pk, reading_ids=[r.pk for r in readings])
    with tenant_context(world.tenant):
        return Alert.objects.get(enrollment=world.enrollment, level="critical")


def test_auto_escalation_writes_the_alerts_history(world):
    alert = _critical_alert(world)
    assert sweep(tenant=world.tenant, now=timezone.now() + timedelta(hours=5))["escalated"] == 1
    with tenant_context(world.tenant):
        alert.refresh_from_db()
        states = list(alert.history.order_by("history_date").values_list("status", flat=True))
    assert alert.status == "escalated" and alert.auto_escalated
    assert states[-1] == "escalated" and "open" in states


def test_a_closed_alert_cannot_be_taken_again_nor_moved_back(world):
    alert = _critical_alert(world)
    nurse = world.user(Role.NURSE_COORDINATOR)
    with tenant_context(world.tenant):
        alert_transition(alert, Alert.Status.CLOSED, closed_by=nurse, closed_at=timezone.now(),
                         outcome="advice")
    with pytest.raises(ValidationError, match="already handled"):
        alert_take(alert=alert, nurse=nurse)
    with tenant_context(world.tenant), pytest.raises(ValidationError) as refused:
        alert_transition(alert, Alert.Status.OPEN)
    assert "status" in refused.value.message_dict


def test_every_status_has_its_moves_and_closed_is_final():
    assert set(ALERT_MOVES) == set(Alert.Status.values)
    assert ALERT_MOVES[Alert.Status.CLOSED] == frozenset()
