"""The access policy's own rules: where each role lands, and that views and APIs decide by
capability — a role name compared outside constel/access.py fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

from constel.access import Cap, role_has_cap
from constel.roles import Role
from tests.project import our_apps

ROOT = Path(__file__).resolve().parents[2]
INTERFACES = [a for a in our_apps() if a not in ("constel", "demo")]
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
    (Role.PHYSICIAN_COORDINATOR, "telemonitoring:alerts"),
    (Role.PROGRAMME_MANAGER, "evaluation:dashboard"), (Role.SECRETARY, None),
])
def test_each_role_lands_where_its_work_is(client, login, world, role, page):
    login(world.user(role))
    answer = client.get(reverse("home"))
    if page is None:
        assert answer.status_code == 200
    else:
        assert answer.status_code == 302 and answer["Location"] == reverse(page)


# --- The raw-SQL patient scope is the ORM's -----------------------------------------------


@pytest.mark.django_db
def test_the_sql_scope_gives_the_same_patients_as_the_orm_for_every_role(world, other_world):
    """constel.access.patient_scope_sql (the hot path's raw statements) against
    patients_in_scope, for a member of every role (and the GP and specialist with no relation
    to anyone), identity and clinical, over patients that make the roles differ: the GP's
    own, one objecting, one without online agreement, another GP's, assigned ones, a carer's
    patient and a revoked carer's, and another tenant's."""
    from django.db import connection

    from constel.access import patient_scope_sql, patients_in_scope
    from constel.tenancy import tenant_context
    from patients.models import CarerAccess, Patient

    with tenant_context(world.tenant):
        gp = world.professionals[Role.GP]
        objecting = Patient.objects.create(
            tenant=world.tenant, birth_name="OBJECTION", first_names="Ana", sex="F",
            birth_date=world.patient.birth_date, gp=gp, gp_online_access_agreed=True,
            objects_to_sharing=True)
        Patient.objects.create(tenant=world.tenant, birth_name="SANSACCORD", first_names="Léo",
                               sex="M", birth_date=world.patient.birth_date, gp=gp)
        carer = world.user(Role.PATIENT)
        CarerAccess.objects.create(tenant=world.tenant, patient=world.other_gp_patient,
                                   user=carer)
        CarerAccess.objects.create(tenant=world.tenant, patient=objecting, user=carer,
                                   revoked_at=world.patient.created_at)
    members = [*world.members.values(), world.unrelated_gp, world.unrelated_specialist]
    differ = set()
    for m in members:
        for clinical in (False, True):
            with tenant_context(world.tenant, user_id=m.user_id):
                orm = set(patients_in_scope(m, clinical=clinical).values_list("pk", flat=True))
                with connection.cursor() as cursor:
                    cursor.execute(patient_scope_sql(m.role, tenant="%(tenant)s::uuid",
                                                     login="%(login)s::bigint",
                                                     clinical=clinical),
                                   {"tenant": str(world.tenant.pk), "login": m.user_id})
                    raw = {row[0] for row in cursor.fetchall()}
            assert raw == orm, (m.role, clinical)
            differ.add((m.pk, clinical, frozenset(orm)))
    # The check means something: the scopes differ between roles, and for the GP the
    # clinical one is smaller than the identity one (the objection, the missing agreement).
    assert len({ids for _m, _c, ids in differ}) >= 5
    gp = world.members[Role.GP].pk
    gp_sets = {c: ids for m, c, ids in differ if m == gp}
    assert world.patient.pk in gp_sets[True] and objecting.pk not in gp_sets[True]
    assert gp_sets[True] < gp_sets[False]
