"""The programme dashboard (issue #9, item 1): aggregates only, for a period and a site.
Each table is a list of rows (label, value…) so the page and its CSV export share it."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Avg, Count, DurationField, F, Min
from django.utils.translation import gettext as _

from constel import dates


@dataclass
class Table:
    key: str
    title: str
    header: list[str]
    rows: list[list] = field(default_factory=list)
    chart: bool = False  # a bar per row (label, value)


def _mean(queryset, start: str, end: str) -> timedelta | None:
    """Mean of (end − start) over the rows having both, in one aggregate (an interval)."""
    return queryset.filter(**{f"{start}__isnull": False, f"{end}__isnull": False}).aggregate(
        mean=Avg(F(end) - F(start), output_field=DurationField()))["mean"]


def _aware(d: date, end: bool = False) -> datetime:
    """The first instant of ``d`` (``end``: of the day after) in the programme's zone."""
    return dates.day_end(d) if end else dates.day_start(d)


def dashboard(*, tenant, start: date, end: date, site_id=None) -> list[Table]:


    # long: the programme's tables one after the other, a few lines each, in the order of the
    # page: a report read top to bottom
    from engagement.models import Questionnaire, QuestionnaireResponse
    from pathways.models import (
        Activity,
        CarePlan,
        Enrollment,
        GoalReview,
        Hospitalisation,
        LabResult,
        Phase,
    )
    from patients.models import Convention, Diagnosis, GroupPeriod, Patient
    from telemonitoring.models import Alert, Reading

    enrollments = Enrollment.objects.filter(included_on__isnull=False)
    if site_id:
        enrollments = enrollments.filter(patient__site_id=site_id)
    in_period = enrollments.filter(included_on__gte=start, included_on__lte=end)
    patient_ids = set(enrollments.values_list("patient_id", flat=True))
    tables: list[Table] = []

    months = Counter(f"{d:%Y-%m}" for d in in_period.values_list("included_on", flat=True))
    tables.append(Table("inclusions", _("Patients included per month"), [_("Month"),
                        _("Inclusions")], [[m, n] for m, n in sorted(months.items())],
                        chart=True))
    tables.append(Table("doors", _("Inclusions by entry door"), [_("Door"), _("Inclusions")],
                        [[str(Enrollment.Door(r["door"]).label), r["n"]] for r in
                         in_period.values("door").annotate(n=Count("pk")).order_by("door")],
                        chart=True))
    groups: dict = {}
    for pid, group in GroupPeriod.objects.filter(patient_id__in=patient_ids).order_by(
            "valid_from", "recorded_at").values_list("patient_id", "group"):
        groups[pid] = group
    tables.append(Table("groups", _("Patients by group"), [_("Group"), _("Patients")],
                        [[g, n] for g, n in sorted(Counter(groups.values()).items())],
                        chart=True))
    tables.append(Table("pathologies", _("Patients by pathology"), [_("Pathology"),
                        _("Patients")], [[r["pathology__label"], r["n"]] for r in
                                         Diagnosis.objects.filter(patient_id__in=patient_ids,
                                                                  ended_on=None)
                                         .values("pathology__label")
                                         .annotate(n=Count("patient", distinct=True))
                                         .order_by("-n")], chart=True))
    active = enrollments.exclude(phase__in=[Phase.EXITED, Phase.DECLINED]).count()
    tables.append(Table("active", _("Active file against the cap"), [_("Figure"), _("Value")], [
        [_("Patients followed now"), active],
        [_("Inclusions since the start"), enrollments.count()],
        [_("Cumulative inclusion cap"), tenant.cumulative_inclusion_cap]]))
    tables.append(Table("exits", _("Exits by reason"), [_("Reason"), _("Patients")],
                        [[str(Enrollment.ExitReason(r["exit_reason"]).label), r["n"]]
                         for r in enrollments.filter(exited_on__gte=start, exited_on__lte=end)
                         .exclude(exit_reason="").values("exit_reason")
                         .annotate(n=Count("pk")).order_by("-n")], chart=True))
    tables.append(Table("physicians", _("Patients per GP"), [_("GP"), _("Patients")],
                        [[f"Dr {r['gp__first_name']} {r['gp__last_name']}", r["n"]] for r in
                         Patient.objects.filter(pk__in=patient_ids, gp__isnull=False)
                         .values("gp__first_name", "gp__last_name").annotate(n=Count("pk"))
                         .order_by("-n")]))

    plans = CarePlan.objects.filter(enrollment__in=enrollments, issued_on__gte=start,
                                    issued_on__lte=end)
    validated = plans.filter(gp_status="validated", gp_answered_at__isnull=False)
    delay_pps = _mean(validated, "issued_at", "gp_answered_at")
    first_assessment = (Activity.objects.filter(enrollment__in=in_period, kind="assessment",
                                                status="done")
                        .values("enrollment_id").annotate(first=Min("scheduled_at")))
    included = dict(in_period.values_list("pk", "included_on"))
    delays = [(dates.local_day(r["first"]) - included[r["enrollment_id"]]).days
              for r in first_assessment if included.get(r["enrollment_id"])]
    tables.append(Table("pps", _("PPS and delays"), [_("Figure"), _("Value")], [
        [_("PPS versions issued"), plans.count()],
        [_("Validated by the GP"), validated.count()],
        [_("Mean days from inclusion to the initial assessment"),
         round(sum(delays) / len(delays), 1) if delays else "—"],
        [_("Mean days from PPS issue to GP validation"),
         round(delay_pps.total_seconds() / 86400, 1) if delay_pps else "—"]]))

    # Telefollow-up: adherence, alerts per 100 patient-months, delays.
    followed = enrollments.filter(phase__in=[Phase.FOLLOW_UP_Y1, Phase.ANNUAL_UPDATE,
                                             Phase.FOLLOW_UP_Y2, Phase.FINAL_ASSESSMENT])
    days = (end - start).days + 1
    from telemonitoring.models import AlertRule  # noqa: I001

    # Expected: for each missing-data rule, the days it was in force within the period
    # divided by its interval (a rule set last week expects a week of readings, not years).
    period_end = min(end, dates.today())
    expected = 0.0
    for hours, created in AlertRule.objects.filter(
            enrollment__in=followed, kind="missing", active=True).values_list(
            "expected_interval_hours", "created_at"):
        begin = max(start, dates.local_day(created))
        if begin <= period_end:
            expected += ((period_end - begin).days + 1) * 24 / (hours or 24)
    received = Reading.objects.filter(enrollment__in=followed,
                                      measured_at__gte=_aware(start),
                                      measured_at__lt=_aware(end, True)).exclude(
        indicator__code="diastolic_bp").count()
    alerts = Alert.objects.filter(enrollment__in=enrollments, opened_at__gte=_aware(start),
                                  opened_at__lt=_aware(end, True))
    patient_months = followed.count() * days / 30.44
    take = _mean(alerts, "opened_at", "taken_at")
    close = _mean(alerts, "opened_at", "closed_at")
    tables.append(Table("telefollowup", _("Telefollow-up"), [_("Figure"), _("Value")], [
        [_("Readings received / expected"),
         f"{received} / {round(expected)} ({100 * received / expected:.0f} %)"
         if expected else f"{received} / —"],
        [_("Alerts"), alerts.count()],
        [_("Alerts per 100 patient-months"),
         round(100 * alerts.count() / patient_months, 1) if patient_months else "—"],
        [_("Mean hours to take an alert"),
         round(take.total_seconds() / 3600, 1) if take else "—"],
        [_("Mean hours to close an alert"),
         round(close.total_seconds() / 3600, 1) if close else "—"],
        [_("Hospitalisations and emergency visits recorded"),
         Hospitalisation.objects.filter(enrollment__in=enrollments, admitted_on__gte=start,
                                        admitted_on__lte=end).count()]]))

    # Outcomes and participation.
    surveys = Questionnaire.objects.filter(audience="patient", active=True).count()
    answered = QuestionnaireResponse.objects.filter(
        patient_id__in=patient_ids, kind="defined", answered_at__gte=_aware(start),
        answered_at__lt=_aware(end, True)).count()
    hba1c: dict = defaultdict(list)
    for eid, value in LabResult.objects.filter(enrollment__in=enrollments, code="hba1c") \
            .order_by("measured_on").values_list("enrollment_id", "value"):
        hba1c[eid].append(value)
    changes = [v[-1] - v[0] for v in hba1c.values() if len(v) >= 2]
    goals = GoalReview.objects.filter(enrollment__in=enrollments, on__lte=end)
    reached = {g: goals.filter(goal=g, status="achieved").values("enrollment").distinct()
               .count() for g in ("smoking", "weight", "physical_activity")}
    tables.append(Table("outcomes", _("Outcomes and participation"), [_("Figure"), _("Value")], [
        [_("PROM / PREM answers / questionnaires offered"),
         f"{answered} / {surveys * len(patient_ids)}"],
        [_("EPICES questionnaires filled"),
         QuestionnaireResponse.objects.filter(patient_id__in=patient_ids,
                                              kind="epices").count()],
        [_("Patients who stopped smoking (goal achieved)"), reached["smoking"]],
        [_("Patients who reached their weight goal"), reached["weight"]],
        [_("Patients with regular physical activity (goal achieved)"),
         reached["physical_activity"]],
        [_("Mean HbA1c change between first and last result (points)"),
         _signed(sum(changes, Decimal(0)) / len(changes)) + f" ({len(changes)})" if changes
         else "—"],
        [_("Professionals involved (sessions done)"),
         Activity.objects.filter(enrollment__in=enrollments, status="done",
                                 professional__isnull=False).values("professional")
         .distinct().count()],
        [_("Conventions signed"), Convention.objects.filter(signed_on__lte=end).count()]]))
    return tables


def _signed(value: Decimal) -> str:
    """A change the reader's way: its sign, two decimals, French comma ("−1,02")."""
    from django.utils.formats import number_format

    text = number_format(abs(value), 2)
    return ("+" if value >= 0 else "−") + text
