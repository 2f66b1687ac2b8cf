"""Reads of the pathway for a membership: enrollments, care plans and activities within its
patient scope (constel.access: within_scope, object_in_scope — the one scope function), the
nurse's worklist and the enrollment page's charts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from constel import dates
from constel.access import Cap, object_in_scope, within_scope
from constel.models import Membership
from constel.utils import is_uuid
from pathways.models import Activity, CarePlan, ChecklistItem, Enrollment, EquipmentLoan, Phase
from pathways.sql import counts


def enrollment_get(*, membership: Membership, pk, cap: Cap = Cap.PATIENT_CLINICAL) -> Enrollment:
    """403 without ``cap``, 404 out of the clinical scope (as missing)."""
    return object_in_scope(Enrollment.objects.select_related("patient", "patient__gp"),
                           membership=membership, patient_path="patient", cap=cap, pk=pk)


def care_plan_get(*, membership: Membership, pk, cap: Cap = Cap.PATIENT_CLINICAL) -> CarePlan:
    return object_in_scope(
        CarePlan.objects.select_related("enrollment__patient", "issued_by", "author"),
        membership=membership, patient_path="enrollment__patient", cap=cap, pk=pk)


def enrollments_in_scope(*, membership: Membership, clinical: bool = False
                         ) -> QuerySet[Enrollment]:
    """The enrollments of the patients the membership may see (``clinical``: and whose
    clinical data it may see)."""
    return within_scope(Enrollment.objects.filter(tenant_id=membership.tenant_id), membership,
                        patient_path="patient", clinical=clinical)


def care_plans_in_scope(*, membership: Membership) -> QuerySet[CarePlan]:
    return within_scope(CarePlan.objects.filter(tenant_id=membership.tenant_id), membership,
                        patient_path="enrollment__patient")


def activities_in_scope(*, membership: Membership, clinical: bool = False
                        ) -> QuerySet[Activity]:
    return within_scope(Activity.objects.filter(tenant_id=membership.tenant_id), membership,
                        patient_path="enrollment__patient", clinical=clinical)


# What the worklist shows of a patient (the identity filter: name, sex, birth date).
_NAMES = ("birth_name", "used_name", "first_names", "birth_date", "sex")


@dataclass
class WorkSection:
    key: str
    title: str
    rows: QuerySet
    count: int


def my_patients(membership: Membership) -> Q:
    """"My patients" for a nurse: those assigned to her in the directory, or whose alert she
    took (as a condition on the patient, for the worklist's filter)."""
    from telemonitoring.models import Alert

    taken = Alert.objects.filter(tenant_id=membership.tenant_id,
                                 taken_by_id=membership.user_id).values("enrollment__patient_id")
    return (Q(assignments__professional__user_id=membership.user_id)
            | Q(pk__in=taken))


def _filtered(qs: QuerySet, *, membership: Membership, site: str, group: str,
              patient_path: str, mine: bool = False) -> QuerySet:
    from django.db.models import OuterRef, Subquery

    from patients.models import GroupPeriod, Patient

    qs = within_scope(qs, membership, patient_path=patient_path, clinical=False)
    if mine:
        qs = qs.filter(**{f"{patient_path}__in": Patient.objects.filter(
            my_patients(membership)).values("pk")})
    if site:
        qs = qs.filter(**{f"{patient_path}__site_id": site}) if is_uuid(site) else qs.none()
    if group in ("MONO", "POLY"):
        current = (GroupPeriod.objects.filter(patient=OuterRef(patient_path),
                                              valid_from__lte=dates.today())
                   .order_by("-valid_from", "-recorded_at").values("group")[:1])
        qs = qs.annotate(current_group=Subquery(current)).filter(current_group=group)
    return qs



def _still_valid(tenant_id, today) -> Q:
    """Checklist items done recently enough not to be repeated (one query for the few
    distinct validity windows of the tenant)."""
    windows = set(ChecklistItem.objects.filter(tenant_id=tenant_id, validity_days__isnull=False)
                  .order_by().values_list("validity_days", flat=True).distinct())
    cond = Q(pk__in=[])
    for days in windows:
        cond |= Q(validity_days=days, done_on__gte=today - timedelta(days=days))
    return cond


def worklist(*, membership: Membership, site: str = "", group: str = "", mine: bool = False,
             limit: int = 20) -> list[WorkSection]:
    """Today's and overdue tasks across the patients in scope, by kind: one statement counts
    every section, then one query lists the rows of each section that has any, whatever the
    number of patients."""
    # long: the table of the worklist's 14 sections, one entry each, then one count and one
    # query per non-empty section
    now = timezone.now()
    today = dates.today()
    tenant_id = membership.tenant_id

    def section(key, title, qs, path):
        qs = _filtered(qs.filter(tenant_id=tenant_id), membership=membership, site=site,
                       group=group, patient_path=path, mine=mine)
        return WorkSection(key, title, qs, 0)


    from engagement.models import Message
    from letters.models import Letter
    from telemonitoring.console import queue_label, queue_statuses
    from telemonitoring.models import Alert
    from telemonitoring.selectors import critical_first

    def shown(patient_path, *fields):
        """The columns the page shows: ``fields`` and the patient's name (each section
        otherwise selects every column of three or four tables: building that query cost
        more than running it)."""
        return [*fields, patient_path, *(f"{patient_path}__{f}" for f in (*_NAMES, "id"))]

    enrolled = "enrollment__patient"
    activity = ("enrollment", "kind", "scheduled_at", "status", "professional__kind",
                "professional__first_name", "professional__last_name", "profession")
    # A return-home review has its own section: not listed again among the appointments.
    not_review = ~Q(kind=Activity.Kind.RETURN_HOME_REVIEW)
    sections = [
        section("alerts", queue_label(membership),
                Alert.objects.filter(status__in=queue_statuses(membership))
                .annotate(rank=critical_first())
                .select_related(enrolled, "indicator", "taken_by")
                .only(*shown(enrolled, "level", "status", "opened_at", "enrollment",
                             "indicator__label", "taken_by__first_name",
                             "taken_by__last_name"))
                .order_by("rank", "opened_at"),
                enrolled),
        section("messages", _("Unread messages from patients"),
                Message.objects.filter(from_patient=True, read_at__isnull=True)
                .select_related("patient").only(*shown("patient", "body", "sent_at"))
                .order_by("sent_at"), "patient"),
        section("letters", _("Letters that could not be sent"),
                Letter.objects.filter(status__in=[Letter.Status.FAILED, Letter.Status.NO_ADDRESS])
                .select_related(enrolled)
                .only(*shown(enrolled, "enrollment", "subject", "status", "last_error",
                             "created_at"))
                .order_by("created_at"), enrolled),
        section("pps_validation", _("PPS awaiting the GP's validation"),
                CarePlan.objects.filter(status=CarePlan.Status.ISSUED,
                                        gp_status=CarePlan.GpStatus.PENDING)
                .select_related(enrolled)
                .only(*shown(enrolled, "enrollment", "version", "issued_on",
                             "gp_reminders_sent"))
                .order_by("issued_at"), enrolled),
        section("pps_drafts", _("PPS drafts to finish"),
                CarePlan.objects.filter(status=CarePlan.Status.DRAFT)
                .select_related(enrolled)
                .only(*shown(enrolled, "enrollment", "version", "issued_on",
                             "gp_reminders_sent", "reason", "created_at"))
                .order_by("created_at"), enrolled),
        section("missed", _("Missed appointments: plan a call"),
                Activity.objects.filter(status=Activity.Status.MISSED,
                                        follow_up_call_planned=False)
                .select_related(enrolled, "professional").only(*shown(enrolled, *activity))
                .order_by("scheduled_at"), enrolled),
        section("to_confirm", _("Appointments of the next 7 days to confirm"),
                Activity.objects.filter(status=Activity.Status.PLANNED,
                                        scheduled_at__gte=now,
                                        scheduled_at__lt=now + timedelta(days=7))
                .exclude(kind=Activity.Kind.CALL).filter(not_review)
                .select_related(enrolled, "professional").only(*shown(enrolled, *activity))
                .order_by("scheduled_at"), enrolled),
        section("calls", _("Calls to make"),
                Activity.objects.filter(status=Activity.Status.PLANNED, kind=Activity.Kind.CALL,
                                        scheduled_at__lt=dates.day_start(
                                            today + timedelta(days=1)))
                .select_related(enrolled, "professional").only(*shown(enrolled, *activity))
                .order_by("scheduled_at"), enrolled),
        section("overdue", _("Past appointments still marked planned"),
                Activity.objects.filter(status=Activity.Status.PLANNED, scheduled_at__lt=now)
                .filter(not_review).exclude(kind=Activity.Kind.CALL)
                .select_related(enrolled, "professional")
                .only(*shown(enrolled, *activity))
                .order_by("scheduled_at"), enrolled),
        section("entry", _("Inclusions waiting (GP agreement, consent)"),
                Enrollment.objects.filter(phase=Phase.ENTRY)
                .exclude(referral_status__in=["received", "in_review"])
                .select_related("patient", "gp_agreement")
                .only(*shown("patient", "gp_agreement__status", "created_at"))
                .order_by("created_at"), "patient"),
        section("return_home", _("Return-home reviews after a hospitalisation"),
                Activity.objects.filter(kind=Activity.Kind.RETURN_HOME_REVIEW,
                                        status=Activity.Status.PLANNED)
                .select_related(enrolled, "professional").only(*shown(enrolled, *activity))
                .order_by("scheduled_at"), enrolled),
        section("checklist", _("Pre-assessment items to collect"),
                ChecklistItem.objects.filter(received=False,
                                             enrollment__phase=Phase.INITIAL_ASSESSMENT)
                .exclude(_still_valid(tenant_id, today))
                .select_related(enrolled)
                .only(*shown(enrolled, "enrollment", "label", "enrollment__included_on"))
                .order_by("enrollment", "label"), enrolled),
        section("equipment", _("Equipment to recover after an exit"),
                EquipmentLoan.objects.filter(returned_on=None, enrollment__phase=Phase.EXITED)
                .select_related(enrolled, "equipment")
                .only(*shown(enrolled, "enrollment", "lent_on", "equipment__kind",
                             "equipment__serial_number"))
                .order_by("lent_on"), enrolled),
        section("assessment", _("Initial assessments to organise"),
                Enrollment.objects.filter(phase=Phase.INITIAL_ASSESSMENT,
                                          included_on__lte=today)
                .exclude(Exists(Activity.objects.filter(
                    enrollment=OuterRef("pk"), kind=Activity.Kind.ASSESSMENT,
                    status__in=[Activity.Status.PLANNED, Activity.Status.DONE])))
                .select_related("patient").only(*shown("patient", "included_on"))
                .order_by("included_on"), "patient"),
    ]
    for found, count in zip(sections, counts([x.rows for x in sections]), strict=True):
        # An empty section is not asked for its rows (most of a day's sections are empty:
        # each would cost a query to build and a round trip for nothing).
        # The first rows chosen on the section's own table, then joined: joining every
        # matching row before sorting them costs as many lookups as the section has rows.
        first = found.rows.filter(pk__in=found.rows.values("pk")[:limit])
        found.rows, found.count = (first if count else found.rows.none()), count
    return sections


def reading_charts(*, enrollment: Enrollment, days: int = 90) -> list[dict]:
    """One SVG chart per followed indicator over ``days`` (two queries in all)."""
    from collections import defaultdict

    from django.utils.safestring import mark_safe

    from telemonitoring.charts import svg_chart
    from telemonitoring.models import AlertEvent, AlertRule, Reading

    since = timezone.now() - timedelta(days=days)
    rows = (Reading.objects.filter(enrollment=enrollment, measured_at__gte=since)
            .select_related("indicator").order_by("measured_at"))
    by_indicator: dict = defaultdict(list)
    for r in rows:
        by_indicator[r.indicator].append((r.measured_at, r.value))
    rules = {r.indicator_id: r for r in AlertRule.objects.filter(
        enrollment=enrollment, active=True, kind=AlertRule.Kind.BOUNDS)}
    marks: dict = defaultdict(list)
    for e in AlertEvent.objects.filter(alert__enrollment=enrollment,
                                       reading__measured_at__gte=since).select_related("reading"):
        marks[e.reading.indicator_id].append(e.reading.measured_at)
    charts = []
    for indicator, points in sorted(by_indicator.items(), key=lambda kv: kv[0].position):
        rule = rules.get(indicator.pk)
        charts.append({"indicator": indicator, "svg": mark_safe(svg_chart(  # noqa: S308
            title=indicator.label, unit=indicator.unit, points=points,
            warn=(rule.warn_low, rule.warn_high) if rule else (None, None),
            crit=(rule.crit_low, rule.crit_high) if rule else (None, None),
            alerts=marks[indicator.pk]))})
    return charts
