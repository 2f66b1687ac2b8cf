"""Letters to the GP: created with their event (same transaction, unique per event), then
rendered to PDF (WeasyPrint) and sent by e-mail by a task that locks the row and exits when
the letter is already sent, so a retried task never sends twice."""

from __future__ import annotations

import contextvars
import hashlib
import smtplib
from contextlib import contextmanager
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from constel import dates
from constel.models import Tenant
from constel.pdf import render
from constel.tenancy import tenant_context
from letters.models import Letter, LetterTemplate

TRANSIENT = (smtplib.SMTPException, ConnectionError, TimeoutError, OSError)


#: Inside letters_deferred(): letters are created "to render" and not queued; the caller
#: queues them afterwards (letters_resend). A bulk import (the demo's data) renders its
#: letters after it, not one by one inside it.
_deferred: contextvars.ContextVar[bool] = contextvars.ContextVar("letters_deferred",
                                                                 default=False)


@contextmanager
def letters_deferred():
    token = _deferred.set(True)
    try:
        yield
    finally:
        _deferred.reset(token)


def letter_language():
    """Letters are written in the programme's language (French): the GP reads them, whoever
    wrote them and whatever the language of the author's screen or of a worker's task."""
    from django.conf import settings
    from django.utils import translation

    return translation.override(settings.LANGUAGE_CODE)


def letter_create(*, enrollment, kind: str, event_key: str, subject: str,
                  body: str) -> Letter | None:
    """Inside the caller's transaction: at most one letter per (kind, event), to the GP of
    the ``enrollment``'s patient. The caller writes the subject and the body (this app
    knows no pathway, no alert: they call it)."""
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
            from letters.tasks import send_letter_task

            send_letter_task.delay(tenant_id, letter_id)

        # robust: a broker that cannot be reached does not undo the committed letter (a 500
        # after the commit); letters_reconcile queues it again.
        if not _deferred.get():
            transaction.on_commit(enqueue, robust=True)
        return letter


#: what a tenant's letter template may use (never objects: a template cannot reach further)
TEMPLATE_VALUES = ("patient_name", "patient_birth_date", "gp_name", "programme", "operator",
                   "today", "kind")


def template_values(*, patient, gp, tenant, kind_label: str) -> dict:
    return {"patient_name": patient.display_name,
            "patient_birth_date": f"{patient.birth_date:%d/%m/%Y}",
            "gp_name": f"Dr {gp.first_name} {gp.last_name}" if gp else "",
            "programme": tenant.name, "operator": tenant.operator,
            "today": f"{dates.today():%d/%m/%Y}", "kind": str(kind_label)}


def render_frame(opening: str, closing: str, values: dict) -> tuple[str, str]:
    """The tenant's opening and closing rendered over ``values`` (plain text); raises
    ValidationError naming the part that does not render."""
    from django.template import Context, Engine, TemplateSyntaxError

    engine = Engine(autoescape=False)  # plain text; the letter page escapes it once
    out = []
    for field, source in (("opening", opening), ("closing", closing)):
        try:
            out.append(engine.from_string(source or "").render(Context(values)))
        except (TemplateSyntaxError, ValueError, KeyError) as exc:
            raise ValidationError({field: _("This text does not render: %(error)s")
                                   % {"error": exc}}) from exc
    return out[0], out[1]


def render_pdf(letter: Letter, *, template: LetterTemplate | None = None,
               patient=None) -> bytes:
    """The letter as PDF (``patient``: the letter's own by default; a preview gives one)."""
    patient = patient or letter.enrollment.patient
    tenant = Tenant.objects.get(pk=letter.tenant_id)
    if template is None:
        template = LetterTemplate.objects.filter(tenant_id=letter.tenant_id,
                                                 kind=letter.kind).first()
    opening = closing = ""
    if template is not None:
        opening, closing = render_frame(template.opening, template.closing, template_values(
            patient=patient, gp=letter.gp, tenant=tenant,
            kind_label=Letter.Kind(letter.kind).label))
    html = render_to_string("letters/letter.html", {
        "letter": letter, "patient": patient, "gp": letter.gp, "tenant": tenant,
        "now": dates.local_time(timezone.now()), "opening": opening, "closing": closing})
    return render(html)


