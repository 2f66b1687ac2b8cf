"""Exports, the GP's scope and the response hardening (issue #19 findings 3, 4, 6, 7),
checked against DESIGN §3 as written, not against the project's scope function."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from constel.models import AccessLog
from constel.roles import Role
from constel.tenancy import tenant_context
from letters.models import Letter
from pathways.models import Activity
from patients.models import Patient
from telemonitoring.models import Alert
from tests.factories import follow_up_patient

pytestmark = pytest.mark.django_db


# --- Finding 3: the staff-side export is the privacy officer's -------------------------------

@pytest.mark.parametrize("role", [Role.SECRETARY, Role.NURSE_COORDINATOR, Role.GP,
                                  Role.FINANCE, Role.PROGRAMME_MANAGER])
def test_no_role_but_the_privacy_officer_downloads_a_patients_record(client, login, world,
                                                                     role):
    login(world.user(role))
    url = reverse("patients:data_export", args=[world.patient.pk])
    for method in (client.get, client.post):
        response = method(url, {"reference": "courrier du 01/12"})
        assert response.status_code in (403, 405)
        assert response.get("Content-Type") != "application/zip"


def test_the_privacy_officer_exports_on_a_request_and_it_is_logged(client, login, world):
    with tenant_context(world.tenant):
        # she objects to sharing: her right of access is not affected
        Patient.objects.filter(pk=world.patient.pk).update(objects_to_sharing=True)
    login(world.user(Role.PRIVACY_OFFICER))
    page = client.get(reverse("patients:data_requests"), {"q": world.patient.birth_name})
    assert world.patient.birth_name in page.content.decode()
    url = reverse("patients:data_export", args=[world.patient.pk])
    assert client.post(url).status_code == 302  # no request named: back to the form
    with tenant_context(world.tenant):
        assert not AccessLog.objects.filter(patient_id=world.patient.pk,
                                            view="patients:data_export").exists()
    response = client.post(url, {"reference": "Courrier reçu le 01/12/2026"})
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert response["Cache-Control"] == "no-store"
    assert "attachment" in response["Content-Disposition"]
    with tenant_context(world.tenant):
        log = AccessLog.objects.get(patient_id=world.patient.pk, view="patients:data_export")
    assert log.reason == "Courrier reçu le 01/12/2026"
    assert log.user_id == world.user(Role.PRIVACY_OFFICER).pk


def test_two_letters_of_one_kind_on_one_day_are_both_in_the_zip(world):
    from patients.services import patient_data_zip

    with tenant_context(world.tenant):
        for n in range(2):
            Letter.objects.create(tenant=world.tenant, enrollment=world.enrollment,
                                  kind="alert", event_key=f"k{n}", subject=f"S{n}", body="",
                                  pdf=f"%PDF-1.4 letter {n}".encode())
        names = zipfile.ZipFile(io.BytesIO(patient_data_zip(patient=world.patient))).namelist()
    alert_letters = [n for n in names if n.startswith("courriers/") and "-alert" in n]
    assert len(alert_letters) == 2 and len(set(names)) == len(names)


# --- Finding 4: one rule wherever a GP reads ------------------------------------------------

@pytest.fixture
def three(world):
    """The GP's patients: agreed (A), not agreed (B), agreed but objecting (C)."""
    a = world.enrollment
    b = follow_up_patient(world, "SANSACCORD")
    c = follow_up_patient(world, "OPPOSEE")
    with tenant_context(world.tenant):
        Patient.objects.filter(pk=b.patient_id).update(gp_online_access_agreed=False)
        Patient.objects.filter(pk=c.patient_id).update(gp_online_access_agreed=True,
                                                       objects_to_sharing=True)
        for e in (a, b, c):
            Activity.objects.create(tenant=world.tenant, enrollment=e, kind="call",
                                    scheduled_at=timezone.now(), status="planned")
    return a, b, c


