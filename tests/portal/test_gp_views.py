"""The GP space's PPS answer: nothing chosen in advance, the choice and the text kept after an
error, the request for changes reaching the nurse (issue #21, trap 1)."""

from __future__ import annotations

import re

from django.urls import reverse

from constel.roles import Role
from constel.tenancy import tenant_context
from pathways.models import CarePlan


def _plan(world) -> CarePlan:
    with tenant_context(world.tenant):
        return CarePlan.objects.get(pk=world.care_plan.pk)


def _checked(html: str) -> list[str]:
    return re.findall(r'<input type="radio" name="answer" value="(\w+)" checked>', html)


def test_nothing_is_chosen_in_advance(client, login, world):
    login(world.user(Role.GP))
    page = client.get(reverse("gp:care_plan", args=[world.care_plan.pk])).content.decode()
    assert 'name="answer" value="validate"' in page and _checked(page) == []


def test_a_change_request_without_text_keeps_the_choice_then_reaches_the_nurse(
        client, login, world):
    gp = login(world.user(Role.GP))
    url = reverse("gp:care_plan", args=[world.care_plan.pk])
    first = gp.post(url, {"answer": "changes", "comment": "  "})
    assert first.status_code == 400
    html = first.content.decode()
    assert _checked(html) == ["changes"]  # never back to "I validate"
    assert 'href="#gp-comment"' in html and 'aria-invalid="true"' in html
    assert _plan(world).gp_status == CarePlan.GpStatus.PENDING
    # The GP types the change and sends: a request for changes, not a validation.
    second = gp.post(url, {"answer": "changes", "comment": "Ajouter une kinésithérapie"})
    assert second.status_code == 302
    plan = _plan(world)
    assert plan.gp_status == CarePlan.GpStatus.CHANGES_REQUESTED
    assert plan.gp_comment == "Ajouter une kinésithérapie"
    with tenant_context(world.tenant):
        last = plan.history.order_by("-history_date").first()
        draft = CarePlan.objects.get(enrollment=world.enrollment, status=CarePlan.Status.DRAFT)
    assert last.history_user_id == world.user(Role.GP).pk  # who answered, in the history
    assert "kinésithérapie" in draft.reason
    # The nurse sees the request on the worklist and on the new draft's page.
    nurse = login(world.user(Role.NURSE_COORDINATOR))
    assert "kinésithérapie" in nurse.get(reverse("pathways:worklist")).content.decode()
    assert "kinésithérapie" in nurse.get(
        reverse("pathways:care_plan", args=[draft.pk])).content.decode()


def test_no_choice_is_an_error_and_keeps_the_text(client, login, world):
    gp = login(world.user(Role.GP))
    url = reverse("gp:care_plan", args=[world.care_plan.pk])
    answer = gp.post(url, {"comment": "Je préfère en parler au téléphone"})
    assert answer.status_code == 400
    html = answer.content.decode()
    assert "Je préfère en parler au téléphone" in html and 'href="#gp-answer"' in html
    assert _plan(world).gp_status == CarePlan.GpStatus.PENDING
    # An answer that is neither choice is no validation either.
    assert gp.post(url, {"answer": "oui"}).status_code == 400
    assert _plan(world).gp_status == CarePlan.GpStatus.PENDING


def test_a_gp_who_sends_twice_validates_once(client, login, world):
    gp = login(world.user(Role.GP))
    url = reverse("gp:care_plan", args=[world.care_plan.pk])
    assert gp.post(url, {"answer": "validate"}).status_code == 302
    again = gp.post(url, {"answer": "changes", "comment": "Finalement non"})
    assert again.status_code in (200, 400)
    plan = _plan(world)
    assert plan.gp_status == CarePlan.GpStatus.VALIDATED and plan.gp_comment == ""
    with tenant_context(world.tenant):
        assert not CarePlan.objects.filter(enrollment=world.enrollment,
                                           status=CarePlan.Status.DRAFT).exists()
