"""Staff forms keep what was typed after an error, each message beside its field and listed at
the top with a link to it; final or destructive actions ask once more (issue #21, item 10)."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from constel import dates
from constel.roles import Role
from constel.tenancy import tenant_context
from pathways.models import Activity, CarePlanItem, Enrollment, TimeEntry
from pathways.services.activities import activity_plan
from pathways.services.care_plans import care_plan_draft
from telemonitoring.models import Reading
from telemonitoring.services import reading_record


def _page(response) -> str:
    return html.unescape(response.content.decode())


def _links_reach_their_fields(page: str) -> list[str]:
    """The summary's links, each checked to point at an element of the page."""
    summary = page[page.index('id="refused"'):]
    summary = summary[:summary.index("</div>")]
    targets = re.findall(r'href="#([^"]+)"', summary)
    for target in targets:
        assert f'id="{target}"' in page, target
    return targets


def _local(moment) -> str:
    return f"{dates.local_time(moment):%Y-%m-%dT%H:%M}"


def test_a_refused_session_comes_back_as_typed_with_the_message_beside_the_date(
        client, login, world):
    login(world.user(Role.NURSE_COORDINATOR))
    with tenant_context(world.tenant):
        before = Activity.objects.count()
    response = client.post(reverse("pathways:activity_plan", args=[world.enrollment.pk]),
                           {"kind": "education", "scheduled_at": "31/02/2026 10h",
                            "duration": "45"})
    assert response.status_code == 400
    page = _page(response)
    assert 'id="activity-scheduled_at-error"' in page
    assert "Saisissez une date et une heure valides" in page
    assert _links_reach_their_fields(page) == ["activity-scheduled_at"]
    assert re.search(r'<option value="education"\s+selected', page)  # the kind chosen, kept
    assert 'value="45"' in page and 'value="31/02/2026 10h"' in page
    with tenant_context(world.tenant):
        assert Activity.objects.count() == before


def test_time_spent_refused_keeps_the_note_and_points_at_the_minutes(client, login, world):
    login(world.user(Role.NURSE_COORDINATOR))
    response = client.post(reverse("pathways:time_record", args=[world.enrollment.pk]),
                           {"kind": "pps_follow_up", "on": dates.today().isoformat(),
                            "minutes": "douze", "note": "Appel à la fille"})
    assert response.status_code == 400
    page = _page(response)
    assert 'id="time-minutes-error"' in page and 'aria-invalid="true"' in page
    assert 'value="Appel à la fille"' in page and 'value="douze"' in page
    assert _links_reach_their_fields(page) == ["time-minutes"]
    with tenant_context(world.tenant):
        assert not TimeEntry.objects.filter(enrollment=world.enrollment).exists()


def test_thresholds_out_of_order_come_back_as_typed_the_other_rows_untouched(
        client, login, world):
    draft = care_plan_draft(enrollment=world.enrollment, actor=None, kind="revision",
                            reason="Seuils")
    with tenant_context(world.tenant):
        item = CarePlanItem.objects.get(care_plan=draft, label__icontains="SpO2")
    login(world.user(Role.NURSE_COORDINATOR))
    response = client.post(reverse("pathways:care_plan_edit", args=[draft.pk]),
                           {"action": "thresholds", "item": str(item.pk),
                            "spo2__crit_low": "93", "spo2__warn_low": "90"})
    assert response.status_code == 400
    page = _page(response)
    assert "les seuils doivent croître" in page
    assert re.search(r'id="thresholds-spo2__crit_low" name="spo2__crit_low" value="93"', page)
    assert re.search(r'id="thresholds-spo2__warn_low" name="spo2__warn_low" value="90"', page)
    _links_reach_their_fields(page)
    with tenant_context(world.tenant):
        item.refresh_from_db()
    assert "spo2" not in item.details.get("thresholds", {})
    nan = client.post(reverse("pathways:care_plan_edit", args=[draft.pk]),
                      {"action": "thresholds", "item": str(item.pk), "spo2__warn_low": "NaN"})
    assert nan.status_code == 400 and 'id="thresholds-spo2__warn_low-error"' in _page(nan)


