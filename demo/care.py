"""Demo data of the care itself: each patient's pathway up to their stage (activities, PPS,
care records), a season of readings evaluated like real ones, claims and remuneration
statements, messages and questionnaires. Called by demo/data.py:load. The loaders read top
to bottom as scripts of the demo's story: some are longer than 60 lines on purpose."""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.db.models import Min
from django.utils import timezone

from constel import dates
from constel.models import Tenant, User
from constel.roles import Role
from patients.models import Professional
from patients.services import professional_create


def rpps(rng: random.Random) -> str:
    from stdnum import luhn

    body = "10" + "".join(str(rng.randint(0, 9)) for _ in range(8))
    return body + luhn.calc_check_digit(body)


def _at(day: date, hour: int = 10):
    from datetime import datetime, time


    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def pathway_data(enrollment, stage: int, included: date, rng: random.Random, *, nurse, medco,
             pros) -> None:
    """Drive an included patient further along the pathway, with dated events:
    stage 4 stays in the initial assessment, 3 has a PPS draft, 2 a PPS awaiting the GP,
    1 and 0 a validated PPS with sessions done and missed (0 also in year 2 or exited)."""
    # long: a script of the demo's story, read top to bottom

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
                for call in enrollment.activities.filter(kind="call", status="planned"):
                    call.scheduled_at = _at(day + timedelta(days=1), 10)
                    call.save(update_fields=["scheduled_at"])
                    activity_set_status(activity=call, status="done")
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


def _backdate_alerts() -> None:
    """The demo's readings were evaluated at load time; an alert opened when its first
    breaching reading came in (the console's ages, "opened 3 days ago", read true)."""
    from telemonitoring.models import Alert, AlertEvent

    first = dict(AlertEvent.objects.filter(reading__isnull=False).order_by()
                 .values_list("alert_id").annotate(at=Min("reading__measured_at")))
    for alert_id, at in first.items():
        Alert.objects.filter(pk=alert_id).update(opened_at=at)


def readings_data(tenant: Tenant, rng: random.Random, *, nurse, medco) -> None:
    """Months of readings for the patients in follow-up (imported in bulk as history, then
    evaluated set-based like any batch), and alerts in every state."""
    # long: a script of the demo's story, read top to bottom
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
        _backdate_alerts()
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


def billing_data(tenant: Tenant, rng: random.Random, *, finance: User) -> None:
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
                                          profession=profession, rpps=rpps(rng)))
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


def engagement_data(tenant: Tenant, rng: random.Random, *, nurse: User) -> None:
    """Messages between patients and the nurse (one unread on each side for the demo
    patient), EPICES answers for a few patients (one in precarity)."""
    # long: a script of the demo's story, read top to bottom
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
