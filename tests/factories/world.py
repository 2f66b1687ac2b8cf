"""The world most tests start from: one programme with a member of every role,
professionals, and patients related to them (the cross-app fixture of tests/conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from constel import services
from constel.models import Membership, Site, Tenant, User
from constel.roles import Role
from pathways.models import Activity, CarePlan, Enrollment, GroupSession
from pathways.services import referral_submit
from patients.catalogue import pathologies_load, table4
from patients.models import Patient, Professional
from patients.services import care_assign, patient_create
from tests.factories.constel import tenant_factory, user_factory
from tests.factories.pathways import follow_up
from tests.factories.patients import member_factory


@dataclass
class World:
    """One tenant with a member of every role, professionals, and patients related to them."""

    tenant: Tenant
    site: Site
    members: dict[str, Membership] = field(default_factory=dict)
    professionals: dict[str, Professional] = field(default_factory=dict)
    patient: Patient | None = None  # the GP's patient, assigned to specialist/pharmacist/allied
    other_gp_patient: Patient | None = None
    unrelated_gp: Membership | None = None
    unrelated_specialist: Membership | None = None
    referral: Enrollment | None = None  # a GP referral (door b) awaiting the secretary
    enrollment: Enrollment | None = None  # world.patient, in year-1 follow-up
    care_plan: CarePlan | None = None  # its issued PPS v1, awaiting the GP
    activity: Activity | None = None  # a planned session next week
    group_session: GroupSession | None = None

    def user(self, role: str) -> User:
        return self.members[role].user


def world_factory(tenant: Tenant | None = None, *, patient_name: str = "DUPONT") -> World:
    tenant = tenant or tenant_factory()
    site = services.site_create(tenant=tenant, name=f"Clinique {tenant.slug}", city="Toulouse")
    pathologies_load(tenant=tenant, groups=table4())
    from telemonitoring.services import indicators_load

    indicators_load(tenant=tenant)
    from billing.services import catalogue_load

    catalogue_load(tenant=tenant)
    from engagement.services import questionnaires_load

    questionnaires_load(tenant=tenant)
    services.purposes_load(tenant=tenant)
    world = World(tenant=tenant, site=site)
    for role in Role:
        if role == Role.PATIENT:
            continue
        m, pro = member_factory(tenant, site, role, role.value.replace("_", ""))
        world.members[role] = m
        if pro is not None:
            world.professionals[role] = pro
    world.unrelated_gp, other_gp_pro = member_factory(tenant, site, Role.GP, "othergp")
    world.unrelated_specialist, _ = member_factory(tenant, site, Role.SPECIALIST, "otherspec")

    patient_user = user_factory("patient")
    world.members[Role.PATIENT] = services.membership_create(
        user=patient_user, tenant=tenant, role=Role.PATIENT
    )
    world.patient = patient_create(
        tenant=tenant, birth_name=patient_name, first_names="Jeanne", sex="F",
        birth_date=date(1950, 4, 12), site=site, gp=world.professionals[Role.GP],
        user=patient_user, gp_online_access_agreed=True,
    )
    for role in (Role.SPECIALIST, Role.PHARMACIST, Role.ALLIED_PROFESSIONAL):
        care_assign(patient=world.patient, professional=world.professionals[role])
    world.other_gp_patient = patient_create(
        tenant=tenant, birth_name=f"{patient_name}-AUTRE", first_names="Paul", sex="M",
        birth_date=date(1948, 1, 3), site=site, gp=other_gp_pro,
    )
    follow_up(world)
    world.referral = referral_submit(
        tenant=tenant, gp=world.professionals[Role.GP], actor=world.user(Role.GP),
        identity={"birth_name": f"{patient_name}-ADRESSE", "first_names": "Lucie", "sex": "F",
                  "birth_date": date(1952, 6, 6)},
        questionnaire={"pathologies": {"copd": False, "nash": False},
                       "medico_social": ["poor_access"]},
    )
    return world
