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
                    rpps=_rpps(rng),
                )
        # A GP with patients in both programmes: one user, two memberships.
        shared_gp = _user("dr.vidal@medecin.demo", "Anne", "Vidal")
        services.membership_create(user=shared_gp, tenant=tenant, role=Role.GP)
        gp2 = professional_create(tenant=tenant, kind=Professional.Kind.GP, first_name="Anne",
                                  last_name="Vidal", user=shared_gp, rpps=_rpps(rng),
                                  secure_email="anne.vidal@medecin.mssante.fr")
        gps = [pros[Role.GP], gp2]
        # Inside the tenant's context (on PostgreSQL, row-level security hides every row
        # of the programme to a query made outside it).
        with tenant_context(tenant):
            _directory(tenant, rng)
            _patients(tenant, rng, sites, gps, pros, patients_per_tenant, domain, logins)
            _billing(tenant, rng, finance=User.objects.get(email=f"facturation@{domain}"))
            _engagement(tenant, rng, nurse=User.objects.get(email=f"idec@{domain}"))
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


def _rpps(rng: random.Random) -> str:
    from stdnum import luhn

    body = "10" + "".join(str(rng.randint(0, 9)) for _ in range(8))
    return body + luhn.calc_check_digit(body)


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
                                  profession=profession, rpps=_rpps(rng),
                                  email=f"{_ascii(first)}.{_ascii(last)}@pro.demo")
        if kind == Professional.Kind.ALLIED:
            convention_record(professional=pro, kind="Convention de partenariat Article 51",
                              signed_on=date(2023, 1, 15) + timedelta(days=rng.randint(0, 300)))


def _patients(tenant, rng, sites, gps, pros, count, domain, logins) -> None:
    """Patients at every step of phase 0 and included ones (later phases: pathway demo)."""
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
        _pathway(enrollment, stage, included, rng, nurse=nurse, medco=medco_user, pros=pros)
    _readings(tenant, rng, nurse=nurse, medco=medco_user)



def _at(day: date, hour: int = 10):
    from datetime import datetime, time


    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def _pathway(enrollment, stage: int, included: date, rng: random.Random, *, nurse, medco,
             pros) -> None:
    """Drive an included patient further along the pathway, with dated events:
    stage 4 stays in the initial assessment, 3 has a PPS draft, 2 a PPS awaiting the GP,
    1 and 0 a validated PPS with sessions done and missed (0 also in year 2 or exited)."""

    from constel.tenancy import tenant_context
    from pathways.models import Enrollment
    from pathways.services import enrollment_exit, enrollment_transition
    from pathways.services.activities import (
        activity_plan,
        activity_plan_call,
        activity_set_status,
    )
    from pathways.services.care_plans import (
        care_plan_draft,
        care_plan_gp_answer,
        care_plan_issue,
    )

    today = dates.today()
    with tenant_context(enrollment.tenant_id):
        # Imported history: the record existed since the proposal, before the inclusion.
        Enrollment.objects.filter(pk=enrollment.pk).update(
            created_at=_at(included - timedelta(days=20)))
        enrollment.refresh_from_db()
    assessment_day = included + timedelta(days=rng.randint(15, 40))
    if stage == 4 or assessment_day >= today:
        activity_plan(enrollment=enrollment, kind="assessment",
                      scheduled_at=_at(max(assessment_day, today + timedelta(days=3)), 9),
                      professional=pros[Role.SPECIALIST], duration_minutes=45)
        return
    for hour, role in ((9, Role.SPECIALIST), (11, Role.ALLIED_PROFESSIONAL)):
        a = activity_plan(enrollment=enrollment, kind="assessment",
                          scheduled_at=_at(assessment_day, hour), professional=pros[role],
                          duration_minutes=45)
        activity_set_status(activity=a, status="done")
    enrollment = enrollment_transition(enrollment=enrollment, to_phase="pps_definition",
                                       actor=nurse, effective_on=assessment_day)
    apa = "group_of_4" if rng.random() < 0.3 else "group_of_10"
    plan = care_plan_draft(enrollment=enrollment, actor=nurse, kind="initial", apa_schedule=apa)
    if stage == 3:
        return
    pps_day = min(assessment_day + timedelta(days=rng.randint(7, 21)), today)
    plan = care_plan_issue(care_plan=plan, actor=medco, on=pps_day)
    enrollment = enrollment_transition(enrollment=enrollment, to_phase="follow_up_y1",
                                       actor=nurse, effective_on=pps_day)
    if stage != 2:
        care_plan_gp_answer(care_plan=plan, gp_user=enrollment.patient.gp.user, validate=True)
    _care_records(enrollment, assessment_day, pps_day, rng, nurse=nurse, pros=pros)
    # Sessions along year 1: mostly done, some missed, the next ones planned.
    day = pps_day + timedelta(days=10)
    kinds = ["non_reimbursed", "education", "apa", "apa", "consultation"]
    while day < min(pps_day + timedelta(days=330), today + timedelta(days=20)):
        kind = rng.choice(kinds)
        a = activity_plan(enrollment=enrollment, kind=kind, scheduled_at=_at(day, 14),
                          profession={"apa": "sports_educator", "education": "education_nurse",
                                      "non_reimbursed": "dietitian"}.get(kind, "cardiologist"),
                          duration_minutes=60 if kind == "apa" else 45)
        if day < today:
            missed = rng.random() < 0.12
            activity_set_status(activity=a, status="missed" if missed else "done")
            if missed and day < today - timedelta(days=45):
                activity_plan_call(activity=a)  # the nurse called back long ago
        day += timedelta(days=rng.randint(12, 35))
    if stage == 0 and pps_day + timedelta(days=365) < today:
        enrollment = enrollment_transition(enrollment=enrollment, to_phase="annual_update",
                                           actor=nurse, effective_on=pps_day + timedelta(days=350))
        update = care_plan_draft(enrollment=enrollment, actor=nurse, kind="annual_update",
                                 apa_schedule=apa)
        care_plan_issue(care_plan=update, actor=medco, on=pps_day + timedelta(days=360))
        enrollment = enrollment_transition(enrollment=enrollment, to_phase="follow_up_y2",
                                           actor=nurse, effective_on=pps_day + timedelta(days=365))
        if rng.random() < 0.3:
            enrollment_exit(enrollment=enrollment, actor=nurse, reason="patient_choice",
                            on=min(pps_day + timedelta(days=420), today),
                            note="Souhaite arrêter le suivi à distance.")


