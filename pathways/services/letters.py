"""Letters to the GP: created with their event (same transaction, unique per event), then
rendered to PDF (WeasyPrint) and sent by e-mail by a task that locks the row and exits when
the letter is already sent, so a retried task never sends twice."""

from __future__ import annotations

import hashlib
import smtplib

from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from constel.models import Tenant
from constel.tenancy import tenant_context
from pathways.models import Enrollment, Letter

TRANSIENT = (smtplib.SMTPException, ConnectionError, TimeoutError, OSError)


def letter_create(*, enrollment: Enrollment, kind: str, event_key: str, subject: str,
                  body: str) -> Letter | None:
    """Inside the caller's transaction: at most one letter per (kind, event)."""
    with tenant_context(enrollment.tenant_id):
        patient = enrollment.patient
        try:
            with transaction.atomic():
                letter = Letter.objects.create(
                    tenant_id=enrollment.tenant_id, enrollment=enrollment, gp=patient.gp,
                    kind=kind, event_key=str(event_key)[:64], subject=subject[:200], body=body)
        except IntegrityError:
            return None  # this event already has its letter
        letter_id, tenant_id = str(letter.pk), str(enrollment.tenant_id)

        def enqueue() -> None:
            from pathways.tasks import send_letter_task

            send_letter_task.delay(tenant_id, letter_id)

        transaction.on_commit(enqueue)
        return letter


def render_pdf(letter: Letter) -> bytes:
    import weasyprint

    enrollment = letter.enrollment
    patient = enrollment.patient
    html = render_to_string("letters/letter.html", {
        "letter": letter, "patient": patient, "gp": letter.gp,
        "tenant": Tenant.objects.get(pk=letter.tenant_id), "now": timezone.localtime()})
    return weasyprint.HTML(string=html).write_pdf()


def letter_send(*, letter_id, tenant_id) -> str:
    """Render (once) and send (once). Returns the final status; a transient SMTP error is
    recorded on the letter ("failed", attempts, error) and then raised for the retry."""
    error: Exception | None = None
    with tenant_context(tenant_id), transaction.atomic():
        letter = (Letter.objects.select_for_update(of=("self",))
                  .select_related("enrollment__patient", "gp").get(pk=letter_id))
        if letter.status in (Letter.Status.SENT, Letter.Status.NO_ADDRESS):
            return letter.status
        if not letter.pdf:
            pdf = render_pdf(letter)
            letter.pdf, letter.sha256 = pdf, hashlib.sha256(pdf).hexdigest()
            letter.status = Letter.Status.RENDERED
        address = letter.gp and (letter.gp.secure_email or letter.gp.email)
        if not address:
            letter.status = Letter.Status.NO_ADDRESS
            letter.save()
            return letter.status
        letter.attempts += 1
        try:
            message = EmailMessage(letter.subject, letter.body, None, [address])
            message.attach(f"courrier-{letter.pk}.pdf", bytes(letter.pdf), "application/pdf")
            message.send()
        except TRANSIENT as exc:
            letter.status = Letter.Status.FAILED
            letter.last_error = str(exc)[:300]
            error = exc
        else:
            letter.status, letter.sent_at = Letter.Status.SENT, timezone.now()
            letter.last_error = ""
        letter.save()
    if error is not None:
        raise error
    return letter.status
