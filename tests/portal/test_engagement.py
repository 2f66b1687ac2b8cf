"""Portal (issue #8): messages with the care team, EPICES, appointments (.ics), my data."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from constel.roles import Role
from constel.tenancy import tenant_context
from engagement.models import Message, MessageAttachment, QuestionnaireResponse
from engagement.services import epices_record, epices_score, message_send

PDF = b"%PDF-1.4\n% a small document\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


def test_patient_writes_and_the_nurse_answers_with_unread_counts(client, login, world):
    patient_user, nurse = world.user(Role.PATIENT), world.user(Role.NURSE_COORDINATOR)
    login(patient_user)
    sent = client.post(reverse("portal:messages"), {
        "body": "Bonjour, j'ai oublié ma séance de jeudi.",
        "attachment": SimpleUploadedFile("ordonnance.pdf", PDF, "application/pdf")})
    assert sent.status_code == 302
    login(nurse)
    worklist = client.get(reverse("pathways:worklist")).content.decode()
    assert reverse("engagement:patient_messages", args=[world.patient.pk]) in worklist
    thread = client.get(reverse("engagement:patient_messages", args=[world.patient.pk]))
    assert "oublié ma séance" in thread.content.decode()
    with tenant_context(world.tenant):
        assert Message.objects.get(from_patient=True).read_by == nurse
        attachment = MessageAttachment.objects.get()
    download = client.get(reverse("engagement:message_attachment", args=[attachment.pk]))
    assert download.content == PDF and download["Content-Type"] == "application/pdf"
    client.post(reverse("engagement:patient_messages", args=[world.patient.pk]),
                {"body": "Pas de souci, nous la reprogrammons."})
    login(patient_user)
    home = client.get(reverse("portal:home")).content.decode()
    assert reverse("portal:messages") in home and ("1 nouveau message" in home
                                                   or "1 new message" in home)
    page = client.get(reverse("portal:messages")).content.decode()
    assert "nous la reprogrammons" in page
    home = client.get(reverse("portal:home")).content.decode()
    assert "nouveau message" not in home and "new message" not in home


@pytest.mark.parametrize(("name", "data", "message"), [
    ("photo.pdf", PNG, "Only PDF documents and photos"),  # a PNG calling itself a PDF
    ("script.pdf", b"#!/bin/sh\nrm -rf /", "Only PDF documents and photos"),
    ("page.html", b"<html>", "Only PDF documents and photos"),
    ("big.pdf", b"%PDF-" + b"0" * (5 * 1024 * 1024), "too large"),
])
def test_disguised_or_oversized_attachments_are_refused(world, name, data, message):
    with pytest.raises(ValidationError, match=message):
        message_send(patient=world.patient, author=world.user(Role.PATIENT), from_patient=True,
                     body="x", attachment=SimpleUploadedFile(name, data))
    with tenant_context(world.tenant):
        assert not Message.objects.exists()


def test_attachment_form_error_is_shown_and_nothing_saved(client, login, world):
    login(world.user(Role.PATIENT))
    response = client.post(reverse("portal:messages"), {
        "body": "Voici la photo", "attachment": SimpleUploadedFile("photo.jpg", PDF)})
    assert response.status_code == 400 and 'aria-invalid="true"' in response.content.decode()
    with tenant_context(world.tenant):
        assert not Message.objects.exists()


def test_a_patient_cannot_open_another_patients_attachment(client, login, world, other_world):
    message = message_send(patient=other_world.patient, author=other_world.user(Role.PATIENT),
                           from_patient=True, body="x",
                           attachment=SimpleUploadedFile("a.pdf", PDF))
    with tenant_context(other_world.tenant):
        pk = message.attachments.get().pk
    login(world.user(Role.PATIENT))
    assert client.get(reverse("portal:attachment", args=[pk])).status_code == 404


def test_epices_weights_give_0_to_100():
    assert epices_score([True, False, False, False, True, False, False, False, False, False,
                         False]) == Decimal("100.00")
    assert epices_score([False, True, True, True, False, True, True, True, True, True,
                         True]) == Decimal("0.00")  # -0.06 shown as 0
    # Only a social worker and a complementary insurance: 75.14 + 10.06 - 11.83
    assert epices_score([True, True] + [False] * 9) == Decimal("73.37")


def test_epices_on_the_portal_is_scored_and_shown_to_the_care_team(client, login, world):
    login(world.user(Role.PATIENT))
    incomplete = client.post(reverse("portal:epices"), {"q0": "yes"})
    assert incomplete.status_code == 400
    answers = {f"q{i}": "no" for i in range(11)}
    answers.update(q0="yes", q4="yes")  # social worker, financial difficulties
    assert client.post(reverse("portal:epices"), answers).status_code == 302
    with tenant_context(world.tenant):
        r = QuestionnaireResponse.objects.get()
    assert r.score == Decimal("100.00") and r.flagged
    login(world.user(Role.NURSE_COORDINATOR))
    body = client.get(reverse("patients:detail", args=[world.patient.pk])).content.decode()
    assert "EPICES" in body and "100" in body


def test_epices_refuses_answers_out_of_range(world):
    with pytest.raises(ValidationError, match="missing: 3"):
        epices_record(patient=world.patient, by=None, answers={
            **{str(i): "no" for i in range(11)}, "2": "maybe"})


def test_appointments_page_and_calendar_file(client, login, world):
    login(world.user(Role.PATIENT))
    page = client.get(reverse("portal:appointments")).content.decode()
    assert reverse("portal:appointments_ics") in page
    ics = client.get(reverse("portal:appointments_ics"))
    text = ics.content.decode()
    assert ics["Content-Type"].startswith("text/calendar")
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.rstrip().endswith("END:VCALENDAR")
    assert f"UID:{world.activity.pk}@constel" in text
    start = world.activity.scheduled_at.astimezone(UTC)
    assert f"DTSTART:{start:%Y%m%dT%H%M%SZ}" in text and "SUMMARY:" in text


def test_my_data_zip_holds_my_records_and_nobody_elses(client, login, world, other_world):
    message_send(patient=world.patient, author=world.user(Role.PATIENT), from_patient=True,
                 body="Ma question", attachment=SimpleUploadedFile("scan.pdf", PDF))
    login(world.user(Role.PATIENT))
    response = client.get(reverse("portal:export"))
    assert response["Content-Type"] == "application/zip"
    z = zipfile.ZipFile(io.BytesIO(response.content))
    names = z.namelist()
    assert {"identite.csv", "mesures.csv", "alertes.csv", "messages.csv"} <= set(names)
    assert any(n.startswith("pps/") and n.endswith(".pdf") for n in names)
    assert z.read([n for n in names if n.startswith("pps/")][0]).startswith(b"%PDF")
    identity = z.read("identite.csv").decode()
    assert world.patient.birth_name in identity and other_world.patient.birth_name not in identity
    assert "Ma question" in z.read("messages.csv").decode()
    assert any(n.endswith("scan.pdf") for n in names)


def test_portal_home_lists_what_to_do_today(client, login, world):
    login(world.user(Role.PATIENT))
    body = client.get(reverse("portal:home")).content.decode()
    assert reverse("portal:readings") in body
    assert reverse("portal:epices") in body  # questionnaire not answered yet
    assert world.activity.scheduled_at > timezone.now() - timedelta(days=1)
    assert reverse("portal:appointments") in body  # the next appointment


def test_patient_objects_to_evaluation_then_leaves_the_programme(client, login, world):
    from letters.models import Letter
    from pathways.models import Enrollment
    from patients.models import Consent

    login(world.user(Role.PATIENT))
    assert client.post(reverse("portal:consents"),
                       {"action": "object_evaluation"}).status_code == 302
    with tenant_context(world.tenant):
        latest = Consent.objects.filter(patient=world.patient,
                                        kind="evaluation_objection").first()
    assert latest.granted and latest.method == "portal"
    unconfirmed = client.post(reverse("portal:consents"), {"action": "leave"})
    assert unconfirmed.status_code == 400
    with tenant_context(world.tenant):
        assert Enrollment.objects.get(pk=world.enrollment.pk).phase != "exited"
    client.post(reverse("portal:consents"), {"action": "leave", "confirm": "yes",
                                             "note": "Je déménage."})
    with tenant_context(world.tenant):
        e = Enrollment.objects.get(pk=world.enrollment.pk)
        assert e.phase == "exited" and e.exit_reason == "patient_choice"
        assert Letter.objects.filter(enrollment=e, kind="exit").exists()
    page = client.get(reverse("portal:consents")).content.decode()
    assert 'value="leave"' not in page


def test_sms_reminder_the_day_before_once_and_the_patient_can_opt_out(client, login, world):
    from constel import sms  # the test settings' SMS backend keeps messages in sms.outbox
    from pathways.models import Activity
    from pathways.services.activities import appointments_remind

    with tenant_context(world.tenant):
        world.patient.phone = "06 12 34 56 78"
        world.patient.save()
        Activity.objects.filter(pk=world.activity.pk).update(
            scheduled_at=timezone.now() + timedelta(days=1))
    sms.outbox.clear()
    assert appointments_remind(tenant=world.tenant) == 1
    assert sms.outbox[-1].to == "06 12 34 56 78" and "demain" in sms.outbox[-1].body
    assert appointments_remind(tenant=world.tenant) == 0  # once
    login(world.user(Role.PATIENT))
    client.post(reverse("portal:appointments"), {"sms": "off"})
    with tenant_context(world.tenant):
        world.patient.refresh_from_db()
        assert not world.patient.appointment_sms
        Activity.objects.filter(pk=world.activity.pk).update(reminder_sent_at=None)
    assert appointments_remind(tenant=world.tenant) == 0


def test_gp_patient_summary_respects_the_online_access_agreement(client, login, world):
    from telemonitoring.services import evaluate_readings, reading_record

    readings = reading_record(enrollment=world.enrollment, indicator_code="spo2", value="86",
                              measured_at=timezone.now(), entered_by=None, source="portal")
    evaluate_readings(tenant_id=world.tenant.pk, reading_ids=[r.pk for r in readings])
    login(world.user(Role.GP))
    home = client.get(reverse("gp:home")).content.decode()
    url = reverse("gp:patient", args=[world.patient.pk])
    assert url in home
    body = client.get(url).content.decode()
    assert "<svg" in body and "PPS" in body  # charts and the care plan
    with tenant_context(world.tenant):
        world.patient.gp_online_access_agreed = False
        world.patient.save()
    body = client.get(url).content.decode()
    assert "<svg" not in body
    login(world.unrelated_gp.user)
    assert client.get(url).status_code == 404


def test_gp_answers_the_satisfaction_questionnaire_of_table_14(client, login, world):
    login(world.user(Role.GP))
    url = reverse("gp:questionnaire", args=["satisfaction-mt"])
    assert url in client.get(reverse("gp:home")).content.decode()
    bad = client.post(url, {"q0": "11", "q1": "yes"})
    assert bad.status_code == 400
    answers = {"q0": "8", "q1": "yes", "q2": "yes", "q3": "no", "q4": "yes", "q5": "no"}
    assert client.post(url, answers).status_code == 302
    with tenant_context(world.tenant):
        r = QuestionnaireResponse.objects.get(questionnaire__code="satisfaction-mt")
    assert r.answers == [8, "yes", "yes", "no", "yes", "no", None]
    assert url not in client.get(reverse("gp:home")).content.decode()  # answered


def test_questionnaire_answers_out_of_range_are_refused_naming_the_question(world):
    from engagement.models import Questionnaire
    from engagement.services import questionnaire_answer

    with tenant_context(world.tenant):
        prom = Questionnaire.objects.get(code="prom-eva")
    with pytest.raises(ValidationError) as exc:
        questionnaire_answer(questionnaire=prom, by=None, patient=world.patient,
                             answers={"0": "140"})
    assert "q0" in exc.value.message_dict and "0 to 100" in exc.value.message_dict["q0"][0]
    with pytest.raises(ValidationError):
        questionnaire_answer(questionnaire=prom, by=None, patient=world.patient,
                             answers={"0": "beaucoup"})
    with tenant_context(world.tenant):
        assert not QuestionnaireResponse.objects.exists()


def test_patient_answers_a_prem_seen_by_the_care_team(client, login, world):
    login(world.user(Role.PATIENT))
    url = reverse("portal:questionnaire", args=["prem-suivi"])
    assert url in client.get(reverse("portal:home")).content.decode()
    client.post(url, {"q0": "9", "q1": "yes", "q2": "yes", "q3": "Très bien suivie"})
    assert url not in client.get(reverse("portal:home")).content.decode()
    login(world.user(Role.NURSE_COORDINATOR))
    body = client.get(reverse("patients:detail", args=[world.patient.pk])).content.decode()
    assert "Très bien suivie" in body
    assert client.get(reverse("portal:questionnaire", args=["satisfaction-mt"])).status_code \
        == 403  # the nurse has no portal


def test_a_carer_gets_their_own_login_recorded_as_such_and_can_lose_it(
        client, login, world, django_capture_on_commit_callbacks):
    import re as _re

    from django.core import mail

    from constel.models import User
    from patients.models import CarerAccess
    from patients.services import invitation_accept

    login(world.user(Role.NURSE_COORDINATOR))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("patients:invite", args=[world.patient.pk]),
                    {"carer_name": "Sophie Martin", "email": "sophie.aidante@example.test"})
    link = _re.search(r"/portal/invitation/[^/]+/([^/\s]+)/", mail.outbox[-1].body)
    assert link and mail.outbox[-1].to == ["sophie.aidante@example.test"]
    carer = invitation_accept(tenant=world.tenant, token=link.group(1),
                              password="un-mot-de-passe-solide-51")
    with tenant_context(world.tenant):
        world.patient.refresh_from_db()
        assert world.patient.user_id != carer.pk  # the patient's own account is unchanged
        access = CarerAccess.objects.get(patient=world.patient)
    assert access.name == "Sophie Martin" and User.objects.get(pk=carer.pk).first_name == "Sophie"
    login(carer)
    home = client.get(reverse("portal:home")).content.decode()
    assert "aidant" in home or "carer" in home
    client.post(reverse("portal:messages"), {"body": "Ma mère a mal dormi."})
    with tenant_context(world.tenant):
        message = Message.objects.get(patient=world.patient)
    assert message.author_id == carer.pk and message.from_patient
    login(world.user(Role.NURSE_COORDINATOR))
    thread = client.get(reverse("engagement:patient_messages", args=[world.patient.pk]))
    assert "Sophie" in thread.content.decode()
    client.post(reverse("patients:carer_revoke", args=[world.patient.pk, access.pk]))
    login(carer)
    assert client.get(reverse("portal:home")).status_code == 404


MP4 = b"\0\0\0\x18ftypmp42" + b"\0" * 64


def test_team_uploads_a_video_gives_it_and_the_patient_watches_it(client, login, world):
    from engagement.models import ContentAssignment

    login(world.user(Role.NURSE_COORDINATOR))
    bad = client.post(reverse("engagement:contents"), {
        "title": "Marche", "video": SimpleUploadedFile("marche.mp4", b"not a video")})
    assert bad.status_code == 400
    client.post(reverse("engagement:contents"), {
        "title": "Marcher après 70 ans", "body": "Dix minutes par jour, puis vingt.",
        "video": SimpleUploadedFile("marche.mp4", MP4)})
    page = client.get(reverse("engagement:patient_messages", args=[world.patient.pk]))
    item_id = page.context["contents"][0].pk
    client.post(reverse("engagement:content_assign", args=[world.patient.pk]), {"item": item_id})
    login(world.user(Role.PATIENT))
    body = client.get(reverse("portal:contents")).content.decode()
    assert "Marcher après 70 ans" in body and "<video" in body
    with tenant_context(world.tenant):
        a = ContentAssignment.objects.get()
    video = client.get(reverse("portal:content_video", args=[a.pk]))
    assert b"".join(video.streaming_content) == MP4 and video["Content-Type"] == "video/mp4"
    with tenant_context(world.tenant):
        a.refresh_from_db()
    assert a.opened_at is not None


def test_the_patients_pps_says_years_in_plain_french(client, login, world):
    """Issue #22, item 9: "pendant 2 ans", never "2 an(s)"."""
    import html as _html

    login(world.user(Role.PATIENT))
    page = _html.unescape(client.get(reverse("portal:care_plan")).content.decode())
    assert "(s)" not in page
    assert "pour 2 ans" in page or "pour 1 an." in page
