"""The access policy's own rules: where each role lands, and that views and APIs decide by
capability — a role name compared outside constel/access.py fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

from constel.access import Cap, role_has_cap
from constel.roles import Role

ROOT = Path(__file__).resolve().parents[2]
INTERFACES = ["patients", "pathways", "telemonitoring", "engagement", "evaluation", "billing",
              "portal", "fhir_r4"]
ROLE_TEST = re.compile(r"\.role\s*(==|!=|in\b|not in\b)|\brole\s*(==|!=)\s*(Role\.|\")")


def test_no_view_or_api_compares_role_names():
    offenders = []
    for app in INTERFACES:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts or "management" in path.parts:
                continue
            name = path.name
            if not (name.startswith(("views", "api", "gp_views", "readings", "engagement"))
                    or path.parent.name in ("portal", "fhir_r4")):
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if ROLE_TEST.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_only_the_coordinating_physician_closes_with_a_medical_outcome():
    assert [r for r in Role if role_has_cap(r, Cap.ALERT_CLOSE_MEDICAL)] == [
        Role.PHYSICIAN_COORDINATOR]


@pytest.mark.parametrize(("role", "page"), [
    (Role.PATIENT, "portal:home"), (Role.GP, "gp:home"),
    (Role.PRIVACY_OFFICER, "access_log"), (Role.NURSE_COORDINATOR, "pathways:worklist"),
    (Role.CARE_MANAGER, "pathways:worklist"), (Role.FINANCE, "billing:statements"),
    (Role.PHYSICIAN_COORDINATOR, None), (Role.SECRETARY, None),
])
def test_each_role_lands_where_its_work_is(client, login, world, role, page):
    login(world.user(role))
    answer = client.get(reverse("home"))
    if page is None:
        assert answer.status_code == 200
    else:
        assert answer.status_code == 302 and answer["Location"] == reverse(page)
