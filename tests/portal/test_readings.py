"""Readings as people type them on the portal (issue #21, item 9)."""

from __future__ import annotations

import html
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from constel import dates
from constel.roles import Role
from constel.tenancy import tenant_context
from engagement.models import Message
from telemonitoring.models import Reading
from telemonitoring.services import reading_record


def _readings(world, code=None):
    with tenant_context(world.tenant):
        qs = Reading.objects.filter(enrollment=world.enrollment).select_related("indicator")
        if code:
            qs = qs.filter(indicator__code=code)
        return list(qs.order_by("measured_at"))


def _text(response) -> str:
    return html.unescape(response.content.decode())


def test_a_reading_taken_yesterday_evening_is_filed_at_that_time(client, login, world):
    login(world.user(Role.PATIENT))
    answer = client.post(reverse("portal:readings"),
                         {"spo2": "95", "when": "yesterday", "at_time": "21h30"})
    assert answer.status_code == 302
    (r,) = _readings(world, "spo2")
    local = dates.local_time(r.measured_at)
    assert local.date() == dates.today() - timedelta(days=1) and (local.hour, local.minute) == (
        21, 30)


def test_a_time_to_come_or_missing_is_a_message_and_nothing_is_saved(client, login, world):
    login(world.user(Role.PATIENT))
    for at_time in ("", "25:00", "dix heures"):
        answer = client.post(reverse("portal:readings"),
                             {"spo2": "95", "when": "today", "at_time": at_time})
        assert answer.status_code == 400 and 'id="e-at-time"' in answer.content.decode()
    late = (dates.local_time(timezone.now()) + timedelta(hours=2))
    if late.date() == dates.today():  # (near midnight, two hours later is tomorrow)
        answer = client.post(reverse("portal:readings"), {
            "spo2": "95", "when": "today", "at_time": f"{late:%H:%M}"})
        assert answer.status_code == 400
    assert _readings(world, "spo2") == []


def _follow_blood_pressure(world):
    from telemonitoring.models import AlertRule, Indicator

    with tenant_context(world.tenant):
        for code, high in (("systolic_bp", 160), ("diastolic_bp", 100)):
            AlertRule.objects.create(
                tenant=world.tenant, enrollment=world.enrollment, kind=AlertRule.Kind.BOUNDS,
                indicator=Indicator.objects.get(code=code), warn_high=high)


def test_blood_pressure_typed_the_french_way_is_answered_in_mmhg(client, login, world):
    _follow_blood_pressure(world)
    login(world.user(Role.PATIENT))
    answer = client.post(reverse("portal:readings"), {"systolic_bp": "15/9"})
    assert answer.status_code == 400 and "150/90 mmHg" in _text(answer)
    assert _readings(world, "systolic_bp") == []
    # "150/90" in the first box is understood.
    assert client.post(reverse("portal:readings"), {"systolic_bp": "150/90"}).status_code == 302
    assert [r.value for r in _readings(world, "systolic_bp")] == [150]
    assert [r.value for r in _readings(world, "diastolic_bp")] == [90]


def test_a_value_far_from_the_last_ones_asks_then_tells_the_team(client, login, world):
    reading_record(enrollment=world.enrollment, indicator_code="body_weight", value="86,4",
                   measured_at=timezone.now() - timedelta(days=1), entered_by=None,
                   source="portal")
    login(world.user(Role.PATIENT))
    first = client.post(reverse("portal:readings"), {"body_weight": "72,5"})
    page = _text(first)
    assert first.status_code == 200 and "72,5 kg" in page and "86,4 kg" in page
    assert 'name="confirm_unusual"' in page and 'value="72,5"' in page  # kept as typed
    assert len(_readings(world, "body_weight")) == 1  # nothing saved before the answer
    confirmed = client.post(reverse("portal:readings"),
                            {"body_weight": "72,5", "confirm_unusual": "1"})
    assert confirmed.status_code == 302
    assert [r.value for r in _readings(world, "body_weight")][-1] == 72.5
    with tenant_context(world.tenant):
        (note,) = Message.objects.filter(patient=world.patient, from_patient=True)
    assert "72,5" in note.body and note.read_at is None  # on the nurse's worklist


def test_one_bad_value_saves_nothing_of_the_form(client, login, world):
    login(world.user(Role.PATIENT))
    answer = client.post(reverse("portal:readings"), {"spo2": "95", "body_weight": "7000"},
                         HTTP_ACCEPT_LANGUAGE="fr")
    assert answer.status_code == 400
    page = _text(answer)
    assert "entre 20 et 350 kg" in page  # French units and numbers
    assert "mm[Hg]" not in page and "7000.00" not in page
    assert _readings(world) == []


def test_not_a_number_is_a_message_not_an_error(client, login, world):
    """ "nan" or "inf" next to a recent reading (the far-value check compares them) and in the
    blood-pressure box: a 400 naming the field, never a 500, nothing saved."""
    reading_record(enrollment=world.enrollment, indicator_code="body_weight", value="80",
                   measured_at=timezone.now() - timedelta(days=1), entered_by=None,
                   source="portal")
    _follow_blood_pressure(world)
    login(world.user(Role.PATIENT))
    for typed in ({"body_weight": "nan"}, {"body_weight": "Infinity"},
                  {"systolic_bp": "nan/9"}, {"systolic_bp": "15/nan"}):
        assert client.post(reverse("portal:readings"), typed).status_code == 400, typed
    assert len(_readings(world, "body_weight")) == 1
