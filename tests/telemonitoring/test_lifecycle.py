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


def test_auto_escalation_says_so_in_the_alerts_timeline(world):
    from telemonitoring.models import AlertNote

    alert = _critical_alert(world)
    sweep(tenant=world.tenant, now=timezone.now() + timedelta(hours=5))
    with tenant_context(world.tenant):
        (note,) = AlertNote.objects.filter(alert=alert)
    assert note.kind == AlertNote.Kind.AUTO_ESCALATION and note.author is None
    assert str(world.tenant.critical_alert_delay_minutes) in note.text


def test_an_escalated_alert_is_closed_by_the_physician_only_and_every_note_is_kept(
        client, login, world, django_capture_on_commit_callbacks):
    """Issue #21, trap 2: a nurse could close an alert she had escalated with "no action",
    and the escalation note then read as the closing one."""
    from django.urls import reverse

    from letters.models import Letter
    from telemonitoring.lifecycle import alert_close, alert_escalate
    from telemonitoring.models import AlertNote

    nurse, medco = world.user(Role.NURSE_COORDINATOR), world.user(Role.PHYSICIAN_COORDINATOR)
    alert = alert_take(alert=_critical_alert(world), nurse=nurse)
    alert_escalate(alert=alert, by=nurse, note="SpO2 84 %, dyspnée : avis médical ?")
    with pytest.raises(ValidationError, match="only they close it"):
        alert_close(alert=alert, by=nurse, role=Role.NURSE_COORDINATOR, outcome="no_action")
    url = reverse("telemonitoring:alert", args=[alert.pk])
    page = login(nurse).get(url).content.decode()
    assert 'value="close"' not in page and "avis médical ?" in page
    # Through the page too: the nurse's close is refused, her note is added.
    client.post(url, {"action": "close", "confirmed": "1", "outcome": "no_action", "note": "RAS"})
    client.post(url, {"action": "note", "note": "Patiente rappelée, toujours essoufflée"})
    with tenant_context(world.tenant):
        alert.refresh_from_db()
    assert alert.status == Alert.Status.ESCALATED
    login(medco)
    assert 'value="close"' in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "close", "confirmed": "1", "outcome": "medical_action",
                          "gp_involvement": "Dr informé par téléphone",
                          "note": "Corticoïdes débutés"})
    with tenant_context(world.tenant):
        alert.refresh_from_db()
        notes = [(n.kind, n.author_id, n.text) for n in AlertNote.objects.filter(alert=alert)]
        letter = Letter.objects.get(kind="alert", event_key=str(alert.pk))
    assert alert.status == Alert.Status.CLOSED and alert.closed_by_id == medco.pk
    assert notes == [
        ("escalation", nurse.pk, "SpO2 84 %, dyspnée : avis médical ?"),
        ("note", nurse.pk, "Patiente rappelée, toujours essoufflée"),
        ("closing", medco.pk, "Corticoïdes débutés")]
    assert alert.note == "Corticoïdes débutés" and "Corticoïdes débutés" in letter.body
    # The timeline shows each note, in order, with its author.
    page = client.get(url).content.decode()
    positions = [page.index(t) for t in ("avis médical ?", "toujours essoufflée",
                                         "Corticoïdes débutés")]
    assert positions == sorted(positions)
    assert nurse.get_full_name() in page and medco.get_full_name() in page
