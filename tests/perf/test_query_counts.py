"""Query discipline (issue #10, item 4): every list page and API list endpoint runs the same
number of SQL queries whatever the number of rows. Each case is requested once, the data
grows (four more patients in follow-up with PPS, rules, readings, alerts, activities, letters;
more readings, alerts and messages for the world's patient), and the same request must not
run one query more (``django_assert_max_num_queries`` with the first count)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from constel.roles import Role
from constel.tenancy import tenant_context
from tests.factories import World, follow_up_patient

R = Role

#: (label, URL name, kwargs from the world, role, query string)
CASES = [
    ("patients list", "patients:list", None, R.NURSE_COORDINATOR, ""),
    ("worklist", "pathways:worklist", None, R.NURSE_COORDINATOR, ""),
    ("alerts page", "telemonitoring:alerts", None, R.NURSE_COORDINATOR, ""),
    ("referrals inbox", "pathways:referrals", None, R.NURSE_COORDINATOR, ""),
    ("professionals directory", "patients:professionals", None, R.NURSE_COORDINATOR, ""),
    ("group sessions", "pathways:group_sessions", None, R.NURSE_COORDINATOR, ""),
    ("contents", "engagement:contents", None, R.NURSE_COORDINATOR, ""),
    ("patient page", "patients:detail", lambda w: {"patient_id": w.patient.pk},
     R.NURSE_COORDINATOR, ""),
    ("enrollment page", "pathways:enrollment", lambda w: {"enrollment_id": w.enrollment.pk},
     R.NURSE_COORDINATOR, ""),
    ("patient's messages (staff)", "engagement:patient_messages",
     lambda w: {"patient_id": w.patient.pk}, R.NURSE_COORDINATOR, ""),
    ("GP's patients", "gp:home", None, R.GP, ""),
    ("GP's letters", "gp:letters", None, R.GP, ""),
    ("GP's patient summary", "gp:patient", lambda w: {"patient_id": w.patient.pk}, R.GP, ""),
    ("portal home", "portal:home", None, R.PATIENT, ""),
    ("portal readings", "portal:readings", None, R.PATIENT, ""),
    ("portal messages", "portal:messages", None, R.PATIENT, ""),
    ("portal appointments", "portal:appointments", None, R.PATIENT, ""),
    ("claim statements", "billing:statements", None, R.FINANCE, ""),
    ("remuneration statements", "billing:remunerations", None, R.FINANCE, ""),
    ("access log", "access_log", None, R.PRIVACY_OFFICER, ""),
    ("API patients", "patient-list", None, R.NURSE_COORDINATOR, ""),
    ("API enrollments", "enrollment-list", None, R.NURSE_COORDINATOR, ""),
    ("API professionals", "professional-list", None, R.NURSE_COORDINATOR, ""),
    ("API activities", "activity-list", None, R.NURSE_COORDINATOR, ""),
    ("API care plans", "care-plan-list", None, R.NURSE_COORDINATOR, ""),
    ("API readings", "reading-list", None, R.NURSE_COORDINATOR, ""),
    ("API readings (patient)", "reading-list", None, R.PATIENT, ""),
    ("API alerts", "alert-list", None, R.NURSE_COORDINATOR, ""),
    ("API claim statements", "claim-statement-list", None, R.FINANCE, ""),
    ("FHIR observations", "fhir:observations", None, R.NURSE_COORDINATOR, "patient={patient}"),
    ("FHIR flags", "fhir:flags", None, R.NURSE_COORDINATOR, "patient={patient}"),
    ("FHIR care plans", "fhir:care_plans", None, R.NURSE_COORDINATOR, "patient={patient}"),
]


def _grow(world: World, patients: int, tag: str) -> None:
    """More of everything the list pages show."""
    from engagement.services import message_send
    from pathways.services.activities import activity_plan
    from telemonitoring.models import AlertRule, Indicator
    from telemonitoring.services import evaluate_readings, reading_record

    now = timezone.now()
    nurse = world.user(R.NURSE_COORDINATOR)
    for k in range(patients):
        e = follow_up_patient(world, f"CROISSANCE{tag}{k}")
        with tenant_context(world.tenant):
            spo2 = Indicator.objects.get(code="spo2")
            AlertRule.objects.create(tenant=world.tenant, enrollment=e, indicator=spo2,
                                     kind="bounds", warn_low=92, crit_low=88)
        for hours, value in ((3, "95"), (2, "90"), (1, "86")):
            made = reading_record(enrollment=e, indicator_code="spo2", value=value,
                                  measured_at=now - timedelta(hours=hours), entered_by=nurse,
                                  source="nurse_phone")
            evaluate_readings(tenant_id=world.tenant.pk, reading_ids=[r.pk for r in made])
        activity_plan(enrollment=e, kind="non_reimbursed",
                      scheduled_at=now + timedelta(days=2 + k), profession="dietitian")
    # The world's own patient: more readings (one breach per indicator), more messages.
    for hours, weight, spo2 in ((30, "70", "95"), (20, "71", "91"), (10, "70,5", "87")):
        for code, value in (("body_weight", weight), ("spo2", spo2)):
            made = reading_record(enrollment=world.enrollment, indicator_code=code,
                                  value=value, measured_at=now - timedelta(hours=hours),
                                  entered_by=world.user(R.PATIENT), source="portal")
            evaluate_readings(tenant_id=world.tenant.pk, reading_ids=[r.pk for r in made])
        message_send(patient=world.patient, author=nurse, from_patient=False,
                     body=f"Bonjour ({hours} h)")
        message_send(patient=world.patient, author=world.user(R.PATIENT), from_patient=True,
                     body=f"Merci ({hours} h)")


def _url(world: World, name: str, kwargs, query: str) -> str:
    url = reverse(name, kwargs=kwargs(world) if kwargs else None)
    return url + ("?" + query.format(patient=world.patient.pk) if query else "")


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(queries)


@pytest.mark.parametrize(("label", "name", "kwargs", "role", "query"), CASES,
                         ids=[c[0] for c in CASES])
def test_list_runs_the_same_queries_whatever_the_rows(
        client, login, world, django_assert_max_num_queries, label, name, kwargs, role, query):
    _grow(world, 1, "A")  # some rows of every kind: an empty list may skip its query
    login(world.user(role))
    url = _url(world, name, kwargs, query)
    _count(client, url)  # warm caches (content types, sessions) out of the count
    before = _count(client, url)
    _grow(world, 4, "B")
    with django_assert_max_num_queries(before, info=label):
        response = client.get(url)
    assert response.status_code == 200
