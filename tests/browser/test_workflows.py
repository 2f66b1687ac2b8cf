"""Issue #21's journeys in the browser, as its users would take them, the outcome asserted:
the GP's change request after a first error, a nurse facing an escalated alert, a finance
clerk typing 2031, searches for "bernard marcel" and "francoise", two homonyms on the
worklist, a weight drop of 14 kg and "15/9" on a phone. Screenshots in test-artifacts/."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from constel.roles import Role
from constel.tenancy import tenant_context
from tests.browser.test_journeys import _login, _shot

pytestmark = [pytest.mark.browser]


def test_gp_asks_for_changes_after_a_first_error_and_the_nurse_reads_them(
        browser, live_server, world, no_staff_mfa):
    from pathways.models import CarePlan

    page = browser.new_page(locale="fr-FR")
    _login(page, live_server, world.user(Role.GP).email)
    page.goto(live_server.url + reverse("gp:care_plan", args=[world.care_plan.pk]))
    assert page.locator("input[name=answer]:checked").count() == 0  # nothing pre-selected
    page.check("input[name=answer][value=changes]")
    page.click("form.django button[type=submit]")  # no text: refused
    page.wait_for_load_state()
    assert page.locator("input[name=answer][value=changes]").is_checked()  # choice kept
    assert page.locator("#gp-comment-error").count() == 1
    _shot(page, "gp-changes-first-error")
    page.fill("#gp-comment", "Ajouter une consultation diététique")
    page.click("form.django button[type=submit]")
    page.wait_for_load_state()
    with tenant_context(world.tenant):
        plan = CarePlan.objects.get(pk=world.care_plan.pk)
    assert plan.gp_status == "changes_requested"
    assert plan.gp_comment == "Ajouter une consultation diététique"
    page.close()
    nurse = browser.new_page(locale="fr-FR")
    _login(nurse, live_server, world.user(Role.NURSE_COORDINATOR).email)
    nurse.goto(live_server.url + reverse("pathways:worklist"))
    assert "Ajouter une consultation diététique" in nurse.content()
    _shot(nurse, "nurse-worklist-gp-changes")
    nurse.close()


def test_a_nurse_cannot_close_an_escalated_alert_the_physician_does_after_confirming(
        browser, live_server, world, no_staff_mfa):
    from telemonitoring.models import Alert
    from telemonitoring.services import (
        alert_escalate,
        alert_take,
        evaluate_readings,
        reading_record,
    )

    readings = reading_record(enrollment=world.enrollment, indicator_code="spo2", value="84",
                              measured_at=timezone.now(), entered_by=None, source="portal")
    evaluate_readings(tenant_id=world.tenant.pk, reading_ids=[r.pk for r in readings])
    nurse = world.user(Role.NURSE_COORDINATOR)
    with tenant_context(world.tenant):
        alert = Alert.objects.get(enrollment=world.enrollment)
    alert_escalate(alert=alert_take(alert=alert, nurse=nurse), by=nurse,
                   note="Essoufflée au téléphone")
    url = live_server.url + reverse("telemonitoring:alert", args=[alert.pk])
    page = browser.new_page(locale="fr-FR")
    _login(page, live_server, nurse.email)
    page.goto(url)
    assert page.locator("input[name=action][value=close]").count() == 0
    page.fill("#add-note", "Rappelée : toujours essoufflée")
    page.click("form:has(input[value=note]) button[type=submit]")
    page.wait_for_load_state()
    _shot(page, "nurse-escalated-alert")
    page.close()
    doctor = browser.new_page(locale="fr-FR")
    _login(doctor, live_server, world.user(Role.PHYSICIAN_COORDINATOR).email)
    doctor.goto(url)
    content = doctor.content()
    assert "Essoufflée au téléphone" in content and "toujours essoufflée" in content
    doctor.check("input[name=outcome][value=medical_action]")
    doctor.fill("#gp-inv", "Médecin traitant prévenu par téléphone")
    doctor.click("form:has(input[value=close]) button[type=submit]")
    doctor.wait_for_load_state()
    assert "Clôturer cette alerte\u202f?" in doctor.content()
    _shot(doctor, "physician-close-confirm")
    doctor.click("form:has(input[name=confirmed]) button[type=submit]")
    doctor.wait_for_load_state()
    with tenant_context(world.tenant):
        alert.refresh_from_db()
    assert alert.status == "closed" and alert.outcome == "medical_action"
    doctor.close()


def test_a_finance_clerk_typing_2031_is_told_and_nothing_is_compiled(
        browser, live_server, world, no_staff_mfa):
    from billing.models import ClaimStatement

    page = browser.new_page(locale="fr-FR")
    _login(page, live_server, world.user(Role.FINANCE).email)
    page.goto(live_server.url + reverse("billing:statements"))
    page.fill("#compile-period", "2031-01-01")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state()
    _shot(page, "finance-2031")
    assert page.locator("#compile-period").input_value() == "2031-01-01"  # kept as typed
    assert "pas encore commencé" in page.locator("#compile-period-error").inner_text()
    with tenant_context(world.tenant):
        assert not ClaimStatement.objects.filter(period_start__year=2031).exists()
    page.close()


def test_searches_people_type_and_homonyms_told_apart(browser, live_server, world,
                                                      no_staff_mfa):
    from engagement.models import Message
    from patients.models import Patient

    with tenant_context(world.tenant):
        for born in (date(1946, 3, 2), date(1958, 11, 23)):
            p = Patient.objects.create(tenant=world.tenant, birth_name="BERNARD",
                                       first_names="Marcel", birth_date=born, sex="M",
                                       site=world.site)
            Message.objects.create(tenant=world.tenant, patient=p, from_patient=True,
                                   body="Bonjour")
        Patient.objects.create(tenant=world.tenant, birth_name="LEFÈVRE",
                               first_names="Françoise", birth_date=date(1949, 5, 5), sex="F",
                               site=world.site)
    page = browser.new_page(locale="fr-FR")
    _login(page, live_server, world.user(Role.NURSE_COORDINATOR).email)
    page.goto(live_server.url + reverse("pathways:worklist"))
    content = page.content()
    assert "02/03/1946" in content and "23/11/1958" in content  # homonyms told apart
    _shot(page, "worklist-homonyms")
    for typed, expected in (("bernard marcel", "23/11/1958"), ("francoise", "LEFÈVRE")):
        page.goto(live_server.url + reverse("patients:list"))
        page.fill("#q", typed)
        page.press("#q", "Enter")
        page.wait_for_load_state()
        assert expected in page.content(), typed
    _shot(page, "search-francoise")
    page.close()


def test_a_weight_drop_of_14_kg_and_15_9_on_a_phone(browser, live_server, world):
    from engagement.models import Message
    from telemonitoring.models import Reading
    from telemonitoring.services import reading_record
    from tests.portal.test_readings import _follow_blood_pressure

    _follow_blood_pressure(world)
    reading_record(enrollment=world.enrollment, indicator_code="body_weight", value="86,4",
                   measured_at=timezone.now() - timedelta(days=1), entered_by=None,
                   source="portal")
    context = browser.new_context(viewport={"width": 375, "height": 812}, locale="fr-FR",
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    _login(page, live_server, world.user(Role.PATIENT).email)
    page.goto(live_server.url + reverse("portal:readings"))
    page.fill("#r-systolic_bp", "15/9")
    page.click("button.button-wide >> nth=-1")
    page.wait_for_load_state()
    assert "150/90 mmHg" in page.content()
    _shot(page, "patient-15-9")
    page.fill("#r-systolic_bp", "")
    page.fill("#r-body_weight", "72,5")
    page.click("button.button-wide >> nth=-1")
    page.wait_for_load_state()
    assert "Confirmez-vous" in page.content()
    _shot(page, "patient-weight-confirm")
    with tenant_context(world.tenant):
        assert Reading.objects.filter(enrollment=world.enrollment).count() == 1
    page.click("button[name=confirm_unusual]")
    page.wait_for_load_state()
    with tenant_context(world.tenant):
        assert Reading.objects.filter(enrollment=world.enrollment,
                                      indicator__code="body_weight").count() == 2
        assert Message.objects.filter(patient=world.patient, from_patient=True,
                                      body__contains="72,5").exists()
    context.close()
