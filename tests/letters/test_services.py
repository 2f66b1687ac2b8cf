"""Letters to the GP: one per event, rendered to PDF, sent exactly once, failures visible."""

from __future__ import annotations

import pytest
from django.core import mail

from constel.roles import Role
from constel.tenancy import tenant_context
from letters.models import Letter
from letters.services import letter_create, letter_send
from telemonitoring.models import Alert
from telemonitoring.services import (
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


def test_exit_sends_the_synthesis(world):
    from pathways.services import enrollment_exit

    enrollment_exit(enrollment=world.enrollment, actor=None, reason="patient_choice")
    (letter,) = _letters(world, kind="exit")
    assert "PPS" in letter.body and "Alertes" in letter.body  # in French, for the GP


def test_worker_killed_while_sending_neither_duplicates_nor_loses(world):
    """Killed after "sending" was committed and before "sent": a redelivered task does not
    send blindly; the periodic reconciliation flags the letter for a person; the retry then
    sends it, once."""
    from datetime import timedelta

    from django.utils import timezone

    from letters.services import letters_reconcile

    (letter,) = _letters(world, kind="pps")
    with tenant_context(world.tenant):
        Letter.objects.filter(pk=letter.pk).update(status="sending",
                                                   sending_at=timezone.now())
    assert letter_send(letter_id=letter.pk, tenant_id=world.tenant.pk) == "sending"
    assert len(mail.outbox) == 0
    assert letters_reconcile(tenant=world.tenant) == 0  # not stale yet
    assert letters_reconcile(tenant=world.tenant,
                             now=timezone.now() + timedelta(minutes=11)) == 1
    (flagged,) = _letters(world, kind="pps")
    assert flagged.status == "failed" and "check with the GP" in flagged.last_error
    assert letter_send(letter_id=letter.pk, tenant_id=world.tenant.pk) == "sent"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Message-ID"] == f"<letter-{letter.pk}@constel>"


def test_batch_resend_after_an_outage_skips_letters_already_sent(world, monkeypatch, capsys):
    from django.core.mail import EmailMessage
    from django.core.management import call_command

    from tests.factories import follow_up_patient

    follow_up_patient(world, "SECOND")
    letters = _letters(world, kind="pps")
    assert len(letters) == 2
    letter_send(letter_id=letters[0].pk, tenant_id=world.tenant.pk)  # sent before the outage
    real_send = EmailMessage.send
    monkeypatch.setattr(EmailMessage, "send", lambda self, *a, **k: (_ for _ in ()).throw(
        ConnectionRefusedError("smtp down")))
    with pytest.raises(OSError):
        letter_send(letter_id=letters[1].pk, tenant_id=world.tenant.pk)
    monkeypatch.setattr(EmailMessage, "send", real_send)
    call_command("resend_letters", "--tenant", world.tenant.slug)  # eager in the tests
    assert "1 letter(s) queued again." in capsys.readouterr().out
    assert len(mail.outbox) == 2
    assert {lt.status for lt in _letters(world, kind="pps")} == {"sent"}
    call_command("resend_letters", "--tenant", world.tenant.slug)
    assert "0 letter(s)" in capsys.readouterr().out and len(mail.outbox) == 2


def test_pdf_uses_the_shipped_fonts_and_never_the_network():
    from constel.pdf import FONTS, _fonts_css, fetcher, render

    fetch = fetcher()
    fetch = getattr(fetch, "fetch", fetch)
    with pytest.raises(ValueError, match="disallowed protocol"):
        fetch("https://example.com/logo.png")
    font = fetch((FONTS / "DejaVuSans.ttf").as_uri())  # the shipped face is reachable
    assert font is not None
    assert (FONTS / "DejaVuSans.ttf").as_uri() in _fonts_css()
    assert (FONTS / "LICENSE-DejaVu.txt").exists()
    pdf = render('<html><body><p>Bonjour <b>Docteur</b></p>'
                 '<img src="https://example.com/logo.png"></body></html>')
    assert pdf.startswith(b"%PDF")


def test_each_tenant_may_send_through_its_own_smtp_server(settings):
    from letters.services import smtp_connection

    settings.TENANT_SMTP = {"clinavenir": "smtp+tls://ide%40cl.fr:s3cr%2Ft@smtp.mssante.test:587"}
    connection = smtp_connection("clinavenir")
    assert (connection.host, connection.port, connection.username, connection.password,
            connection.use_tls) == ("smtp.mssante.test", 587, "ide@cl.fr", "s3cr/t", True)
    assert smtp_connection("lear") is None  # the default backend


def test_a_letter_left_sending_is_flagged_with_its_history_and_a_sent_letter_stays_sent(world):
    """letters_reconcile moves an interrupted letter to "failed" through the letter's
    transition (a historical row, by the job), and no move leaves "sent"."""
    from datetime import timedelta

    from django.utils import timezone

    from letters.services import LETTER_MOVES, letter_transition, letters_reconcile

    with tenant_context(world.tenant):
        letter = Letter.objects.get(enrollment=world.enrollment, kind="pps")
        Letter.objects.filter(pk=letter.pk).update(status=Letter.Status.SENDING,
                                                  sending_at=timezone.now())
    later = timezone.now() + timedelta(hours=2)
    assert letters_reconcile(tenant=world.tenant, now=later) == 1
    with tenant_context(world.tenant):
        letter.refresh_from_db()
        last = letter.history.order_by("-history_date").first()
    assert letter.status == Letter.Status.FAILED and "check with the GP" in letter.last_error
    assert last.status == Letter.Status.FAILED
    assert LETTER_MOVES[Letter.Status.SENT] == frozenset()
    letter.status = Letter.Status.SENT
    with pytest.raises(ValueError, match="cannot become"):
        letter_transition(letter, Letter.Status.SENDING, save=False)


def test_letters_created_while_deferred_wait_and_are_sent_once_by_resend(
        world, django_capture_on_commit_callbacks):
    """A bulk import (the demo's data) defers its letters: none is queued while it runs;
    letters_resend afterwards sends each once."""
    from letters.services import letters_deferred, letters_resend

    with tenant_context(world.tenant):
        Letter.objects.all().delete()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), letters_deferred():
        letter = letter_create(enrollment=world.enrollment, kind="pps", event_key="v9",
                               subject="PPS", body="Cher confrère")
    assert letter is not None and mail.outbox == []
    with tenant_context(world.tenant):
        assert Letter.objects.get(pk=letter.pk).status == Letter.Status.DRAFT
    assert letters_resend(tenant=world.tenant) == 1
    with tenant_context(world.tenant):
        assert Letter.objects.get(pk=letter.pk).status == Letter.Status.SENT
    assert len(mail.outbox) == 1
