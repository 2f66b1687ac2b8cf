"""The GP's periodic follow-up report ("bilan de suivi périodique"): its wording is the
pathway's; letters.services creates and sends it."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from constel import dates
from constel.dates import add_months
from constel.models import Tenant
from constel.tenancy import tenant_context
from letters.models import Letter
from letters.services import letter_create, letter_language
from pathways.models import Activity, Enrollment, EnrollmentTransition, Phase
from telemonitoring.models import Alert

#: The phases a follow-up report is written in (the follow-up has started, not ended).
_REPORTED = [Phase.FOLLOW_UP_Y1, Phase.ANNUAL_UPDATE, Phase.FOLLOW_UP_Y2,
             Phase.FINAL_ASSESSMENT]


def last_period(start: date, months: int, today: date) -> tuple[date, date] | None:
    """The last whole period of ``months`` months since ``start`` ended by ``today``
    (begin included, end excluded), or None while the first one runs."""
    k = 1
    while add_months(start, months * (k + 1)) <= today:
        k += 1
    end = add_months(start, months * k)
    if end > today:
        return None
    return add_months(start, months * (k - 1)), end


def _report_body(enrollment: Enrollment, begin: date, end: date) -> str:
    done = (Activity.objects.filter(enrollment=enrollment, status=Activity.Status.DONE,
                                    scheduled_at__date__gte=begin, scheduled_at__date__lt=end)
            .order_by("scheduled_at"))
    alerts = Alert.objects.filter(enrollment=enrollment, opened_at__date__gte=begin,
                                  opened_at__date__lt=end).select_related("indicator")
    lines = [_("Dear colleague,"), "",
             _("Follow-up report of your patient for %(begin)s – %(end)s.")
             % {"begin": f"{begin:%d/%m/%Y}", "end": f"{end:%d/%m/%Y}"}, "",
             _("Sessions and consultations done: %(n)s") % {"n": done.count()}]
    lines += [f"- {dates.local_time(a.scheduled_at):%d/%m/%Y} "
              f"{a.get_kind_display()}" for a in done[:30]]
    lines += ["", _("Alerts: %(n)s") % {"n": alerts.count()}]
    lines += [f"- {dates.local_time(a.opened_at):%d/%m/%Y} {a.indicator.label} "
              f"({a.level}) — {a.get_status_display()}"
              f"{' : ' + a.get_outcome_display() if a.outcome else ''}"
              for a in alerts[:30]]
    return "\n".join(str(x) for x in lines)


def periodic_reports(*, tenant: Tenant, today=None) -> int:
    """Every ``tenant.periodic_report_months`` months of follow-up, a letter to the GP with
    the sessions done and a synthesis of the alerts of the period. One per enrollment and
    period (the period is the event), so running daily is safe. Returns how many."""
    today = today or dates.today()
    months = tenant.periodic_report_months or 3
    created = 0
    with tenant_context(tenant), transaction.atomic():
        starts = dict(EnrollmentTransition.objects.filter(
            to_phase=Phase.FOLLOW_UP_Y1, enrollment__phase__in=_REPORTED)
            .values_list("enrollment_id", "effective_on"))
        enrollments = {e.pk: e for e in Enrollment.objects.filter(pk__in=starts)
                       .select_related("patient__gp")}
        for enrollment_id, start in starts.items():
            period = last_period(start, months, today)
            if period is None:
                continue  # the first period is not over yet
            begin, end = period
            e = enrollments[enrollment_id]
            with letter_language():  # the GP reads French, whatever the worker's language
                made = letter_create(
                    enrollment=e, kind=Letter.Kind.PERIODIC,
                    event_key=f"periodic:{begin.isoformat()}",
                    subject=_("Follow-up report %(begin)s – %(end)s — %(name)s")
                    % {"begin": f"{begin:%d/%m/%Y}", "end": f"{end:%d/%m/%Y}",
                       "name": e.patient.display_name},
                    body=_report_body(e, begin, end))
            created += bool(made)
    return created