def test_gp_api_activities_only_of_patients_who_agreed_and_do_not_object(
        client, world, three, capsys):
    from django.core.management import call_command

    a, b, c = three
    call_command("create_api_token", world.user(Role.GP).email, "--tenant", world.tenant.slug)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {capsys.readouterr().out.strip()}"}
    rows = client.get("/api/v1/activities/?page_size=200", **auth).json()["results"]
    assert {r["enrollment"] for r in rows} == {str(a.pk)}
    for e in (b, c):
        response = client.get(f"/api/v1/activities/?enrollment={e.pk}", **auth)
        assert response.json()["results"] == []
    assert client.get("/api/v1/activities/?enrollment=abc", **auth).status_code == 200


def test_gp_pps_page_and_summary_follow_the_agreement(client, login, world, three):
    from pathways.models import CarePlan

    a, b, c = three
    login(world.user(Role.GP))
    for e, visible in ((a, True), (b, False), (c, False)):
        with tenant_context(world.tenant):
            plan = CarePlan.objects.filter(enrollment=e).exclude(status="draft").first()
        response = client.get(reverse("gp:care_plan", args=[plan.pk]))
        assert response.status_code == (200 if visible else 404), e
        summary = client.get(reverse("gp:patient", args=[e.patient_id])).content.decode()
        assert (reverse("gp:care_plan", args=[plan.pk]) in summary) is visible


def test_gp_home_counts_no_alert_of_a_patient_who_objects(client, login, world, three):
    _a, _b, c = three
    with tenant_context(world.tenant):
        from telemonitoring.models import AlertRule

        rule = AlertRule.objects.filter(enrollment=c, active=True).first()
        Alert.objects.create(tenant=world.tenant, enrollment=c, indicator=rule.indicator,
                             rule=rule, level="critical", status="open",
                             opened_at=timezone.now())
    login(world.user(Role.GP))
    page = client.get(reverse("gp:home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    rows = [r for r in page.split("<tr") if "OPPOSEE" in r and "not shared" in r]
    assert len(rows) == 1 and ">1<" not in rows[0]


@pytest.mark.parametrize("name", ["patients:detail", "pathways:enrollment"])
def test_gp_never_opens_the_back_office_pages(client, login, world, name):
    login(world.user(Role.GP))
    args = [world.patient.pk] if name == "patients:detail" else [world.enrollment.pk]
    assert client.get(reverse(name, args=args)).status_code == 403


# --- Finding 6: the file name a clinician saves ---------------------------------------------

def test_an_attachments_name_cannot_choose_what_the_nurses_browser_saves(client, login, world):
    from engagement.services import message_send

    evil = 'evil.html"; filename*=UTF-8\'\'evil.html; x=".pdf'
    message = message_send(patient=world.patient, author=world.user(Role.PATIENT),
                           from_patient=True, body="Mon ordonnance",
                           attachment=SimpleUploadedFile(evil, b"%PDF-1.4 demo",
                                                         "application/pdf"))
    with tenant_context(world.tenant):
        attachment = message.attachments.get()
    login(world.user(Role.NURSE_COORDINATOR))
    response = client.get(reverse("engagement:message_attachment", args=[attachment.pk]))
    header = response["Content-Disposition"]
    assert response.status_code == 200
    # one plain file name, saved with the extension of what the content is (a PDF)
    assert header.count("filename=") == 1 and "filename*" not in header
    assert header.startswith('attachment; filename="') and header.endswith('.pdf"')
    assert header.count('"') == 2


# --- Finding 7: hardening -------------------------------------------------------------------

def test_pages_and_api_with_patient_data_are_never_cached(client, login, world, capsys):
    from django.core.management import call_command

    login(world.user(Role.NURSE_COORDINATOR))
    page = client.get(reverse("patients:detail", args=[world.patient.pk]))
    assert page["Cache-Control"] == "no-store"
    assert "camera=()" in page["Permissions-Policy"]
    call_command("create_api_token", world.user(Role.NURSE_COORDINATOR).email, "--tenant",
                 world.tenant.slug)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {capsys.readouterr().out.strip()}"}
    assert client.get("/api/v1/patients/", **auth)["Cache-Control"] == "no-store"


def test_messages_are_kept_in_the_session_not_in_a_cookie(client, login, world):
    login(world.user(Role.SECRETARY))
    response = client.post(reverse("patients:invite", args=[world.patient.pk]),
                           {"carer_name": "Sophie", "email": "sophie@example.test"})
    assert response.status_code == 302
    assert "messages" not in response.cookies