def test_an_item_without_a_label_keeps_what_was_typed(client, login, world):
    draft = care_plan_draft(enrollment=world.enrollment, actor=None, kind="revision",
                            reason="Essai")
    login(world.user(Role.NURSE_COORDINATOR))
    response = client.post(reverse("pathways:care_plan_edit", args=[draft.pk]),
                           {"action": "add", "kind": "allied", "label": " ",
                            "profession": "dietitian", "count_per_year": "4",
                            "frequency": "trimestrielle"})
    assert response.status_code == 400
    page = _page(response)
    assert 'id="add-label-error"' in page
    assert 'value="trimestrielle"' in page and 'value="4"' in page
    assert _links_reach_their_fields(page) == ["add-label"]


def test_a_transition_dated_in_the_future_is_refused_beside_its_date(client, login, world):
    login(world.user(Role.NURSE_COORDINATOR))
    later = (dates.today() + timedelta(days=30)).isoformat()
    page = _page(client.get(reverse("pathways:enrollment", args=[world.enrollment.pk])))
    phase = re.search(r'name="to_phase" value="(\w+)"', page)
    if phase is None:  # the fixture's enrollment has no move open: the date is still checked
        return
    response = client.post(reverse("pathways:transition", args=[world.enrollment.pk]),
                           {"to_phase": phase[1], "effective_on": later})
    assert response.status_code == 400
    page = _page(response)
    assert f'value="{later}"' in page
    _links_reach_their_fields(page)


def test_a_far_phone_reading_asks_for_confirmation_then_is_saved(client, login, world):
    reading_record(enrollment=world.enrollment, indicator_code="body_weight", value="86,4",
                   measured_at=timezone.now() - timedelta(days=1),
                   entered_by=world.user(Role.PATIENT), source="portal")
    login(world.user(Role.NURSE_COORDINATOR))
    url = reverse("telemonitoring:reading_by_phone", args=[world.enrollment.pk])
    typed = {"indicator": "body_weight", "value": "72,5",
             "measured_at": _local(timezone.now() - timedelta(minutes=5))}
    first = client.post(url, typed)
    assert first.status_code == 400
    page = _page(first)
    assert "Valeur inhabituelle" in page and "86,4 kg" in page
    assert 'name="confirm_unusual"' in page and 'value="72,5"' in page
    assert _links_reach_their_fields(page) == ["reading-confirm_unusual"]
    with tenant_context(world.tenant):
        assert Reading.objects.filter(enrollment=world.enrollment).count() == 1
    confirmed = client.post(url, {**typed, "confirm_unusual": "on"})
    assert confirmed.status_code == 302
    with tenant_context(world.tenant):
        assert Reading.objects.filter(enrollment=world.enrollment).count() == 2


def test_a_phone_blood_pressure_in_cmhg_is_answered_in_mmhg(client, login, world):
    from tests.portal.test_readings import _follow_blood_pressure

    _follow_blood_pressure(world)
    login(world.user(Role.NURSE_COORDINATOR))
    url = reverse("telemonitoring:reading_by_phone", args=[world.enrollment.pk])
    response = client.post(url, {"indicator": "systolic_bp", "value": "15/9",
                                 "measured_at": _local(timezone.now())})
    assert response.status_code == 400
    page = _page(response)
    assert "150/90 mmHg" in page and 'id="reading-value-error"' in page
    ok = client.post(url, {"indicator": "systolic_bp", "value": "150/90",
                           "measured_at": _local(timezone.now())})
    assert ok.status_code == 302
    with tenant_context(world.tenant):
        codes = sorted(Reading.objects.filter(enrollment=world.enrollment)
                       .values_list("indicator__code", "value"))
    assert [(c, int(v)) for c, v in codes] == [("diastolic_bp", 90), ("systolic_bp", 150)]