@transaction.atomic
def letter_template_save(*, tenant: Tenant, kind: str, opening: str, closing: str,
                         actor) -> LetterTemplate:
    """Saved only if it renders (checked over sample values); otherwise the previous
    template stays in force and the error names the part."""
    if kind not in Letter.Kind.values:
        raise ValidationError({"kind": _("Unknown kind of letter.")})
    sample = {k: f"[{k}]" for k in TEMPLATE_VALUES}
    render_frame(opening, closing, sample)
    with tenant_context(tenant):
        template, _created = LetterTemplate.objects.get_or_create(tenant=tenant, kind=kind)
        template.opening, template.closing, template.updated_by = opening, closing, actor
        template._history_user = actor
        template.save()
        return template


def smtp_connection(tenant_slug: str):
    """The tenant's SMTP server (settings.TENANT_SMTP, an smtp:// or smtp+tls:// or
    smtps:// URL), or None for the default e-mail backend."""
    from urllib.parse import unquote, urlparse

    from django.conf import settings
    from django.core.mail import get_connection

    url = settings.TENANT_SMTP.get(tenant_slug)
    if not url:
        return None
    u = urlparse(url)
    return get_connection("django.core.mail.backends.smtp.EmailBackend",
                          host=u.hostname, port=u.port or (465 if u.scheme == "smtps" else 587),
                          username=unquote(u.username or ""),
                          password=unquote(u.password or ""),
                          use_tls=u.scheme == "smtp+tls", use_ssl=u.scheme == "smtps",
                          timeout=30)


#: a letter "sending" for longer than this was interrupted (worker killed mid-send)
SENDING_TIMEOUT = timedelta(minutes=10)


#: The moves a letter may make; every change of status goes through letter_transition, which
#: checks this table and saves (a historical row each time). "sent" is final; "no address"
#: is printed and posted by the team; "failed" is retried by a person or the batch resend.
LETTER_MOVES: dict[str, frozenset[str]] = {
    Letter.Status.DRAFT: frozenset({Letter.Status.RENDERED, Letter.Status.NO_ADDRESS,
                                    Letter.Status.SENDING}),
    Letter.Status.RENDERED: frozenset({Letter.Status.NO_ADDRESS, Letter.Status.SENDING}),
    Letter.Status.SENDING: frozenset({Letter.Status.SENT, Letter.Status.FAILED}),
    Letter.Status.FAILED: frozenset({Letter.Status.RENDERED, Letter.Status.NO_ADDRESS,
                                     Letter.Status.SENDING}),
    Letter.Status.SENT: frozenset(),
    Letter.Status.NO_ADDRESS: frozenset(),
}


def letter_transition(letter: Letter, to: str, *, save: bool = True, **fields) -> Letter:
    """Move a locked ``letter`` to ``to`` with the given fields (``save=False``: the caller
    saves after further changes), or raise: a move outside LETTER_MOVES is a programming
    error, never a state a letter should reach."""
    if to not in LETTER_MOVES[letter.status]:
        raise ValueError(f"a letter {letter.status} cannot become {to}")
    letter.status = to
    for name, value in fields.items():
        setattr(letter, name, value)
    if save:
        letter.save()
    return letter


