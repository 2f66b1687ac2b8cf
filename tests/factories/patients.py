"""Factories of patients/: professionals with their memberships."""

from __future__ import annotations

from constel import services
from constel.models import Membership, Site, Tenant
from constel.roles import Role
from patients.models import Professional
from patients.services import professional_create
from tests.factories.constel import user_factory

_PRO_KIND = {
    Role.GP: Professional.Kind.GP,
    Role.SPECIALIST: Professional.Kind.SPECIALIST,
    Role.PHARMACIST: Professional.Kind.PHARMACIST,
    Role.ALLIED_PROFESSIONAL: Professional.Kind.ALLIED,
}


def member_factory(
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
