"""What the alert page shows for a nurse or a physician to decide in seconds (issue #21):
the patient's banner, the rule in words, the breaching values (for a change rule the change
itself), the indicator's chart with its bands and this alert marked, the patient's other open
alerts, and the next alert of the queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from constel import dates
from constel.access import Cap, has_cap
from constel.models import Membership
from telemonitoring.catalogue import number
from telemonitoring.charts import svg_chart
from telemonitoring.models import Alert, AlertRule, Reading
from telemonitoring.selectors import alerts_in_scope, critical_first

#: How far back the alert's chart goes.
CHART_DAYS = 42


def queue_statuses(membership: Membership) -> list[str]:
    """The alerts a member works on: the coordinating physician those escalated to them;
    a nurse those to triage and those taken (escalated ones have left her queue)."""
    if has_cap(membership, Cap.ALERT_CLOSE_MEDICAL):
        return [Alert.Status.ESCALATED]
    return [Alert.Status.OPEN, Alert.Status.TAKEN]


def queue_label(membership: Membership) -> str:
    if has_cap(membership, Cap.ALERT_CLOSE_MEDICAL):
        return _("Alerts escalated to me")
    return _("Alerts to handle: to triage and taken")


def queue(membership: Membership) -> QuerySet[Alert]:
    """The member's queue in the order to handle it: automatic escalations first (for the
    physician), then critical before warning, then the oldest."""
    return (alerts_in_scope(membership=membership)
            .filter(status__in=queue_statuses(membership))
            .annotate(rank=critical_first())
            .order_by("-auto_escalated", "rank", "opened_at", "pk"))


def next_alert(membership: Membership, *, after: Alert) -> Alert | None:
    """The first alert of the member's queue other than ``after``."""
    return queue(membership).exclude(pk=after.pk).select_related(
        "enrollment__patient", "indicator").first()


def _n(value) -> str:
    return "—" if value is None else number(value)


def rule_in_words(rule: AlertRule, unit: str) -> str:
    if rule.kind == AlertRule.Kind.BOUNDS:
        parts, sep = [], _(" or ")
        for label, low, high in ((_("warning"), rule.warn_low, rule.warn_high),
                                 (_("critical"), rule.crit_low, rule.crit_high)):
            sides = ([_("at or below %(v)s") % {"v": _n(low)}] if low is not None else []) + (
                [_("at or above %(v)s") % {"v": _n(high)}] if high is not None else [])
            if sides:
                parts.append(f"{label} {sep.join(sides)}")
        return f"{' ; '.join(parts)} ({unit})"
    if rule.kind == AlertRule.Kind.CHANGE:
        sign = "+" if rule.direction != "fall" else "−"
        return _("a change of %(sign)s%(amount)s %(unit)s or more within %(hours)s h") % {
            "sign": sign, "amount": _n(rule.amount), "unit": unit,
            "hours": rule.window_hours}
    return _("no reading for more than %(hours)s h (expected every %(every)s h, tolerance "
             "× %(tol)s)") % {"hours": _n((rule.expected_interval_hours or 0)
                                          * Decimal(rule.tolerance)),
                              "every": rule.expected_interval_hours, "tol": _n(rule.tolerance)}


@dataclass
class Breach:
    reading: Reading | None
    at: object
    level: str
    change: str = ""  # for a change rule: "+2,3 kg en 52 h"


def _change(rule: AlertRule, reading: Reading, unit: str, around: list[tuple]) -> str:
    """The change that breached: from the lowest (rise) or highest (fall) reading of the
    window before this one, with the hours between them. ``around``: (pk, measured_at, value)
    of the indicator's readings over every breach's window, read once."""
    start = reading.measured_at - timedelta(hours=rule.window_hours or 0)
    window = [(at, value) for pk, at, value in around
              if pk != reading.pk and start <= at <= reading.measured_at]
    if not window:
        return ""
    pick = min if rule.direction != "fall" else max
    at, ref = pick(window, key=lambda tv: tv[1])
    delta = reading.value - ref
    hours = round((reading.measured_at - at).total_seconds() / 3600)
    sign = "+" if delta >= 0 else "−"
    return _("%(sign)s%(delta)s %(unit)s in %(hours)s h") % {
        "sign": sign, "delta": _n(abs(delta)), "unit": unit, "hours": hours}


def breaches(alert: Alert, unit: str, *, limit: int = 50) -> list[Breach]:
    """The readings that opened or fed the alert, latest first; for a change rule, the
    change of each (the window's readings read in one query, whatever their number)."""
    events = list(alert.events.select_related("reading", "reading__entered_by")
                  .order_by("-at")[:limit])
    readings = [e.reading for e in events if e.reading is not None]
    around: list[tuple] = []
    if readings and alert.rule.kind == AlertRule.Kind.CHANGE:
        start = min(r.measured_at for r in readings) - timedelta(
            hours=alert.rule.window_hours or 0)
        around = list(Reading.objects.filter(
            enrollment_id=alert.enrollment_id, indicator_id=alert.indicator_id,
            measured_at__gte=start, measured_at__lte=max(r.measured_at for r in readings))
            .values_list("pk", "measured_at", "value"))
    return [Breach(e.reading, e.at, e.level,
                   _change(alert.rule, e.reading, unit, around)
                   if e.reading is not None and around else "") for e in events]


def chart(alert: Alert, unit: str, breached: list[Breach]) -> str:
    """The indicator over the last weeks, the rule's bands shaded, this alert's readings
    (``breached``) marked (SVG, with a text alternative)."""
    since = timezone.now() - timedelta(days=CHART_DAYS)
    points = list(Reading.objects.filter(
        enrollment_id=alert.enrollment_id, indicator_id=alert.indicator_id,
        measured_at__gte=since).order_by("measured_at").values_list("measured_at", "value"))
    marks = [b.reading.measured_at for b in breached
             if b.reading is not None and b.reading.measured_at >= since]
    bounds = AlertRule.objects.filter(enrollment_id=alert.enrollment_id,
                                      indicator_id=alert.indicator_id, active=True,
                                      kind=AlertRule.Kind.BOUNDS).first()
    return mark_safe(svg_chart(  # noqa: S308 (our own SVG, every text escaped)
        title=alert.indicator.label, unit=unit, points=points,
        warn=(bounds.warn_low, bounds.warn_high) if bounds else (None, None),
        crit=(bounds.crit_low, bounds.crit_high) if bounds else (None, None),
        alerts=marks))


def banner(patient) -> dict:
    """Who the alert is about, for identity and context: pathologies, group, GP."""
    from patients.models import Diagnosis
    from patients.services import group_on
    from patients.validators import age_on

    today = dates.today()
    return {
        "patient": patient, "age": age_on(patient.birth_date, today),
        "group": group_on(patient, today),
        "pathologies": [d.pathology.label for d in Diagnosis.objects.filter(
            patient=patient, ended_on__isnull=True).select_related("pathology")
            .order_by("pathology__label")],
    }


def other_open_alerts(alert: Alert) -> QuerySet[Alert]:
    return (Alert.objects.filter(enrollment_id=alert.enrollment_id)
            .exclude(pk=alert.pk).exclude(status=Alert.Status.CLOSED)
            .select_related("indicator").order_by("opened_at"))