def _care_records(enrollment, assessment_day: date, pps_day: date, rng: random.Random, *,
                  nurse, pros) -> None:
    """What is recorded along the way: checklist, calls and time, reconciliation, equipment,
    lab results, sometimes an unplanned hospitalisation."""
    from decimal import Decimal

    from constel.tenancy import tenant_context
    from pathways.models import ChecklistItem, Equipment
    from pathways.services.care_records import (
        checklist_mark,
        equipment_create,
        equipment_lend,
        equipment_return,
        hospitalisation_record,
        lab_result_record,
        reconciliation_record,
        time_record,
    )

    today = dates.today()
    with tenant_context(enrollment.tenant_id):
        items = list(ChecklistItem.objects.filter(enrollment=enrollment))
    for item in items:
        checklist_mark(item=item, done_on=assessment_day - timedelta(days=rng.randint(5, 40)),
                       received=True)
    time_record(enrollment=enrollment, kind="pre_assessment_call",
                on=assessment_day - timedelta(days=10), minutes=60, by=None,
                note="Préparation du bilan : documents demandés.")
    reconciliation_record(enrollment=enrollment, pharmacist=pros[Role.PHARMACIST],
                          done_on=assessment_day, discrepancies=rng.randint(0, 3),
                          conclusion="Traitement revu avec le patient ; un doublon supprimé.",
                          by=pros[Role.PHARMACIST].user)
    month = pps_day + timedelta(days=30)
    while month < min(today, pps_day + timedelta(days=365)):
        time_record(enrollment=enrollment, kind="motivational", on=month,
                    minutes=rng.choice([40, 50]), by=nurse, note="Appel de suivi")
        month += timedelta(days=rng.randint(28, 45))
    lab_result_record(enrollment=enrollment, code="hba1c",
                      value=Decimal(rng.randint(70, 95)) / 10, measured_on=assessment_day)
    if pps_day + timedelta(days=200) < today:
        lab_result_record(enrollment=enrollment, code="hba1c",
                          value=Decimal(rng.randint(62, 85)) / 10,
                          measured_on=pps_day + timedelta(days=180))
    kind = rng.choice(list(Equipment.Kind.values))
    serial = f"{kind[:3].upper()}-{enrollment.pk.hex[:6].upper()}"
    scale = equipment_create(tenant=enrollment.tenant, kind=kind, serial_number=serial)
    loan = equipment_lend(equipment=scale, enrollment=enrollment, on=pps_day)
    if rng.random() < 0.2:
        equipment_return(loan=loan, on=min(pps_day + timedelta(days=120), today))
    if rng.random() < 0.25 and pps_day + timedelta(days=60) < today:
        admitted = pps_day + timedelta(days=rng.randint(30, 60))
        hospitalisation_record(enrollment=enrollment, kind="hospitalisation",
                               admitted_on=admitted, discharged_on=admitted + timedelta(days=4),
                               planned=False, cause="Décompensation cardiaque",
                               place="Clinique Pasteur")


