"""The demo as a newcomer meets it: its data load as the application's role (row-level
security on, as ``make demo`` does), and the flow the product exists for works on it — a
reading the patient types on the portal opens an alert the nurse sees."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from constel.models import Tenant, User
from constel.tenancy import tenant_context
from demo import data as demo

pytestmark = pytest.mark.django_db


def test_demo_loads_and_a_portal_reading_opens_an_alert_the_nurse_sees(
        client, settings, django_capture_on_commit_callbacks):
    from pathways.models import Enrollment
    from telemonitoring.models import AlertEvent, AlertRule, Reading

    settings.CONSTEL_REQUIRE_STAFF_MFA = False
    logins = demo.load(patients_per_tenant=4)
    emails = {login.email for login in logins}
    assert {"idec@constel.demo", "patient@constel.demo", "facturation@cardioplus.demo"} <= emails

    patient_user = User.objects.get(email="patient@constel.demo")
    tenant = Tenant.objects.get(slug="constel-action")
    with tenant_context(tenant):
        enrollment = Enrollment.objects.get(patient__user=patient_user)
        rule = (AlertRule.objects.filter(enrollment=enrollment, active=True,
                                         kind=AlertRule.Kind.BOUNDS)
                .exclude(crit_high=None).select_related("indicator").first())
        assert rule is not None, "the demo patient is followed on at least one bound"
        readings_before = set(Reading.objects.filter(enrollment=enrollment)
                              .values_list("pk", flat=True))
    value = (rule.crit_high * Decimal("1.05")).quantize(Decimal("0.1"))  # just over
    client.force_login(patient_user, backend="django.contrib.auth.backends.ModelBackend")
    typed = {rule.indicator.code: str(value).replace(".", ","), "diastolic_bp": "80"}
    with django_capture_on_commit_callbacks(execute=True):  # the evaluation, queued on commit
        answer = client.post(reverse("portal:readings"), typed)
        if b'name="confirm_unusual"' in answer.content:  # far from the last ones: confirmed
            answer = client.post(reverse("portal:readings"), {**typed, "confirm_unusual": "1"})
    assert answer.status_code == 302
    with tenant_context(tenant):
        new = Reading.objects.filter(enrollment=enrollment).exclude(pk__in=readings_before)
        assert new.count() == 1
        reading = new.get()
        assert reading.evaluated_at is not None
        event = AlertEvent.objects.select_related("alert").get(reading=reading, rule=rule)
        assert event.level == "critical"
        alert = event.alert
        assert alert.status in ("open", "acknowledged")

    nurse = User.objects.get(email="idec@constel.demo")
    client.force_login(nurse, backend="django.contrib.auth.backends.ModelBackend")
    page = client.get(reverse("telemonitoring:alerts"))
    assert page.status_code == 200
    assert str(alert.pk) in page.content.decode()