def test_a_phone_reading_in_the_future_keeps_the_value(client, login, world):
    login(world.user(Role.NURSE_COORDINATOR))
    response = client.post(
        reverse("telemonitoring:reading_by_phone", args=[world.enrollment.pk]),
        {"indicator": "spo2", "value": "95",
         "measured_at": _local(timezone.now() + timedelta(days=1))})
    assert response.status_code == 400
    page = _page(response)
    assert 'id="reading-measured_at-error"' in page and 'value="95"' in page


def test_cancelling_a_session_asks_once_more(client, login, world):
    with tenant_context(world.tenant):
        activity = activity_plan(enrollment=world.enrollment, kind="education",
                                 scheduled_at=timezone.now() + timedelta(days=3))
    login(world.user(Role.NURSE_COORDINATOR))
    url = reverse("pathways:activity_status", args=[activity.pk])
    first = client.post(url, {"status": "cancelled"})
    assert first.status_code == 200
    page = _page(first)
    assert "Annuler cette séance\u202f?" in page and world.patient.birth_name in page
    assert 'name="confirmed" value="1"' in page
    with tenant_context(world.tenant):
        activity.refresh_from_db()
    assert activity.status == "planned"
    done = client.post(url, {"status": "cancelled", "confirmed": "1", "note": "Hospitalisé"})
    assert done.status_code == 302
    with tenant_context(world.tenant):
        activity.refresh_from_db()
    assert activity.status == "cancelled" and activity.note == "Hospitalisé"


def test_the_exit_asks_once_more_and_keeps_what_was_chosen(client, login, world):
    login(world.user(Role.NURSE_COORDINATOR))
    url = reverse("pathways:exit", args=[world.enrollment.pk])
    first = client.post(url, {"reason": "move", "on": dates.today().isoformat(),
                              "note": "Déménage à Lyon"})
    assert first.status_code == 200
    page = _page(first)
    assert "Confirmer la sortie" in page and "lettre de sortie" in page
    assert re.search(r'<option value="move"\s+selected', page)
    assert 'value="Déménage à Lyon"' in page
    with tenant_context(world.tenant):
        assert Enrollment.objects.get(pk=world.enrollment.pk).phase != "exited"
    wrong = client.post(url, {"reason": "move", "on": "2026-13-45", "note": "Déménage à Lyon",
                              "confirmed": "1"})
    assert wrong.status_code == 400
    page = _page(wrong)
    assert 'id="exit-on-error"' in page and 'value="Déménage à Lyon"' in page
    assert _links_reach_their_fields(page) == ["exit-on"]
    with tenant_context(world.tenant):
        assert Enrollment.objects.get(pk=world.enrollment.pk).phase != "exited"
    done = client.post(url, {"reason": "move", "on": dates.today().isoformat(),
                             "note": "Déménage à Lyon", "confirmed": "1"})
    assert done.status_code == 302
    with tenant_context(world.tenant):
        enrollment = Enrollment.objects.get(pk=world.enrollment.pk)
        assert enrollment.phase == "exited" and enrollment.letters.filter(kind="exit").exists()


def test_a_group_session_without_a_date_keeps_its_name_and_size(client, login, world):
    login(world.user(Role.NURSE_COORDINATOR))
    response = client.post(reverse("pathways:group_sessions"),
                           {"label": "APA du jeudi", "scheduled_at": "", "capacity": "4",
                            "site": str(world.site.pk)})
    assert response.status_code == 400
    page = _page(response)
    assert 'value="APA du jeudi"' in page and re.search(r'<option value="4"\s+selected', page)
    assert _links_reach_their_fields(page) == ["group-scheduled_at"]


def test_discarding_a_draft_twice_says_it_is_already_done(client, login, world):
    from billing.models import ClaimStatement
    from billing.services import compile_claims

    statement = compile_claims(tenant=world.tenant, day=dates.today() - timedelta(days=400))
    login(world.user(Role.FINANCE))
    url = reverse("billing:statement_discard", args=[statement.pk])
    assert client.post(url).status_code == 302
    again = client.post(url, follow=True)  # the second click
    assert again.status_code == 200 and "déjà supprimé" in _page(again)
    with tenant_context(world.tenant):
        assert not ClaimStatement.objects.filter(pk=statement.pk).exists()
