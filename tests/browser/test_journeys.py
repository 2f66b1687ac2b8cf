"""Browser tests (issue #8): Playwright driving Debian's chromium, headless, against a live
server. Screenshots go to test-artifacts/; axe-core (vendored, tests/browser/axe.min.js,
MPL-2.0) checks the portal pages for serious or critical accessibility violations."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.urls import reverse

from constel.roles import Role
from constel.tenancy import tenant_context
from tests.factories import PASSWORD

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
AXE = (Path(__file__).parent / "axe.min.js").read_text()

pytestmark = [pytest.mark.browser]


def _login(page, live_server, email: str) -> None:
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def _axe(page) -> list[dict]:
    page.evaluate(AXE)  # through DevTools: the page's CSP (no inline script) stays on
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:3]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def _shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_patient_on_a_phone_enters_readings_and_answers_a_message(browser, live_server, world):
    from engagement.services import message_send
    from telemonitoring.models import Reading

    message_send(patient=world.patient, author=world.user(Role.NURSE_COORDINATOR),
                 from_patient=False, body="Bonjour Madame, pensez à votre pesée du matin.")
    context = browser.new_context(viewport={"width": 375, "height": 812},
                                  locale="fr-FR", is_mobile=True, has_touch=True)
    page = context.new_page()
    _login(page, live_server, world.user(Role.PATIENT).email)
    assert page.url.endswith(reverse("portal:home"))
    _shot(page, "patient-home")
    page.click("text=Mes mesures")
    page.fill("#r-body_weight", "71,4")  # the French comma
    page.fill("#r-spo2", "95")
    _shot(page, "patient-readings-form")
    page.click("button.button-wide")
    page.wait_for_load_state()
    assert page.locator("figure svg").count() >= 1  # the chart of the last 30 days
    _shot(page, "patient-readings-chart")
    with tenant_context(world.tenant):
        assert Reading.objects.filter(enrollment=world.enrollment).count() == 2
    page.goto(live_server.url + reverse("portal:messages"))
    assert "pensez à votre pesée" in page.content()
    page.fill("#m-body", "Merci, c'est noté !")
    page.click("button.button-wide")
    page.wait_for_load_state()
    assert "c'est noté" in page.content()
    _shot(page, "patient-messages")
    context.close()


def test_gp_validates_the_pps_and_opens_the_letter(browser, live_server, world, no_staff_mfa):
    from letters.models import Letter
    from letters.services import letter_send
    from pathways.models import CarePlan

    with tenant_context(world.tenant):
        letter = Letter.objects.get(enrollment=world.enrollment, kind="pps")
    letter_send(letter_id=letter.pk, tenant_id=world.tenant.pk)
    page = browser.new_page(locale="fr-FR")
    _login(page, live_server, world.user(Role.GP).email)
    page.goto(live_server.url + reverse("gp:care_plan", args=[world.care_plan.pk]))
    _shot(page, "gp-care-plan")
    page.check("input[name=answer][value=validate]")
    page.click("form.django button[type=submit]")
    page.wait_for_load_state()
    with tenant_context(world.tenant):
        assert CarePlan.objects.get(pk=world.care_plan.pk).gp_status == "validated"
    page.goto(live_server.url + reverse("gp:letters"))
    page.click(f"a[href='{reverse('gp:letter', args=[letter.pk])}']")
    page.wait_for_load_state()
    _shot(page, "gp-letter")
    with tenant_context(world.tenant):
        assert Letter.objects.get(pk=letter.pk).read_at is not None
    page.close()


def test_nurse_takes_and_closes_an_alert(browser, live_server, world, no_staff_mfa):
    from telemonitoring.models import Alert
    from telemonitoring.services import evaluate_readings, reading_record

    readings = reading_record(enrollment=world.enrollment, indicator_code="spo2", value="86",
                              measured_at=world.enrollment.created_at, entered_by=None,
                              source="portal")
    evaluate_readings(tenant_id=world.tenant.pk, reading_ids=[r.pk for r in readings])
    with tenant_context(world.tenant):
        alert = Alert.objects.get(enrollment=world.enrollment)
    page = browser.new_page(locale="fr-FR")
    _login(page, live_server, world.user(Role.NURSE_COORDINATOR).email)
    assert reverse("telemonitoring:alert", args=[alert.pk]) in page.content()  # on the worklist
    page.goto(live_server.url + reverse("telemonitoring:alert", args=[alert.pk]))
    page.click("form:has(input[value=take]) button")
    page.wait_for_load_state()
    page.check("input[name=outcome][value=advice]")
    page.click("form:has(input[value=close]) button[type=submit]")
    page.wait_for_load_state()
    assert "Clôturer cette alerte\u202f?" in page.content()  # closing asks once more
    page.click("form:has(input[name=confirmed]) button[type=submit]")
    page.wait_for_load_state()
    _shot(page, "nurse-alert-closed")
    with tenant_context(world.tenant):
        alert.refresh_from_db()
    assert alert.status == "closed" and alert.outcome == "advice"
    page.close()


@pytest.mark.parametrize("name", ["portal:home", "portal:readings", "portal:messages",
                                  "portal:epices", "portal:appointments", "portal:care_plan"])
def test_portal_pages_have_no_serious_accessibility_violation(browser, live_server, world,
                                                             name):
    context = browser.new_context(viewport={"width": 375, "height": 812}, locale="fr-FR")
    page = context.new_page()
    _login(page, live_server, world.user(Role.PATIENT).email)
    page.goto(live_server.url + reverse(name))
    _shot(page, "axe-" + name.replace(":", "-"))
    violations = _axe(page)
    context.close()
    assert violations == [], violations


def test_the_accessibility_check_does_find_violations(browser):
    """The check above would notice: an unlabelled field is reported as critical."""
    page = browser.new_page()
    page.set_content('<html lang="fr"><head><title>t</title></head><body><main>'
                     '<input type="text">'
                     '</main></body></html>')
    found = {v["id"] for v in _axe(page)}
    page.close()
    assert "label" in found
