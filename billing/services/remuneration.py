"""Remuneration statements of the self-employed professionals paid from the forfaits."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing import rules
from billing.models import (
    ClaimStatement,
    RemunerationLine,
    RemunerationRate,
    RemunerationStatement,
)
from billing.services.catalogue import SELF_EMPLOYED, period_check, period_of
from billing.services.claims import period_lock, statement_transition
from constel import dates
from constel.models import Tenant, User
from constel.tenancy import tenant_context

# --- Remuneration ----------------------------------------------------------------------------

def _credit_undone(by_pro: dict, standing: dict, credited: set) -> None:
    """Paid sessions of issued statements that are no longer "done": a credit line each,
    on their professional's open statement."""
    from pathways.models import Activity

    undone = set(Activity.objects.filter(pk__in=[
        aid for aid, line in standing.items() if line.pk not in credited
        and line.statement.status == ClaimStatement.Status.ISSUED]).exclude(
        status=Activity.Status.DONE).values_list("pk", flat=True))
    for aid in undone:
        line = standing[aid]
        by_pro[line.statement.professional_id].append(dict(
            activity=None, on=line.on, label=_("Credit: session no longer recorded as done"),
            minutes=line.minutes, basis=line.basis, amount=-line.amount, adjusts=line))


@transaction.atomic
def remuneration_compile(*, tenant: Tenant, day: date) -> list[RemunerationStatement]:
    """A statement per self-employed professional for the period containing ``day``: each
    session recorded as done up to the period's end and not paid yet, valued at the rate in
    force on its date (per session, or Table 10's hourly cost pro rata of its duration).
    Issued statements never change: a paid session later marked missed or cancelled becomes
    a credit line on the open statement. A session is paid once (constraint)."""
    from pathways.models import Activity

    period_check(tenant, day)
    start, end = period_of(tenant, day)
    with tenant_context(tenant):
        period_lock(tenant, start)
        rates = [rules.Rate(r.profession, r.valid_from, r.valid_to, r.per_session,
                            r.session_minutes, r.per_hour) for r in RemunerationRate.objects.all()]
        drafts = RemunerationStatement.objects.filter(period_start=start,
                                                      status=ClaimStatement.Status.DRAFT)
        RemunerationLine.objects.filter(statement__in=drafts).delete()
        standing = {line.activity_id: line for line in RemunerationLine.objects.filter(
            adjusts__isnull=True).select_related("statement")}
        credited = set(RemunerationLine.objects.filter(adjusts__isnull=False)
                       .values_list("adjusts_id", flat=True))
        by_pro: dict = defaultdict(list)
        for a in (Activity.objects.filter(
                status=Activity.Status.DONE, professional__isnull=False,
                scheduled_at__date__lte=end).exclude(
                kind=Activity.Kind.ASSESSMENT).select_related("professional")
                .order_by("scheduled_at")):
            profession = a.professional.profession or a.profession
            paid = standing.get(a.pk)
            # Paid once, ever (a session credited then done again is settled by hand).
            if paid is not None or profession not in SELF_EMPLOYED:
                continue
            day_done = dates.local_day(a.scheduled_at)
            value = rules.session_value(rates, profession, day_done, a.duration_minutes)
            if value is not None:
                amount, basis = value
                by_pro[a.professional_id].append(dict(
                    activity=a, on=day_done, label=a.get_kind_display(),
                    minutes=a.duration_minutes, basis=basis, amount=amount, adjusts=None))
        _credit_undone(by_pro, standing, credited)
        out = []
        for pro_id, items in by_pro.items():
            statement, _created = RemunerationStatement.objects.get_or_create(
                tenant=tenant, professional_id=pro_id, period_start=start,
                defaults={"period_end": end})
            if statement.status == ClaimStatement.Status.ISSUED:
                continue  # found after issue: on the next period's statement
            RemunerationLine.objects.bulk_create([RemunerationLine(
                tenant=tenant, statement=statement, **item) for item in items])
            statement.total = sum((item["amount"] for item in items), Decimal(0))
            statement.compiled_at = timezone.now()
            statement.save(update_fields=["total", "compiled_at"])
            out.append(statement)
        return out


@transaction.atomic
def remuneration_issue(*, statement: RemunerationStatement, actor: User) -> RemunerationStatement:
    with tenant_context(statement.tenant_id):
        statement = RemunerationStatement.objects.select_for_update().get(pk=statement.pk)
        return statement_transition(statement, ClaimStatement.Status.ISSUED, actor=actor,
                                    issued_at=timezone.now())
