"""Test data, built through the services (never by writing rows around them)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.utils import timezone

from constel import services
from constel.models import Membership, Site, Tenant, User
from constel.roles import Role
from pathways.models import Enrollment
from pathways.services import referral_submit
from patients.catalogue import pathologies_load, table4
from patients.models import Patient, Professional
from patients.services import care_assign, patient_create, professional_create

PASSWORD = "correct-horse-battery-9"
_seq = itertools.count(1)


def tenant_factory(slug: str | None = None, name: str | None = None) -> Tenant:
    n = next(_seq)
    slug = slug or f"prog-{n}"
    return services.tenant_create(
        slug=slug, name=name or f"Programme {slug}", operator="Opérateur test",
        # An open window (the real Constel'Action window closed on 2026-03-02).
        inclusion_window_end=timezone.localdate() + timedelta(days=365),
        cumulative_inclusion_cap=1130,
        claim_period_anchor=date(2022, 10, 1),
    )


def user_factory(prefix: str = "user", **kw) -> User:
    n = next(_seq)
    return services.user_create(
        email=f"{prefix}{n}@example.test", password=PASSWORD,
        first_name=kw.get("first_name", prefix.capitalize()), last_name=kw.get("last_name", f"N{n}"),
    )


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

    def user(self, role: str) -> User:
        return self.members[role].user


_PRO_KIND = {
    Role.GP: Professional.Kind.GP,
    Role.SPECIALIST: Professional.Kind.SPECIALIST,
    Role.PHARMACIST: Professional.Kind.PHARMACIST,
    Role.ALLIED_PROFESSIONAL: Professional.Kind.ALLIED,
}


def _member(
    tenant: Tenant, site: Site, role: str, label: str
) -> tuple[Membership, Professional | None]:
    user = user_factory(label)
    m = services.membership_create(user=user, tenant=tenant, role=role, site=site)
    pro = None
    if role in _PRO_KIND:
        pro = professional_create(tenant=tenant, kind=_PRO_KIND[role], first_name=user.first_name,
                                  last_name=user.last_name, user=user,
                                  secure_email=f"{label}@test.mssante.fr")
    return m, pro


def world_factory(tenant: Tenant | None = None, *, patient_name: str = "DUPONT") -> World:
    tenant = tenant or tenant_factory()
    site = services.site_create(tenant=tenant, name=f"Clinique {tenant.slug}", city="Toulouse")
    pathologies_load(tenant=tenant, groups=table4())
    world = World(tenant=tenant, site=site)
    for role in Role:
        if role == Role.PATIENT:
            continue
        m, pro = _member(tenant, site, role, role.value.replace("_", ""))
        world.members[role] = m
        if pro is not None:
            world.professionals[role] = pro
    world.unrelated_gp, other_gp_pro = _member(tenant, site, Role.GP, "othergp")
    world.unrelated_specialist, _ = _member(tenant, site, Role.SPECIALIST, "otherspec")

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
    world.referral = referral_submit(
        tenant=tenant, gp=world.professionals[Role.GP], actor=world.user(Role.GP),
        identity={"birth_name": f"{patient_name}-ADRESSE", "first_names": "Lucie", "sex": "F",
                  "birth_date": date(1952, 6, 6)},
        questionnaire={"pathologies": {"copd": False, "nash": False},
                       "medico_social": ["poor_access"]},
    )
    return world
