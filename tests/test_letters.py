"""Letters to the GP: one per event, rendered to PDF, sent exactly once, failures visible."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from constel.roles import Role
from constel.tenancy import tenant_context
from pathways.models import Alert, Letter
from pathways.services.letters import letter_create, letter_send
from pathways.services.telefollowup import (
    alert_close,
    alert_take,
    evaluate_readings,
    reading_record,
)


def _letters(world, **kw):
    with tenant_context(world.tenant):
        return list(Letter.objects.filter(enrollment__patient__tenant=world.tenant, **kw))


def test_issuing_the_pps_made_one_letter_rendered_and_sent(world):
    (letter,) = _letters(world, kind="pps")
    status = letter_send(letter_id=letter.pk, tenant_id=world.tenant.pk)
    assert status == "sent"
    with tenant_context(world.tenant):
        letter.refresh_from_db()
    assert bytes(letter.pdf).startswith(b"%PDF") and len(letter.sha256) == 64
    assert len(mail.outbox) == 1 and mail.outbox[0].attachments
    # A retried task never sends twice.
    assert letter_send(letter_id=letter.pk, tenant_id=world.tenant.pk) == "sent"
    assert len(mail.outbox) == 1


def test_one_letter_per_event_even_if_asked_twice(world):
    assert letter_create(enrollment=world.enrollment, kind="pps",
                         event_key=world.care_plan.pk, subject="x", body="y") is None
    assert len(_letters(world, kind="pps")) == 1


def _closed_alert(world, outcome):
    readings = reading_record(enrollment=world.enrollment, indicator_code="spo2", value="85",
                              measured_at=world.enrollment.created_at, entered_by=None,
                              source="portal")
    evaluate_readings(tenant_id=world.tenant.pk, reading_ids=[r.pk for r in readings])
    with tenant_context(world.tenant):
        alert = Alert.objects.get(enrollment=world.enrollment)
    alert = alert_take(alert=alert, nurse=world.user(Role.NURSE_COORDINATOR))
    return alert_close(alert=alert, by=world.user(Role.NURSE_COORDINATOR),
                       role="nurse_coordinator", outcome=outcome)


def test_handled_alert_sends_a_letter_but_not_an_erroneous_entry(world, other_world):
    _closed_alert(world, "advice")
    assert len(_letters(world, kind="alert")) == 1
    _closed_alert(other_world, "erroneous_entry")
    assert _letters(other_world, kind="alert") == []


def test_gp_without_address_keeps_the_letter_to_print(world):
    from patients.models import Professional

    with tenant_context(world.tenant):
        Professional.objects.filter(pk=world.professionals[Role.GP].pk).update(
            secure_email="", email="")
    (letter,) = _letters(world, kind="pps")
    assert letter_send(letter_id=letter.pk, tenant_id=world.tenant.pk) == "no_address"
    assert mail.outbox == []


def test_smtp_down_then_back_sends_once(world, monkeypatch):
    from django.core.mail import EmailMessage

    (letter,) = _letters(world, kind="pps")
    real_send = EmailMessage.send

    def down(self, *a, **k):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(EmailMessage, "send", down)
    with pytest.raises(OSError):
        letter_send(letter_id=letter.pk, tenant_id=world.tenant.pk)
    (failed,) = _letters(world, kind="pps")
    assert failed.status == "failed" and failed.attempts == 1 and "smtp down" in failed.last_error
    monkeypatch.setattr(EmailMessage, "send", real_send)
    assert letter_send(letter_id=letter.pk, tenant_id=world.tenant.pk) == "sent"
    assert letter_send(letter_id=letter.pk, tenant_id=world.tenant.pk) == "sent"
    assert len(mail.outbox) == 1


def test_gp_reads_the_letter_in_the_inbox_and_downloads_the_pdf(client, login, world):
    (letter,) = _letters(world, kind="pps")
    letter_send(letter_id=letter.pk, tenant_id=world.tenant.pk)
    login(world.user(Role.GP))
    inbox = client.get(reverse("gp:letters")).content.decode()
    assert "<strong>" in inbox  # unread in bold
    page = client.get(reverse("gp:letter", args=[letter.pk]))
    assert page.status_code == 200
    pdf = client.get(reverse("gp:letter_pdf", args=[letter.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    (letter,) = _letters(world, kind="pps")
    assert letter.read_at is not None


def test_exit_sends_the_synthesis(world):
    from pathways.services import enrollment_exit

    enrollment_exit(enrollment=world.enrollment, actor=None, reason="patient_choice")
    (letter,) = _letters(world, kind="exit")
    assert "PPS" in letter.body and "Alerts" in letter.body


def test_failed_letter_shows_on_the_worklist_and_is_retried(client, login, world, monkeypatch):
    from django.core.mail import EmailMessage

    (letter,) = _letters(world, kind="pps")
    real_send = EmailMessage.send
    monkeypatch.setattr(EmailMessage, "send", lambda self, *a, **k: (_ for _ in ()).throw(
        ConnectionRefusedError("smtp down")))
    with pytest.raises(OSError):
        letter_send(letter_id=letter.pk, tenant_id=world.tenant.pk)
    monkeypatch.setattr(EmailMessage, "send", real_send)
    login(world.user(Role.NURSE_COORDINATOR))
    body = client.get(reverse("pathways:worklist"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Letters that could not be sent" in body and "smtp down" in body
    client.post(reverse("pathways:letter_retry", args=[letter.pk]))
    (letter,) = _letters(world, kind="pps")
    assert letter.status == "sent" and len(mail.outbox) == 1