def letter_send(*, letter_id, tenant_id) -> str:
    """Render (once) and send (once), in three steps so that a worker killed at any point
    never sends twice and loses nothing:

    1. under the row lock: render the PDF if needed, mark "sending", count the attempt —
       committed before any e-mail leaves;
    2. send the e-mail (Message-ID fixed per letter, so a receiving system can deduplicate);
    3. mark "sent" (or "failed" with the error, raised again for the task's retry).

    A redelivered task finds "sent" (nothing to do) or "sending" (another worker is on it, or
    it was interrupted: ``letters_reconcile`` flags it for a person to check)."""
    with tenant_context(tenant_id), transaction.atomic():
        letter = (Letter.objects.select_for_update(of=("self",))
                  .select_related("enrollment__patient", "gp").get(pk=letter_id))
        if letter.status in (Letter.Status.SENT, Letter.Status.NO_ADDRESS,
                             Letter.Status.SENDING):
            return letter.status
        if not letter.pdf:
            pdf = render_pdf(letter)
            letter_transition(letter, Letter.Status.RENDERED, save=False, pdf=pdf,
                              sha256=hashlib.sha256(pdf).hexdigest())
        address = letter.gp and (letter.gp.secure_email or letter.gp.email)
        if not address:
            return letter_transition(letter, Letter.Status.NO_ADDRESS).status
        letter_transition(letter, Letter.Status.SENDING, attempts=letter.attempts + 1,
                          sending_at=timezone.now())
    error: Exception | None = None
    try:
        message = EmailMessage(letter.subject, letter.body, None, [address],
                               headers={"Message-ID": f"<letter-{letter.pk}@constel>"},
                               connection=smtp_connection(
                                   Tenant.objects.get(pk=tenant_id).slug))
        message.attach(f"courrier-{letter.pk}.pdf", bytes(letter.pdf), "application/pdf")
        message.send()
    except TRANSIENT as exc:
        error = exc
    with tenant_context(tenant_id), transaction.atomic():
        letter = Letter.objects.select_for_update(of=("self",)).get(pk=letter_id)
        if error is None:
            letter_transition(letter, Letter.Status.SENT, sent_at=timezone.now(),
                              last_error="")
        else:
            letter_transition(letter, Letter.Status.FAILED, last_error=str(error)[:300])
    if error is not None:
        raise error
    return letter.status


def letters_reconcile(*, tenant: Tenant, now=None) -> int:
    """Periodic: letters left "sending" (a worker killed between handing the e-mail to the
    SMTP server and recording it) cannot be known sent or not; they become "failed" with a
    note, on the nurse's worklist, to be checked with the GP before a retry — never resent
    blindly (no duplicate), never forgotten (no loss). Returns how many were flagged."""
    now = now or timezone.now()
    with tenant_context(tenant):
        flagged = 0
        with transaction.atomic():  # each flagged letter keeps its history (who: the job)
            for letter in Letter.objects.select_for_update(skip_locked=True).filter(
                    status=Letter.Status.SENDING, sending_at__lt=now - SENDING_TIMEOUT):
                letter_transition(letter, Letter.Status.FAILED, last_error=(
                    "Interrupted while sending: check with the GP whether it arrived before "
                    "sending it again."))
                flagged += 1
        # Letters never picked up (their message lost: the broker was down when they were
        # queued, or restarted without persistence) are queued again; the send task never
        # sends a letter twice, so a letter queued twice is sent once.
        lost = [str(pk) for pk in Letter.objects.filter(
            status__in=[Letter.Status.DRAFT, Letter.Status.RENDERED],
            created_at__lt=now - SENDING_TIMEOUT).values_list("pk", flat=True)]
    if lost:
        letters_resend(tenant=tenant, letter_ids=lost)
    return flagged


def letters_resend(*, tenant: Tenant, letter_ids=None, since=None) -> int:
    """Batch (after an SMTP outage): queue the failed letters (all, or those given, or those
    created since a date) again. Letters already sent are never queued: no duplicate."""
    from letters.tasks import send_letter_task

    with tenant_context(tenant):
        qs = Letter.objects.filter(status__in=[Letter.Status.FAILED, Letter.Status.DRAFT,
                                               Letter.Status.RENDERED])
        if letter_ids is not None:
            qs = qs.filter(pk__in=letter_ids)
        if since is not None:
            qs = qs.filter(created_at__date__gte=since)
        ids = [str(pk) for pk in qs.values_list("pk", flat=True)]
    for pk in ids:
        send_letter_task.delay(str(tenant.pk), pk)
    return len(ids)