BASELINES = {"body_weight": (78, 1.2), "systolic_bp": (138, 12), "diastolic_bp": (82, 7),
             "spo2": (95, 1.8), "capillary_glucose": (1.3, 0.35), "heart_rate": (74, 8)}


def _readings(tenant: Tenant, rng: random.Random, *, nurse, medco) -> None:
    """Months of readings for the patients in follow-up (imported in bulk as history, then
    evaluated set-based like any batch), and alerts in every state."""
    from decimal import Decimal

    from simple_history.utils import bulk_create_with_history

    from constel.tenancy import tenant_context
    from pathways.models import Enrollment
    from telemonitoring.models import Alert, AlertRule, Reading
    from telemonitoring.services import (
        FOLLOWING_PHASES,
        alert_close,
        alert_escalate,
        alert_take,
        evaluate_readings,
        sweep,
    )

    now = timezone.now()
    with tenant_context(tenant):
        enrollments = list(Enrollment.objects.filter(phase__in=FOLLOWING_PHASES)
                           .exclude(phase="pps_definition"))
        rules = list(AlertRule.objects.filter(enrollment__in=enrollments, active=True,
                                              kind="bounds").select_related("indicator"))
        rows = []
        for enrollment in enrollments:
            followed = {r.indicator for r in rules if r.enrollment_id == enrollment.pk}
            days = rng.randint(45, 90)
            shift = {code: rng.uniform(-0.1, 0.1) for code in BASELINES}
            for indicator in followed:
                mean, sd = BASELINES.get(indicator.code, (None, None))
                if mean is None:
                    continue
                mean *= 1 + shift[indicator.code]
                for day in range(days, 0, -1):
                    if indicator.code != "body_weight" and rng.random() < 0.5:
                        continue
                    value = rng.gauss(mean, sd)
                    if rng.random() < 0.01:  # a rare bad day
                        value = mean + (4 if indicator.code != "spo2" else -3) * sd
                    value = min(max(value, float(indicator.plausible_min)),
                                float(indicator.plausible_max))
                    rows.append(Reading(
                        tenant=tenant, enrollment=enrollment, indicator=indicator,
                        value=Decimal(f"{value:.{indicator.decimals}f}"),
                        measured_at=now - timedelta(days=day, hours=rng.randint(-2, 2)),
                        entered_by=enrollment.patient.user if enrollment.patient.user_id
                        else None,
                        source="portal" if rng.random() < 0.85 else "nurse_phone"))
        bulk_create_with_history(rows, Reading, batch_size=2000)
        evaluate_readings(tenant_id=tenant.pk, reading_ids=[r.pk for r in rows])
        sweep(tenant=tenant, now=now)
        alerts = list(Alert.objects.exclude(status="closed").order_by("opened_at"))
        for i, alert in enumerate(alerts[: max(0, len(alerts) - 6)]):
            alert = alert_take(alert=alert, nurse=nurse)
            if i % 4 == 3:
                alert = alert_escalate(alert=alert, by=nurse, note="Avis médical")
                if i % 8 == 7:
                    alert_close(alert=alert, by=medco, role="physician_coordinator",
                                outcome="medical_action",
                                gp_involvement="Médecin traitant informé par téléphone",
                                note="Adaptation du diurétique")
            elif i % 4 != 2:
                alert_close(alert=alert, by=nurse, role="nurse_coordinator",
                            outcome=rng.choice(["advice", "no_action", "erroneous_entry"]),
                            note="Rappel du patient")


