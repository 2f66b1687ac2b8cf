"""The periodic sweep: readings left unevaluated, missing data, reminders to patients,
auto-escalation of critical alerts not taken in time."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, F, Max, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from constel.models import Tenant
from constel.tenancy import tenant_context
from pathways.models import Enrollment
from telemonitoring import rules
from telemonitoring.catalogue import FOLLOWING_PHASES
from telemonitoring.evaluation import _attach, _span, evaluate_readings
from telemonitoring.lifecycle import alert_transition
from telemonitoring.models import Alert, AlertNote, AlertRule, Indicator, Reading

#: How far back the sweep looks for readings no worker evaluated (BRIN range on entered_at);
#: the sweep runs every 5 minutes, so this covers a fortnight of outage.
SWEEP_LOOKBACK = timedelta(days=14)


def sweep(*, tenant: Tenant, now: datetime | None = None) -> dict:
    """Periodic: evaluate readings left unevaluated (a crashed worker, a lost message),
    raise missing-data alerts, escalate critical alerts not taken in time."""
    now = now or timezone.now()
    with tenant_context(tenant):
        stale = list(Reading.objects.filter(evaluated_at__isnull=True,
                                            entered_at__gte=now - SWEEP_LOOKBACK,
                                            entered_at__lte=now - timedelta(seconds=30))
                     .only("pk", "measured_at")[:5000])
        evaluated = evaluate_readings(tenant_id=tenant.pk, reading_ids=[r.pk for r in stale],
                                      measured=_span(stale)) if stale else 0
        missing = _sweep_missing(tenant, now)
        escalated = _auto_escalate(tenant, now)
        return {"late_evaluations": len(stale), "breaches": evaluated, "missing": missing,
                "escalated": escalated}


def missing_rules_with_last_reading(now: datetime) -> tuple[list[AlertRule], set]:
    """The active missing-data rules of the patients followed, each with ``last_reading``,
    and the ids of those with no reading in their window but an older one (breached
    whatever its exact time). Two queries and an aggregate, whatever the number of rules."""
    followed = AlertRule.objects.filter(kind=AlertRule.Kind.MISSING, active=True,
                                        enrollment__phase__in=FOLLOWING_PHASES)
    # The widest window of these rules (interval × tolerance): a reading older than that
    # breaches every rule, whatever its exact time.
    longest = followed.aggregate(h=Max(Coalesce("expected_interval_hours", Value(24))
                                       * F("tolerance")))["h"]
    if longest is None:
        return [], set()
    horizon = now - timedelta(hours=float(longest), minutes=1)
    pair = {"enrollment_id": OuterRef("enrollment_id"), "indicator_id": OuterRef("indicator_id")}
    # The last reading within the widest window: one backward probe of the index of the
    # month or two it covers (LIMIT 1 per rule; readings are partitioned by month), not an
    # aggregate over every reading of the patients followed (bench/README.md).
    last = Reading.objects.filter(measured_at__gte=horizon,
                                  measured_at__lte=now + timedelta(days=1), **pair) \
        .order_by("-measured_at").values("measured_at")[:1]
    # Only the columns the sweep reads: a 10,000-patient programme has ~33,000 such rules,
    # and turning them into objects costs more than finding them (bench/README.md).
    found = list(followed.only("id", "enrollment_id", "indicator_id", "created_at",
                               "expected_interval_hours", "tolerance")
                 .annotate(last_reading=Subquery(last)))
    # Only for the rules with no reading in the window (patients who stopped, or never
    # started): does any older reading exist? (every month's index, a few rules)
    quiet = [rule.pk for rule in found if rule.last_reading is None]
    read_before = set(AlertRule.objects.filter(pk__in=quiet).filter(Exists(
        Reading.objects.filter(measured_at__lt=horizon, **pair))).values_list(
        "pk", flat=True)) if quiet else set()
    return found, read_before


@transaction.atomic
def _sweep_missing(tenant: Tenant, now: datetime) -> int:
    missing_rules, read_before = missing_rules_with_last_reading(now)
    breaches = []
    for rule in missing_rules:
        if rule.pk in read_before or rules.missing_breached(
                rule.last_reading, rule.created_at, now,
                timedelta(hours=rule.expected_interval_hours or 24), rule.tolerance):
            breaches.append(rule)
    already = set(Alert.objects.filter(rule_id__in=[r.pk for r in breaches])
                  .exclude(status=Alert.Status.CLOSED).values_list("rule_id", flat=True))
    fresh = [rule for rule in breaches if rule.pk not in already]
    _attach(tenant.pk, [(None, rule.pk, rules.WARNING, rule.enrollment_id, rule.indicator_id)
                        for rule in fresh])
    _remind_patients(fresh)
    return len(fresh)


def _remind_patients(missing_rules: list[AlertRule]) -> None:
    """One reminder per new missing-data alert, by SMS (or e-mail without a phone)."""
    from django.core.mail import send_mail

    from constel.sms import send_sms

    if not missing_rules:
        return
    labels = dict(Indicator.objects.filter(pk__in={r.indicator_id for r in missing_rules})
                  .values_list("pk", "label"))
    by_enrollment: dict = defaultdict(list)
    for rule in missing_rules:
        by_enrollment[rule.enrollment_id].append(labels[rule.indicator_id])
    for enrollment in Enrollment.objects.filter(pk__in=by_enrollment).select_related("patient"):
        patient = enrollment.patient
        body = _("Reminder from your care team: please enter your %(what)s on your follow-up "
                 "space.") % {"what": ", ".join(sorted(by_enrollment[enrollment.pk])).lower()}
        if not send_sms(to=patient.phone, body=body) and patient.email:
            transaction.on_commit(lambda b=body, e=patient.email: send_mail(
                _("Reminder: readings to enter"), b, None, [e]))


@transaction.atomic
def _auto_escalate(tenant: Tenant, now: datetime) -> int:
    """Critical alerts nobody took in time go to the coordinating physician, each through
    the alert's transition (its historical row says the sweep did it: job, no user)."""
    delay = timedelta(minutes=tenant.critical_alert_delay_minutes)
    escalated = 0
    with transaction.atomic():  # a nurse taking one meanwhile keeps it (skip_locked)
        late = Alert.objects.select_for_update(skip_locked=True).filter(
            status=Alert.Status.OPEN, level=rules.CRITICAL, opened_at__lte=now - delay)
        for alert in late:
            alert_transition(alert, Alert.Status.ESCALATED, escalated_at=now,
                             auto_escalated=True)
            AlertNote.objects.create(
                tenant_id=alert.tenant_id, alert=alert, kind=AlertNote.Kind.AUTO_ESCALATION,
                text=_("Critical alert not taken within %(n)s minutes.")
                % {"n": tenant.critical_alert_delay_minutes})
            escalated += 1
    return escalated
