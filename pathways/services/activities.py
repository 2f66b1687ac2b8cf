"""Appointments and sessions: planned, done, missed, cancelled; group rosters."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from constel import dates
from constel.tenancy import tenant_context
from pathways.models import Activity, Enrollment, GroupSession, Phase

STATUS_CHANGES = {
    Activity.Status.PLANNED: {Activity.Status.DONE, Activity.Status.MISSED,
                              Activity.Status.CANCELLED},
    Activity.Status.MISSED: {Activity.Status.PLANNED, Activity.Status.DONE},
    Activity.Status.DONE: set(),
    Activity.Status.CANCELLED: {Activity.Status.PLANNED},
}


def _check_date(enrollment: Enrollment, scheduled_at: datetime) -> None:
    # Both instants as days of the programme (a session planned "now" at 00:30 in Toulouse
    # for a patient enrolled that evening is the same day, not the day before in UTC).
    entered = dates.local_day(enrollment.created_at, enrollment.tenant_id)
    if dates.local_day(scheduled_at, enrollment.tenant_id) < entered:
        raise ValidationError({"scheduled_at": _("A session cannot be dated before the "
                                                 "enrollment (%(d)s).")
                               % {"d": f"{entered:%d/%m/%Y}"}})
    if enrollment.phase in (Phase.EXITED, Phase.DECLINED):
        raise ValidationError({"enrollment": _("The patient has left the programme.")})


@transaction.atomic
def activity_plan(*, enrollment: Enrollment, kind: str, scheduled_at: datetime,
                  professional=None, profession: str = "", duration_minutes: int = 30,
                  note: str = "", care_plan_item=None) -> Activity:
    if kind not in Activity.Kind.values:
        raise ValidationError({"kind": _("Unknown kind of activity.")})
    if not 5 <= duration_minutes <= 600:
        raise ValidationError({"duration_minutes": _("Between 5 and 600 minutes.")})
    with tenant_context(enrollment.tenant_id):
        _check_date(enrollment, scheduled_at)
        return Activity.objects.create(
            tenant_id=enrollment.tenant_id, enrollment=enrollment, kind=kind,
            scheduled_at=scheduled_at, professional=professional,
            profession=profession or (professional.profession if professional else ""),
            duration_minutes=duration_minutes, note=note, care_plan_item=care_plan_item)


@transaction.atomic
def activity_set_status(*, activity: Activity, status: str, note: str | None = None) -> Activity:
    with tenant_context(activity.tenant_id):
        activity = Activity.objects.select_for_update().get(pk=activity.pk)
        if status not in STATUS_CHANGES.get(activity.status, set()):
            raise ValidationError({"status": _("A session “%(from)s” cannot become “%(to)s”.")
                                   % {"from": activity.get_status_display(),
                                      "to": Activity.Status(status).label}})
        if status == Activity.Status.DONE and activity.scheduled_at > timezone.now():
            raise ValidationError({"status": _("A session in the future cannot be done yet.")})
        activity.status = status
        if note is not None:
            activity.note = note[:500]
        activity.save()
        return activity


@transaction.atomic
def activity_plan_call(*, activity: Activity) -> Activity:
    """The nurse plans a call after a missed appointment (clears the worklist line)."""
    with tenant_context(activity.tenant_id):
        activity = Activity.objects.select_for_update().get(pk=activity.pk)
        if activity.status != Activity.Status.MISSED:
            raise ValidationError({"status": _("Only a missed session calls for a call.")})
        activity.follow_up_call_planned = True
        activity.save()
        if Activity.objects.filter(enrollment_id=activity.enrollment_id, kind=Activity.Kind.CALL,
                                   status=Activity.Status.PLANNED).exists():
            return activity  # one call covers every missed session: not a second one
        Activity.objects.create(
            tenant_id=activity.tenant_id, enrollment_id=activity.enrollment_id,
            kind=Activity.Kind.CALL, scheduled_at=timezone.now(), duration_minutes=15,
            note=_("Call after a missed session"))
        return activity


@transaction.atomic
def group_session_create(*, tenant, label: str, scheduled_at: datetime, capacity: int,
                         kind: str = Activity.Kind.APA, site=None, professional=None,
                         duration_minutes: int = 60) -> GroupSession:
    if capacity not in (4, 8, 10):
        raise ValidationError({"capacity": _("Groups are of 4 or 10 (APA) or 8 (ETP).")})
    with tenant_context(tenant):
        return GroupSession.objects.create(
            tenant=tenant, label=label, scheduled_at=scheduled_at, capacity=capacity,
            kind=kind, site=site, professional=professional, duration_minutes=duration_minutes)


@transaction.atomic
def group_session_enrol(*, session: GroupSession, enrollment: Enrollment) -> Activity:
    """Add a patient to the roster; refused when the group is full."""
    with tenant_context(session.tenant_id):
        session = GroupSession.objects.select_for_update().get(pk=session.pk)
        taken = session.participants.exclude(status=Activity.Status.CANCELLED).count()
        if taken >= session.capacity:
            raise ValidationError({"group_session": _("This group is full (%(n)s places).")
                                   % {"n": session.capacity}})
        if session.participants.filter(enrollment=enrollment).exists():
            raise ValidationError({"group_session": _("The patient is already on the roster.")})
        _check_date(enrollment, session.scheduled_at)
        return Activity.objects.create(
            tenant_id=session.tenant_id, enrollment=enrollment, kind=session.kind,
            group_session=session, scheduled_at=session.scheduled_at,
            professional=session.professional, duration_minutes=session.duration_minutes)


#: §III.1.e.2 — specialists of the assessment day, by pathology (3–4 consultations).
SPECIALISTS_BY_PATHOLOGY = {
    "type_1_diabetes": ["diabetologist", "cardiologist"],
    "type_2_diabetes": ["diabetologist", "cardiologist"],
    "heart_failure_chronic_and_acute": ["cardiologist"],
    "hypertension": ["cardiologist"],
    "chronic_coronary_disease": ["cardiologist"],
    "acute_coronary_syndrome": ["cardiologist"],
    "peripheral_arterial_disease_lower_limb": ["vascular_physician", "cardiologist"],
    "deep_vein_thrombosis": ["vascular_physician"],
    "pulmonary_embolism": ["pulmonologist", "vascular_physician"],
    "copd": ["pulmonologist"],
    "crohn_disease": ["gastroenterologist"],
    "ulcerative_colitis": ["gastroenterologist"],
    "nash": ["hepatologist"],
    "chronic_kidney_disease": ["nephrologist"],
    "breast_cancer": ["oncologist"], "prostate_cancer": ["oncologist"],
    "colorectal_cancer": ["oncologist"],
}


def assessment_day_proposal(*, pathologies: list[str], age: int, smoker: bool) -> list[str]:
    """The professions seen on the assessment day: 3–4 specialist consultations chosen by
    the pathologies (the sports physician always), then the allied assessments."""
    specialists: list[str] = []
    for code in pathologies:
        for profession in SPECIALISTS_BY_PATHOLOGY.get(code, []):
            if profession not in specialists:
                specialists.append(profession)
    specialists = specialists[:3] + ["sports_physician"]
    allied = ["nurse", "dietitian", "psychologist"]
    if age > 65:
        allied.append("neuropsychologist")
    if smoker:
        allied.append("tobacco_specialist")
    return specialists + allied + ["physical_activity_tests"]


@transaction.atomic
def assessment_day_plan(*, enrollment: Enrollment, day, start_hour: int = 8) -> list[Activity]:
    """Plan the assessment day: one 45-min slot per profession from ``start_hour``, each with
    the programme's professional of that profession when the directory has one."""
    from patients.models import Diagnosis, Professional

    if day < dates.today(enrollment.tenant_id):
        raise ValidationError({"day": _("Plan the assessment day today or later.")})
    with tenant_context(enrollment.tenant_id):
        enrollment = Enrollment.objects.select_related("patient").get(pk=enrollment.pk)
        if enrollment.phase != Phase.INITIAL_ASSESSMENT:
            raise ValidationError({"phase": _("The assessment day belongs to phase 1.")})
        if Activity.objects.filter(enrollment=enrollment, kind=Activity.Kind.ASSESSMENT,
                                   status=Activity.Status.PLANNED).exists():
            raise ValidationError({"day": _("An assessment day is already planned.")})
        patient = enrollment.patient
        codes = list(Diagnosis.objects.filter(patient=patient, ended_on=None)
                     .order_by("pathology__position").values_list("pathology__code", flat=True))
        professions = assessment_day_proposal(pathologies=codes, age=patient.age_on(day),
                                              smoker=patient.smoker)
        directory = {}
        for pro in Professional.objects.exclude(profession=""):
            directory.setdefault(pro.profession, pro)
        slot = dates.at(day, time(start_hour, 0), enrollment.tenant_id)
        planned = []
        for profession in professions:
            planned.append(Activity.objects.create(
                tenant_id=enrollment.tenant_id, enrollment=enrollment,
                kind=Activity.Kind.ASSESSMENT, profession=profession,
                professional=directory.get(profession), scheduled_at=slot,
                duration_minutes=45))
            slot += timedelta(minutes=45)
        return planned


