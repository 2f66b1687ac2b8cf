"""The letters' pages: a failed letter retried from the worklist, the templates and their preview, the GP's inbox."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from constel import dates
from constel.roles import Role
from constel.tenancy import tenant_context
from letters.models import Letter
from letters.services import letter_send


def _letters(world, **kw):
    with tenant_context(world.tenant):
        return list(Letter.objects.filter(enrollment__patient__tenant=world.tenant, **kw))

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
    # Both reads are in the access log the privacy officer consults (the PDF's was not).
    from constel.models import AccessLog

    with tenant_context(world.tenant):
        views = set(AccessLog.objects.filter(patient_id=world.patient.pk,
                                             user=world.user(Role.GP))
                    .values_list("view", flat=True))
    assert {"gp:letter", "gp:letter_pdf"} <= views
    # Another GP's letter answers as missing, for the page and the PDF.
    login(world.unrelated_gp.user)
    assert client.get(reverse("gp:letter", args=[letter.pk])).status_code == 404
    assert client.get(reverse("gp:letter_pdf", args=[letter.pk])).status_code == 404


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
    client.post(reverse("letters:retry", args=[letter.pk]))
    (letter,) = _letters(world, kind="pps")
    assert letter.status == "sent" and len(mail.outbox) == 1


def test_programme_manager_edits_a_template_with_preview_and_errors_keep_the_old_one(
        client, login, world, monkeypatch):
    from letters import services as letter_services
    from letters.models import LetterTemplate

    login(world.user(Role.PROGRAMME_MANAGER))
    url = reverse("letters:template", args=["pps"])
    saved = client.post(url, {"action": "save", "opening": "Cher confrère, voici le PPS de "
                                                           "{{ patient_name }}.",
                              "closing": "Bien confraternellement, l'équipe de {{ programme }}."})
    assert saved.status_code == 302
    broken = client.post(url, {"action": "save", "opening": "{% if %}", "closing": ""})
    assert broken.status_code == 400 and 'aria-invalid="true"' in broken.content.decode()
    with tenant_context(world.tenant):
        assert LetterTemplate.objects.get(kind="pps").opening.startswith("Cher confrère")
    preview = client.post(url, {"action": "preview", "opening": "Aperçu {{ gp_name }}",
                                "closing": ""})
    assert preview["Content-Type"] == "application/pdf" and preview.content.startswith(b"%PDF")
    # The next letter carries the tenant's wording, with the patient's name filled in.
    seen = {}
    monkeypatch.setattr(letter_services, "render", lambda html: seen.setdefault("html", html)
                        and b"%PDF-fake")
    (letter,) = _letters(world, kind="pps")
    letter_send(letter_id=letter.pk, tenant_id=world.tenant.pk)
    assert "Cher confrère, voici le PPS de" in seen["html"]
    assert world.patient.birth_name in seen["html"].split("Cher confrère")[1]
    # A template cannot reach beyond the values it is given.
    opening, _closing = letter_services.render_frame("{{ patient.user.password }}", "",
                                                     {"patient_name": "X"})
    assert opening == ""


def test_a_letter_is_written_in_french_whatever_the_authors_screen(world):
    """Issue #22, item 5: a nurse whose screen is in English (or a worker's task) still
    writes the GP's letter in French — it was written in the author's language."""
    from django.utils import translation

    from letters.models import Letter
    from pathways.services.care_records import reconciliation_record

    with translation.override("en"):
        reconciliation_record(enrollment=world.enrollment, pharmacist=None,
                              done_on=dates.today(), discrepancies=2, conclusion="Arrêt AINS",
                              by=world.user(Role.NURSE_COORDINATOR))
    with tenant_context(world.tenant):
        letter = Letter.objects.get(enrollment=world.enrollment, kind="reconciliation")
    assert letter.body.startswith("Cher confrère") and "2 divergences" in letter.body
    assert "(s)" not in letter.body and "discrepanc" not in letter.body
