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
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from constel import dates, services
from constel.models import Tenant, User
from constel.roles import Role
from demo.care import billing_data, engagement_data, pathway_data, readings_data, rpps
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
    """Every step of phase 0 in each tenant; Constel'Action's window closed on 2026-03-02,
    so its inclusions are dated before it, while Cardio+ still includes."""
    from telemonitoring.partitions import partitions_create

    rng = random.Random(seed)
    logins: list[DemoLogin] = []
    # Monthly partitions of the readings over the demo's past.
    partitions_create(first_month=dates.today() - timedelta(days=3 * 365))
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
                    rpps=rpps(rng),
                )
        # A GP with patients in both programmes: one user, two memberships.
        shared_gp = _user("dr.vidal@medecin.demo", "Anne", "Vidal")
        services.membership_create(user=shared_gp, tenant=tenant, role=Role.GP)
        gp2 = professional_create(tenant=tenant, kind=Professional.Kind.GP, first_name="Anne",
                                  last_name="Vidal", user=shared_gp, rpps=rpps(rng),
                                  secure_email="anne.vidal@medecin.mssante.fr")
        gps = [pros[Role.GP], gp2]
        # Inside the tenant's context (on PostgreSQL, row-level security hides every row
        # of the programme to a query made outside it).
        with tenant_context(tenant):
            _directory(tenant, rng)
            _patients(tenant, rng, sites, gps, pros, patients_per_tenant, domain, logins)
            billing_data(tenant, rng, finance=User.objects.get(email=f"facturation@{domain}"))
            engagement_data(tenant, rng, nurse=User.objects.get(email=f"idec@{domain}"))
            services.purposes_load(tenant=tenant)
    logins.append(DemoLogin("dr.vidal@medecin.demo", "GP in both programmes", "both"))
    logins.append(DemoLogin("admin@constel.demo", "Django admin (superuser)", "—"))
    return logins


CARDIO_PLUS_PATHOLOGIES = {
    "cardiovascular": ["hypertension", "heart_failure_chronic_and_acute",
                       "chronic_coronary_disease", "acute_coronary_syndrome",
                       "atrial_fibrillation", "peripheral_arterial_disease_lower_limb"],
    "diabetes": ["type_2_diabetes"],
}
POLY_QUESTIONNAIRE = {"medico_social": ["difficult_pathway", "loss_of_chance"]}