def appointments_remind(*, tenant, now=None) -> int:
    """SMS the day before each planned appointment (the cahier budgets "SMS de rappel de
    rdv"), once per appointment, to patients with a phone who did not opt out."""
    from constel.sms import send_sms

    now = now or timezone.now()
    tomorrow = dates.local_day(now, tenant) + timedelta(days=1)
    start = dates.day_start(tomorrow, tenant)
    sent = 0
    with tenant_context(tenant):
        due = (Activity.objects.filter(status=Activity.Status.PLANNED, reminder_sent_at=None,
                                       scheduled_at__gte=start,
                                       # a day is 23 or 25 hours at the clock changes
                                       scheduled_at__lt=dates.day_end(tomorrow, tenant),
                                       enrollment__patient__appointment_sms=True)
               .exclude(kind=Activity.Kind.CALL).exclude(enrollment__patient__phone="")
               .select_related("enrollment__patient", "professional"))
        for a in due:
            with transaction.atomic():
                claimed = Activity.objects.filter(pk=a.pk, reminder_sent_at=None).update(
                    reminder_sent_at=now)
                if not claimed:
                    continue  # another worker sent it
                at = dates.local_time(a.scheduled_at, tenant)
                body = (f"{tenant.name} : rappel de votre rendez-vous demain "
                        f"{at:%d/%m} à {at:%H:%M} ({a.get_kind_display()}). "
                        f"Pour ne plus recevoir ces rappels : votre espace, Mes rendez-vous.")
                send_sms(to=a.enrollment.patient.phone, body=body)
                sent += 1
    return sent
