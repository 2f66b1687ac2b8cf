"""Demo data for `make demo`: two tenants, a user for every role, patients.

The Constel'Action facts come from reference/constel-action.yaml (Art. 2, §III.1.a, §IV.4 and
Table 13 of the cahier des charges). Later capabilities add their own demo data here.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import yaml
from django.conf import settings
from django.db import transaction

from constel import services
from constel.models import Tenant, User
from constel.roles import Role
from patients.models import Professional
from patients.services import care_assign, patient_create, professional_create

DEMO_PASSWORD = "demo-constel-2026"
REFERENCE = Path(settings.BASE_DIR) / "reference" / "constel-action.yaml"

FIRST_F = ["Jeanne", "Marie", "Monique", "Françoise", "Colette", "Josiane", "Paulette", "Odette",
           "Nicole", "Simone", "Hélène", "Yvette"]
FIRST_M = ["Jean", "Pierre", "André", "Michel", "Bernard", "Claude", "Henri", "Robert", "Marcel",
           "Louis", "Roger", "René"]
LAST = ["MARTIN", "BERNARD", "DUBOIS", "THOMAS", "ROBERT", "RICHARD", "PETIT", "DURAND", "LEROY",
        "MOREAU", "SIMON", "LAURENT", "LEFEBVRE", "MICHEL", "GARCIA", "DAVID", "BERTRAND", "ROUX",
        "VINCENT", "FOURNIER", "MOREL", "GIRARD", "ANDRE", "MERCIER", "DUPONT", "LAMBERT",
        "BONNET", "FRANCOIS", "MARTINEZ", "LEGRAND"]


@dataclass
class DemoLogin:
    email: str
    role: str
    tenant: str


def _user(email: str, first: str, last: str) -> User:
    existing = User.objects.filter(email=email).first()
    return existing or services.user_create(
        email=email, password=DEMO_PASSWORD, first_name=first, last_name=last
    )


STAFF = [
    # role, e-mail local part, first name, last name, profession
    (Role.NURSE_COORDINATOR, "idec", "Camille", "Roussel", "nurse"),
    (Role.PHYSICIAN_COORDINATOR, "medco", "Antoine", "Faure", "internal_medicine"),
    (Role.CARE_MANAGER, "cadre", "Sophie", "Blanc", "nurse"),
    (Role.SPECIALIST, "cardio", "Hugo", "Garnier", "cardiologist"),
    (Role.GP, "mt", "Claire", "Fontaine", "general_practice"),
    (Role.SECRETARY, "secretariat", "Nadia", "Chevalier", ""),
    (Role.PHARMACIST, "pharma", "Luc", "Perrin", "hospital_pharmacist"),
    (Role.ALLIED_PROFESSIONAL, "dieteticienne", "Emma", "Lopez", "dietitian"),
    (Role.PROGRAMME_MANAGER, "chefprojet", "Thomas", "Henry", ""),
    (Role.PRIVACY_OFFICER, "dpo", "Julie", "Masson", ""),
    (Role.FINANCE, "facturation", "Marc", "Renaud", ""),
    (Role.EVALUATOR, "evaluateur", "Inès", "Caron", ""),
]
_PRO_KIND = {Role.GP: Professional.Kind.GP, Role.SPECIALIST: Professional.Kind.SPECIALIST,
             Role.PHARMACIST: Professional.Kind.PHARMACIST,
             Role.ALLIED_PROFESSIONAL: Professional.Kind.ALLIED,
             Role.NURSE_COORDINATOR: Professional.Kind.NURSE}


def _tenants() -> tuple[Tenant, Tenant]:
    facts = yaml.safe_load(REFERENCE.read_text())["tenant"]
    constel = services.tenant_create(
        slug="constel-action", name=facts["name"], operator="Clinavenir",
        inclusion_window_end=facts["inclusion_window_end"],
        cumulative_inclusion_cap=facts["cumulative_inclusion_cap"],
        claim_period_anchor=facts["claim_period_anchor"],
    )
    for site in facts["sites"]:
        name, _sep, city = site.partition(" (")
        services.site_create(tenant=constel, name=name, city=city.rstrip(")") or "Toulouse")
    services.site_create(tenant=constel, name="Clinique des Cèdres", city="Cornebarrieu")
    cardio = services.tenant_create(
        slug="cardio-plus", name="Cardio+", operator="Groupement Cardio+",
        inclusion_window_end=date(2027, 6, 30), cumulative_inclusion_cap=12150,
        claim_period_anchor=date(2024, 1, 1), claim_period_kind=Tenant.PeriodKind.CALENDAR,
    )
    services.site_create(tenant=cardio, name="Centre cardiologique de Nancy", city="Nancy")
    return constel, cardio


@transaction.atomic
def load(*, seed: int = 51, patients_per_tenant: int = 40) -> list[DemoLogin]:
    rng = random.Random(seed)
    logins: list[DemoLogin] = []
    constel, cardio = _tenants()
    superuser = _user("admin@constel.demo", "Admin", "Constel")
    superuser.is_staff = superuser.is_superuser = True
    superuser.save()

    for tenant, domain in ((constel, "constel.demo"), (cardio, "cardioplus.demo")):
        from constel.models import Site
        from constel.tenancy import tenant_context

        with tenant_context(tenant):
            sites = list(Site.objects.all())
        pros: dict[Role, Professional] = {}
        for role, local, first, last, profession in STAFF:
            user = _user(f"{local}@{domain}", first, last)
            services.membership_create(user=user, tenant=tenant, role=role,
                                       profession=profession, site=sites[0])
            logins.append(DemoLogin(user.email, role.label, tenant.name))
            if role in _PRO_KIND:
                pros[role] = professional_create(
                    tenant=tenant, kind=_PRO_KIND[role], first_name=first, last_name=last,
                    profession=profession, user=user, secure_email=f"{local}@{domain}.mssante.fr",
                )
        # A GP with patients in both programmes: one user, two memberships.
        shared_gp = _user("dr.vidal@medecin.demo", "Anne", "Vidal")
        services.membership_create(user=shared_gp, tenant=tenant, role=Role.GP)
        gp2 = professional_create(tenant=tenant, kind=Professional.Kind.GP, first_name="Anne",
                                  last_name="Vidal", user=shared_gp,
                                  secure_email="anne.vidal@medecin.mssante.fr")
        gps = [pros[Role.GP], gp2]
        for i in range(patients_per_tenant):
            sex = rng.choice("FM")
            first = rng.choice(FIRST_F if sex == "F" else FIRST_M)
            birth = date(1940, 1, 1) + timedelta(days=rng.randint(0, 365 * 40))
            patient_user = None
            if i == 0:
                patient_user = _user(f"patient@{domain}", first, LAST[i].title())
                services.membership_create(user=patient_user, tenant=tenant, role=Role.PATIENT)
                logins.append(DemoLogin(patient_user.email, Role.PATIENT.label, tenant.name))
            patient = patient_create(
                tenant=tenant, birth_name=LAST[i % len(LAST)], first_names=first, sex=sex,
                birth_date=birth, site=sites[i % len(sites)], gp=gps[i % 2],
                user=patient_user, phone=f"06 {rng.randint(10, 99)} {rng.randint(10, 99)} "
                f"{rng.randint(10, 99)} {rng.randint(10, 99)}",
                gp_online_access_agreed=rng.random() < 0.8,
                objects_to_evaluation=rng.random() < 0.05,
            )
            if i % 3 == 0:
                for role in (Role.SPECIALIST, Role.PHARMACIST, Role.ALLIED_PROFESSIONAL):
                    care_assign(patient=patient, professional=pros[role])
    logins.append(DemoLogin("dr.vidal@medecin.demo", "GP in both programmes", "both"))
    logins.append(DemoLogin("admin@constel.demo", "Django admin (superuser)", "—"))
    return logins
