"""A patient's telefollow-up rules are visible (issue #21, item 7): the patient page and the
API show the active rules in words with their PPS version, and the earlier ones."""

from __future__ import annotations

import html

from django.urls import reverse

from constel.roles import Role
from constel.tenancy import tenant_context
from telemonitoring.models import AlertRule


def test_the_patient_page_shows_the_rules_in_words_with_their_pps(client, login, world):
    with tenant_context(world.tenant):
        active = list(AlertRule.objects.filter(enrollment=world.enrollment, active=True)
                      .select_related("indicator"))
    assert active
    login(world.user(Role.NURSE_COORDINATOR))
    page = html.unescape(client.get(reverse("patients:detail",
                                            args=[world.patient.pk])).content.decode())
    section = page.split('id="h-rules"')[1].split("</section>")[0]
    for rule in active:
        assert rule.indicator.label in section
    assert f"PPS v{world.care_plan.version}" in section
    assert "≥" in section or "≤" in section or "variation" in section


def test_the_api_lists_the_rules_of_a_patient_in_scope_only(client, login, world, other_world):
    login(world.user(Role.NURSE_COORDINATOR))
    rows = client.get("/api/v1/alert-rules/", {"patient": str(world.patient.pk)}).json()
    items = rows["results"] if isinstance(rows, dict) else rows
    assert items and {r["patient"] for r in items} == {str(world.patient.pk)}
    assert all(r["care_plan_version"] == world.care_plan.version for r in items if r["active"])
    assert client.get("/api/v1/alert-rules/", {"patient": "nonsense"}).status_code == 200
    # Another tenant's patient: nothing; the GP of another patient: nothing either.
    other = client.get("/api/v1/alert-rules/", {"patient": str(other_world.patient.pk)}).json()
    assert (other["results"] if isinstance(other, dict) else other) == []
    login(world.unrelated_gp.user)
    mine = client.get("/api/v1/alert-rules/").json()
    assert (mine["results"] if isinstance(mine, dict) else mine) == []