def _ascii(text: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _ins(rng: random.Random, sex: str, birth: date) -> str:
    from stdnum.fr import nir

    body = (f"{1 if sex == 'M' else 2}{birth.year % 100:02d}{birth.month:02d}31"
            f"{rng.randint(1, 555):03d}{rng.randint(1, 999):03d}")
    return body + nir.calc_check_digits(body)


def _directory(tenant: Tenant, rng: random.Random) -> None:
    from patients.services import convention_record

    for kind, first, last, profession in [
        (Professional.Kind.ALLIED, "Paul", "Ribeiro", "psychologist"),
        (Professional.Kind.ALLIED, "Lina", "Benali", "tobacco_specialist"),
        (Professional.Kind.ALLIED, "Marc", "Aubert", "sports_educator"),
        (Professional.Kind.PHARMACIST, "Sarah", "Colin", "community_pharmacist"),
        (Professional.Kind.SPECIALIST, "Olivier", "Noël", "diabetologist"),
        (Professional.Kind.SPECIALIST, "Isabelle", "Guerin", "sports_physician"),
    ]:
        pro = professional_create(tenant=tenant, kind=kind, first_name=first, last_name=last,
                                  profession=profession, rpps=rpps(rng),
                                  email=f"{_ascii(first)}.{_ascii(last)}@pro.demo")
        if kind == Professional.Kind.ALLIED:
            convention_record(professional=pro, kind="Convention de partenariat Article 51",
                              signed_on=date(2023, 1, 15) + timedelta(days=rng.randint(0, 300)))


def _patients(tenant, rng, sites, gps, pros, count, domain, logins) -> None:
    """Patients at every step of phase 0 and included ones (later phases: pathway demo)."""
    # long: a script of the demo's story, read top to bottom
    from datetime import datetime, time

    from pathways.services import (
        enrollment_include,
        enrollment_propose,
        gp_agreement_record_phone,
        referral_decline,
        referral_submit,
    )
    from patients.catalogue import pathologies_load, table4
    from patients.models import Consent, Pathology
    from patients.services import consent_record, diagnosis_add, invitation_send

    groups = table4() if tenant.slug == "constel-action" else CARDIO_PLUS_PATHOLOGIES
    pathologies_load(tenant=tenant, groups=groups)
    from telemonitoring.services import indicators_load

    indicators_load(tenant=tenant)
    from constel.tenancy import tenant_context

    with tenant_context(tenant):
        catalogue = [p for p in Pathology.objects.all() if not p.oral_therapy_only]
    nurse = pros[Role.NURSE_COORDINATOR].user
    medco_user = User.objects.get(email=f"medco@{domain}")
    window_end = min(tenant.inclusion_window_end, dates.today())
    for i in range(count):
        sex = rng.choice("FM")
        first = rng.choice(FIRST_F if sex == "F" else FIRST_M)
        birth = date(1938, 1, 1) + timedelta(days=rng.randint(0, 365 * 42))
        patient_user = None
        if i == 0:
            patient_user = _user(f"patient@{domain}", first, LAST[i].title())
            services.membership_create(user=patient_user, tenant=tenant, role=Role.PATIENT)
            logins.append(DemoLogin(patient_user.email, Role.PATIENT.label, tenant.name))
        qualified = rng.random() < 0.7
        patient = patient_create(
            tenant=tenant, birth_name=LAST[i % len(LAST)], first_names=first, sex=sex,
            birth_date=birth, site=sites[i % len(sites)], gp=gps[i % 2], user=patient_user,
            ins=_ins(rng, sex, birth),
            identity_status="qualified" if qualified else "provisional",
            email=f"{_ascii(first)}.{_ascii(LAST[i % len(LAST)])}{i}@patient.demo",
            phone=f"06 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} "
                  f"{rng.randint(10, 99)}",
            weight_kg=rng.randint(55, 115), height_cm=rng.randint(150, 190),
            antidepressant_treatment=rng.random() < 0.15,
            gp_online_access_agreed=rng.random() < 0.8,
        )
        n_patho = 1 if rng.random() < 0.55 else rng.choice([2, 2, 3])
        if i == 0:
            n_patho = 2  # the demo patient login: POLY, in follow-up, with readings
        chosen = rng.sample(catalogue, n_patho)
        if i == 0:
            chosen = [p for p in catalogue if p.code in ("heart_failure_chronic_and_acute",
                                                          "type_2_diabetes")][:2]
        for patho in chosen:
            if patho.needs_another and n_patho == 1:
                continue
            diagnosis_add(patient=patient, pathology=patho,
                          diagnosed_on=date(2012, 1, 1) + timedelta(days=rng.randint(0, 3000)))
        if i % 3 == 0:
            for role in (Role.SPECIALIST, Role.PHARMACIST, Role.ALLIED_PROFESSIONAL):
                care_assign(patient=patient, professional=pros[role])
        questionnaire = {**POLY_QUESTIONNAIRE, "therapeutic_failure": True,
                         "mono_criteria": ["diabetes_unbalanced", "hf_decompensation",
                                           "copd_exacerbation", "coronary_acs",
                                           "pad_claudication", "ibd_adherence",
                                           "nash_severe_fibrosis"]}
        stage = i % 10 if i else 1
        if stage == 9:
            continue  # a record not (yet) proposed
        if stage == 8:  # door (b), waiting in the secretary's inbox
            referral_submit(tenant=tenant, gp=gps[0], actor=gps[0].user, questionnaire={
                "pathologies": {"copd": False, "hypertension": False}, **POLY_QUESTIONNAIRE},
                identity={"birth_name": f"ADRESSE{i}", "first_names": first, "sex": sex,
                          "birth_date": birth, "email": f"adresse{i}@patient.demo"})
            continue
        if stage == 7:  # a declined referral
            e = referral_submit(tenant=tenant, gp=gps[1], actor=gps[1].user,
                                questionnaire={"pathologies": {"hypertension": False}},
                                identity={"birth_name": f"REFUS{i}", "first_names": first,
                                          "sex": sex, "birth_date": birth})
            referral_decline(enrollment=e, actor=nurse,
                             reason="Patiente déjà suivie dans un programme d'ETP.")
        try:
            enrollment = enrollment_propose(patient=patient, actor=medco_user,
                                            questionnaire=questionnaire)
        except ValidationError:
            continue  # an ineligible draw stays a record, not enrolled
        if stage == 6:
            continue  # GP agreement requested, not answered yet
        gp_agreement_record_phone(enrollment=enrollment, actor=nurse,
                                  note="Accord donné par téléphone au Dr.")
        if stage == 5:
            invitation_send(patient=patient)
            continue  # invited, consent pending
        included = window_end - timedelta(days=rng.randint(30, 700))
        consent_record(patient=patient, kind=Consent.Kind.INFORMED, granted=True,
                       method=Consent.Method.PORTAL if i % 2 else Consent.Method.PAPER,
                       notice_version="2025-07", evidence=b"demo-signed-form",
                       ip_address="127.0.0.1", actor=nurse,
                       at=timezone.make_aware(datetime.combine(included, time(10, 0))))
        enrollment = enrollment_include(enrollment=enrollment, actor=nurse, on=included)
        pathway_data(enrollment, stage, included, rng, nurse=nurse, medco=medco_user, pros=pros)
    readings_data(tenant, rng, nurse=nurse, medco=medco_user)
