"""The scope oracle (issue #19): for every role and every list endpoint — API, pages, FHIR —
the patients whose data comes back are exactly those the DESIGN §3 table gives that role.

The expected sets are computed here, from the table and the patients' own attributes (the
GP on the record, the assignment, the online-access agreement, the objection to sharing),
never by calling ``constel.access``: a bug in the scope function cannot hide itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.urls import reverse
from django.utils import timezone

from constel.roles import Role
from constel.tenancy import tenant_context
from pathways.models import Enrollment
from patients.models import Patient
from tests.factories import api_auth, follow_up_patient

pytestmark = pytest.mark.django_db

COORDINATING = {Role.NURSE_COORDINATOR, Role.PHYSICIAN_COORDINATOR, Role.CARE_MANAGER}


@dataclass(frozen=True)
class Facts:
    """What the table needs to know of one patient."""

    pk: object
    name: str
    gp_user: int | None
    assigned_users: frozenset
    agreed: bool
    objects: bool
    portal_user: int | None


def expected(role: Role, user_pk: int, kind: str, patients: list[Facts]) -> set:
    """DESIGN §3, row by row. ``kind``: "identity" (who the patient is, phase) or
    "clinical" (PPS, readings, alerts, sessions)."""
    every = {p.pk for p in patients}
    assigned = {p.pk for p in patients if user_pk in p.assigned_users}
    if role in COORDINATING:  # full record of the tenant's patients
        return every
    if role == Role.SPECIALIST:  # patients they assess (their own acts: objection or not)
        return assigned
    if role in (Role.PHARMACIST, Role.ALLIED_PROFESSIONAL):  # identity, not the record
        return assigned if kind == "identity" else set()
    if role == Role.GP:  # own patients; clinical parts with agreement and no objection
        own = {p for p in patients if p.gp_user == user_pk}
        if kind == "identity":
            return {p.pk for p in own}
        return {p.pk for p in own if p.agreed and not p.objects}
    if role == Role.SECRETARY:  # administrative data, no clinical
        return every if kind == "identity" else set()
    if role == Role.PATIENT:  # their own data only (the portal; no identity API)
        return {p.pk for p in patients if p.portal_user == user_pk} if kind == "clinical" \
            else set()
    return set()  # finance, programme manager, privacy officer, evaluator: no nominative data


@pytest.fixture
def population(world):
    """The world's patients and three more of its GP's: agreed, not agreed, objecting; each
    in follow-up with a reading that opened an alert."""
    from telemonitoring.services import reading_record_evaluated

    extra = {"ACCORD": (True, False), "SANSACCORD": (False, False), "OBJECTION": (True, True)}
    for name, (agreed, objects) in extra.items():
        e = follow_up_patient(world, name)
        with tenant_context(world.tenant):
            Patient.objects.filter(pk=e.patient_id).update(gp_online_access_agreed=agreed,
                                                           objects_to_sharing=objects)
    with tenant_context(world.tenant):
        following = list(Enrollment.objects.filter(phase="follow_up_y1"))
    for e in following:
        reading_record_evaluated(enrollment=e, indicator_code="spo2", value="84",
                                 measured_at=timezone.now(), entered_by=None,
                                 source="nurse_phone")
    with tenant_context(world.tenant):
        facts = []
        for p in Patient.objects.select_related("gp").prefetch_related(
                "assignments__professional"):
            facts.append(Facts(
                pk=p.pk, name=p.birth_name, gp_user=p.gp.user_id if p.gp else None,
                assigned_users=frozenset(a.professional.user_id for a in p.assignments.all()),
                agreed=p.gp_online_access_agreed, objects=p.objects_to_sharing,
                portal_user=p.user_id))
        enrollment_patient = dict(Enrollment.objects.values_list("pk", "patient_id"))
    assert len(facts) >= 6
    return facts, {str(k): v for k, v in enrollment_patient.items()}


def _members(world):
    yield from ((role, m) for role, m in world.members.items())
    yield Role.GP, world.unrelated_gp
    yield Role.SPECIALIST, world.unrelated_specialist


API = {  # endpoint: (kind, how a row names its patient, the patient path of its model)
    "/api/v1/patients/": ("identity", "id", ("patients.Patient", "pk")),
    "/api/v1/enrollments/": ("identity", "patient", ("pathways.Enrollment", "patient")),
    "/api/v1/care-plans/": ("clinical", "enrollment",
                            ("pathways.CarePlan", "enrollment__patient")),
    "/api/v1/activities/": ("clinical", "enrollment",
                            ("pathways.Activity", "enrollment__patient")),
    "/api/v1/alerts/": ("clinical", "enrollment", ("telemonitoring.Alert", "enrollment__patient")),
    "/api/v1/readings/": ("clinical", "enrollment",
                          ("telemonitoring.Reading", "enrollment__patient")),
}


def _having_rows(world, model_path: tuple[str, str]) -> set:
    """Patients with at least one row of the model, read from the database as such."""
    from django.apps import apps

    label, path = model_path
    with tenant_context(world.tenant):
        return set(apps.get_model(label)._base_manager.filter(tenant=world.tenant)
                   .values_list(path, flat=True).distinct())


def test_every_api_list_returns_exactly_the_patients_of_the_design_table(
        client, world, population, capsys):
    facts, enrollment_patient = population
    failures = []
    for role, membership in _members(world):
        auth = api_auth(membership.user, world.tenant, capsys)
        for url, (kind, key, model_path) in API.items():
            response = client.get(url, {"page_size": 500}, **auth)
            seen = set()
            if response.status_code == 200:
                for row in response.json()["results"]:
                    value = str(row[key])
                    seen.add(enrollment_patient[value] if key == "enrollment" else value)
                seen = {Patient._meta.pk.to_python(v) for v in seen}
            else:
                # a role this endpoint is not for (e.g. alerts: the handling API of the
                # coordinating team; the GP reads alerts in the GP space): refused, no data
                assert response.status_code == 403, (role, url, response.status_code)
                continue
            want = expected(role, membership.user_id, kind, facts) & _having_rows(
                world, model_path)
            if seen != want:
                failures.append((role.value, url, sorted(map(str, seen - want)),
                                 sorted(map(str, want - seen))))
    assert not failures, failures


def test_fhir_answers_exactly_for_the_patients_of_the_design_table(
        client, world, population, capsys):
    facts, _ = population
    failures = []
    for role, membership in _members(world):
        auth = api_auth(membership.user, world.tenant, capsys)
        # FHIR is the professionals' interface: a patient reads their data on the portal.
        want = set() if role == Role.PATIENT else expected(role, membership.user_id,
                                                             "clinical", facts)
        for p in facts:
            read = client.get(reverse("fhir:patient", args=[p.pk]), **auth)
            obs = client.get(reverse("fhir:observations"), {"patient": str(p.pk)}, **auth)
            has_obs = obs.status_code == 200 and bool(obs.json().get("entry"))
            if (read.status_code == 200) != (p.pk in want):
                failures.append((role.value, "Patient", p.name, read.status_code))
            if has_obs and p.pk not in want:
                failures.append((role.value, "Observation", p.name))
    assert not failures, failures


PAGES = {  # page: (kind, roles that have it)
    "patients:list": ("identity", None),
    "gp:home": ("identity", {Role.GP}),
    "telemonitoring:alerts": ("clinical", None),
    "gp:letters": ("letters", {Role.GP}),
}


def test_every_list_page_names_exactly_the_patients_of_the_design_table(
        client, login, world, population):
    facts, _ = population
    failures = []
    for role, membership in _members(world):
        login(membership.user)
        for name, (kind, only) in PAGES.items():
            if only is not None and role not in only:
                continue
            response = client.get(reverse(name))
            if response.status_code != 200:
                assert response.status_code in (302, 403), (role, name)
                continue
            body = response.content.decode()
            if kind == "letters":  # letters reach the GP in every case (DESIGN §3)
                want_names = {p.name for p in facts if p.gp_user == membership.user_id}
                # only those that have a sent letter can be listed: at most that
                seen = {p.name for p in facts if f">{p.name}" in body or f" {p.name} " in body}
                if not seen <= want_names:
                    failures.append((role.value, name, sorted(seen - want_names)))
                continue
            want = expected(role, membership.user_id, kind, facts)
            # a name may be a prefix of another (DUPONT, DUPONT-AUTRE): match whole words
            seen = {p.pk for p in facts if _names(body, p.name)}
            if seen != want and not (kind == "clinical" and seen <= want):
                failures.append((role.value, name,
                                 sorted(p.name for p in facts if p.pk in seen - want),
                                 sorted(p.name for p in facts if p.pk in want - seen)))
    assert not failures, failures


def _names(body: str, name: str) -> bool:
    import re

    return re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", body, re.IGNORECASE) is not None