def _billing(tenant: Tenant, rng: random.Random, *, finance: User) -> None:
    """Forfait catalogue and budget plan; for Constel'Action: statements issued up to the
    2024-10-01 – 2025-03-31 period (old tariffs), a back-dated reclassification found after
    issue (adjustment lines), the 2025-04-01 – 2025-09-30 draft holding both tariffs on each
    side of 2025-07-01, and remuneration statements of the self-employed professionals."""
    from billing.models import ClaimLine
    from billing.services import (
        catalogue_load,
        compile_claims,
        remuneration_compile,
        statement_issue,
    )
    from constel.tenancy import tenant_context
    from pathways.models import Activity
    from patients.models import Diagnosis, Pathology
    from patients.services import diagnosis_add

    catalogue_load(tenant=tenant)
    with tenant_context(tenant):
        # Sessions done in the directory's self-employed professionals' practices.
        for profession in ("dietitian", "sports_educator", "psychologist"):
            pro = (Professional.objects.filter(profession=profession).first()
                   or professional_create(tenant=tenant, kind=Professional.Kind.ALLIED,
                                          first_name="Claire", last_name="Morel",
                                          profession=profession, rpps=_rpps(rng)))
            Activity.objects.filter(profession=profession, professional=None).update(
                professional=pro)
    if tenant.claim_period_kind == Tenant.PeriodKind.CALENDAR:
        return
    for day in (date(2024, 4, 1), date(2024, 10, 1)):
        statement_issue(statement=compile_claims(tenant=tenant, day=day), actor=finance)
    # After issue, a cardiologist's letter shows a second chronic disease that dated from
    # before a MONO patient's year-1 follow-up: POLY on the due date (credit F2, debit F3).
    with tenant_context(tenant):
        line = (ClaimLine.objects.filter(kind__code="F2", statement__status="issued")
                .select_related("patient").order_by("due_on").first())
        if line is not None:
            groups = set(Diagnosis.objects.filter(patient=line.patient)
                         .values_list("pathology__group_code", flat=True))
            other = Pathology.objects.exclude(group_code__in=groups).exclude(
                code="chronic_kidney_disease").order_by("code").first()
    if line is not None and other is not None:
        diagnosis_add(patient=line.patient, pathology=other,
                      diagnosed_on=line.due_on - timedelta(days=200))
    compile_claims(tenant=tenant, day=date(2025, 4, 1))
    remuneration_compile(tenant=tenant, day=date(2025, 4, 1))


def _engagement(tenant: Tenant, rng: random.Random, *, nurse: User) -> None:
    """Messages between patients and the nurse (one unread on each side for the demo
    patient), EPICES answers for a few patients (one in precarity)."""
    from constel.tenancy import tenant_context
    from engagement.models import Questionnaire
    from engagement.services import (
        content_assign,
        content_create,
        epices_record,
        message_send,
        questionnaire_answer,
        questionnaires_load,
    )
    from patients.models import Patient

    questionnaires_load(tenant=tenant)
    contents = [content_create(tenant=tenant, title=title, body=body, video=None, actor=nurse)
                for title, body in (
        ("Bien se peser", "Pesez-vous chaque matin, au réveil, après être allé aux toilettes "
                          "et avant le petit-déjeuner, avec les mêmes vêtements. Notez le "
                          "poids dans votre espace. Une prise de 2 kg en 3 jours doit être "
                          "signalée : c'est souvent de l'eau."),
        ("Prendre sa tension à la maison", "Assis, au calme depuis 5 minutes, le bras posé "
                                           "sur la table. Trois mesures le matin, trois le "
                                           "soir, trois jours de suite (règle des 3)."),
        ("Marcher après 70 ans", "Commencez par 10 minutes par jour à votre rythme, puis "
                                 "augmentez de 5 minutes chaque semaine. L'enseignant en "
                                 "activité physique adaptée vous montre les exercices."),
    )]
    with tenant_context(tenant):
        prom = Questionnaire.objects.get(code="prom-eva")
        prem = Questionnaire.objects.get(code="prem-suivi")

    with tenant_context(tenant):
        patients = list(Patient.objects.filter(enrollments__phase__in=[
            "follow_up_y1", "follow_up_y2"]).select_related("user").order_by("created_at")[:6])
        demo = Patient.objects.filter(user__email__startswith="patient@").first()
    if demo is not None and demo not in patients:
        patients.insert(0, demo)
    for k, patient in enumerate(patients):
        for item in contents[: 1 + k % 3]:
            content_assign(item=item, patient=patient, actor=nurse)
        author = patient.user or nurse
        message_send(patient=patient, author=author, from_patient=True,
                     body="Bonjour, ma tension était un peu haute ce matin (15/9), "
                          "dois-je m'inquiéter ?" if k % 2 == 0 else
                     "Je ne pourrai pas venir à la séance d'activité physique de jeudi.")
        if k % 3 != 2:
            message_send(patient=patient, author=nurse, from_patient=False,
                         body="Bonjour, merci pour votre message. Reprenez votre tension ce "
                              "soir au calme ; je vous rappelle demain matin.")
        if k < 4:
            answers = {str(i): rng.choice(["yes", "no"]) for i in range(11)}
            if k == 0:
                answers.update({"0": "yes", "1": "no", "4": "yes"})
            epices_record(patient=patient, answers=answers, by=patient.user)
        if k and k < 5:
            questionnaire_answer(questionnaire=prom, by=patient.user or nurse, patient=patient,
                                 answers={"0": str(rng.randint(45, 90))})
            questionnaire_answer(questionnaire=prem, by=patient.user or nurse, patient=patient,
                                 answers={"0": str(rng.randint(6, 10)), "1": "yes",
                                          "2": "yes", "3": "Merci à toute l'équipe."})
