"""Claim statements: what is due (billing/rules.py over the pathway's events), compiling
the draft of a period with its adjustment lines against the ForfaitDue ledger, issuing."""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from billing import rules
from billing.models import (
    ClaimLine,
    ClaimStatement,
    DueEvent,
    ForfaitDue,
    ForfaitKind,
    Tariff,
)
from billing.services.catalogue import period_check, period_of
from billing.sql import CLEAR_DRAFT_SQL, PERIOD_LOCK_SQL
from constel import dates
from constel.models import Tenant, User
from constel.tenancy import tenant_context

# --- What is due ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Expected:
    due: rules.Due
    enrollment_id: object
    patient_id: object


def _catalogue() -> tuple[list[rules.Kind], list[rules.TariffVersion], dict]:
    kinds = list(ForfaitKind.objects.all())
    return ([rules.Kind(k.code, k.group, k.due_on,
                        tuple((int(o), Decimal(str(s))) for o, s in (k.instalments or [[0, 1]])))
             for k in kinds],
            [rules.TariffVersion(t.kind.code, t.valid_from, t.valid_to, t.amount)
             for t in Tariff.objects.select_related("kind")],
            {k.code: k for k in kinds})


def expected_dues(problems: list | None = None) -> dict[tuple, Expected]:
    """Every forfait due today from the enrollments' dated events, in four queries (first
    PPS issued, transitions to year-1 and year-2 follow-up, MONO/POLY periods) and the pure
    rules. Keyed by (enrollment, event, instalment). Forfaits that cannot be priced are
    described in ``problems`` (patient, event, day, reason)."""
    from pathways.models import CarePlan, Enrollment, EnrollmentTransition, Phase
    from patients.models import GroupPeriod

    kinds, tariffs, _by_code = _catalogue()
    events: dict = defaultdict(dict)
    for row in CarePlan.objects.filter(issued_on__isnull=False).values(
            "enrollment_id").annotate(first=Min("issued_on")):
        events[row["enrollment_id"]]["first_pps_issued"] = row["first"]
    for phase, name in ((Phase.FOLLOW_UP_Y1, "follow_up_year1_start"),
                        (Phase.FOLLOW_UP_Y2, "follow_up_year2_start")):
        for row in EnrollmentTransition.objects.filter(to_phase=phase).values(
                "enrollment_id").annotate(first=Min("effective_on")):
            events[row["enrollment_id"]][name] = row["first"]
    if not events:
        return {}
    patient_of = dict(Enrollment.objects.filter(pk__in=events.keys())
                      .values_list("pk", "patient_id"))
    periods: dict = defaultdict(list)
    for patient_id, valid_from, group in GroupPeriod.objects.order_by(
            "patient_id", "valid_from", "recorded_at").values_list(
            "patient_id", "valid_from", "group"):
        periods[patient_id].append((valid_from, group))
    out = {}
    for enrollment_id, ev in events.items():
        patient_id = patient_of.get(enrollment_id)
        history = periods.get(patient_id, [])
        starts = [p[0] for p in history]

        def group_on(day, history=history, starts=starts):
            i = bisect.bisect_right(starts, day)
            return history[i - 1][1] if i else None

        found: list = []
        for due in rules.dues(rules.Events(**ev), group_on, kinds, tariffs, found):
            out[(enrollment_id, due.event, due.instalment)] = Expected(due, enrollment_id,
                                                                        patient_id)
        if found and problems is not None:
            problems.extend((patient_id, *p) for p in found)
    return out


def _describe(problems: list) -> list[str]:
    from patients.models import Patient

    names = {p.pk: f"{p.birth_name.upper()} {p.first_names}" for p in
             Patient.objects.filter(pk__in={row[0] for row in problems})}
    out = []
    for patient_id, event, day, reason in problems:
        what = (_("no MONO/POLY group on that date: record the pathologies")
                if reason == "group" else
                _("no tariff of %(code)s in force on that date") % {"code": reason[7:]})
        out.append(_("%(patient)s — %(event)s on %(day)s: not billed, %(what)s.") % {
            "patient": names.get(patient_id, "?"), "event": DueEvent(event).label,
            "day": day.strftime("%d/%m/%Y"), "what": what})
    return out


# --- Statements -------------------------------------------------------------------------------

def period_lock(tenant: Tenant, start: date) -> None:
    """One compilation per tenant and period at a time (an advisory lock held to the end of
    the transaction)."""
    with connection.cursor() as cursor:
        cursor.execute(PERIOD_LOCK_SQL, [f"claims:{tenant.pk}:{start.isoformat()}"])


def _clear_draft(statement: ClaimStatement) -> None:
    """Empty a draft before recompiling it: its claims leave the ledger, its credits stand
    reversed no more. Set-based (the ORM would load every line to cascade)."""
    with connection.cursor() as cursor:
        for statement_sql in CLEAR_DRAFT_SQL:
            cursor.execute(statement_sql, [statement.pk])


class _Draft:
    """The lines of a draft statement being written, numbered in the order they are made:
    claims (original or debit lines, each with the ledger key it settles) and credits
    (each with the ledger entry it cancels)."""

    def __init__(self, statement: ClaimStatement, by_code: dict) -> None:
        self.statement, self.by_code = statement, by_code
        self.prefix = f"{statement.period_start:%Y%m}"
        self.lines: list[ClaimLine] = []
        self.claims: list[tuple[ClaimLine, tuple]] = []
        self.credits: list[tuple[ClaimLine, ForfaitDue]] = []

    def _add(self, **fields) -> ClaimLine:
        obj = ClaimLine(tenant_id=self.statement.tenant_id, statement=self.statement,
                        reference=f"{self.prefix}-{len(self.lines) + 1:06d}", **fields)
        self.lines.append(obj)
        return obj

    def claim(self, key: tuple, exp: Expected, type_: str, reason: str = "",
              adjusts=None) -> None:
        d = exp.due
        self.claims.append((self._add(
            enrollment_id=exp.enrollment_id, patient_id=exp.patient_id,
            kind=self.by_code[d.code], event=d.event, instalment=d.instalment,
            due_on=d.due_on, group=d.group, tariff=d.tariff, share=d.share, amount=d.amount,
            type=type_, reason=reason, adjusts=adjusts), key))

    def credit(self, due: ForfaitDue, reason: str) -> None:
        old = due.line
        self.credits.append((self._add(
            enrollment_id=old.enrollment_id, patient_id=old.patient_id, kind=old.kind,
            event=old.event, instalment=old.instalment, due_on=old.due_on, group=old.group,
            tariff=old.tariff, share=old.share, amount=-old.amount,
            type=ClaimLine.Type.CREDIT, reason=reason, adjusts=old), due))


def _reconcile(draft: _Draft, expected: dict[tuple, Expected], standing: dict[tuple, ForfaitDue],
               start: date, end: date) -> None:
    """What is due up to the period's end against the standing ledger: a new forfait is an
    original line (due in the period) or a debit (due earlier, found late); a changed one a
    credit of the old line and a debit of the new; one no longer due a credit."""
    for key, exp in sorted(expected.items(), key=lambda kv: (kv[1].due.due_on, kv[1].due.code)):
        if exp.due.due_on > end:
            continue
        current = standing.get(key)
        if current is None:
            if exp.due.due_on >= start:
                draft.claim(key, exp, ClaimLine.Type.ORIGINAL)
            else:
                draft.claim(key, exp, ClaimLine.Type.DEBIT, _(
                    "Due on %(day)s, in an earlier period: event recorded or corrected "
                    "after that statement") % {"day": exp.due.due_on.strftime("%d/%m/%Y")})
            continue
        old = current.line
        if (old.kind.code, old.amount, old.due_on) == (exp.due.code, exp.due.amount,
                                                       exp.due.due_on):
            continue
        draft.credit(current, _("Corrected: %(old)s due on %(day)s replaced")
                     % {"old": old.kind.code, "day": old.due_on.strftime("%d/%m/%Y")})
        draft.claim(key, exp, ClaimLine.Type.DEBIT, _("Corrected forfait"), adjusts=old)
    for key, current in standing.items():
        if key not in expected:
            draft.credit(current, _("No longer due: the event was removed or cancelled"))


def _save(draft: _Draft) -> None:
    """The lines, then the ledger: credited entries point to their credit, each claim
    settles its key."""
    ClaimLine.objects.bulk_create(draft.lines, batch_size=5000)  # sets the pks (RETURNING)
    for obj, due in draft.credits:
        due.credited_by_id = obj.pk
    ForfaitDue.objects.bulk_update([due for _o, due in draft.credits], ["credited_by"])
    ForfaitDue.objects.bulk_create([
        ForfaitDue(tenant_id=draft.statement.tenant_id, enrollment_id=key[0], event=key[1],
                   instalment=key[2], line_id=obj.pk) for obj, key in draft.claims],
        batch_size=5000)


def _open_draft(tenant: Tenant, start: date, end: date) -> ClaimStatement:
    """The period's statement, locked: issued (returned as is), or a draft emptied for
    recompiling; refused when a later period is already issued."""
    later = ClaimStatement.objects.filter(status=ClaimStatement.Status.ISSUED,
                                          period_start__gt=start).first()
    statement = ClaimStatement.objects.filter(period_start=start).first()
    if statement is not None and statement.status == ClaimStatement.Status.ISSUED:
        return statement
    if later is not None:
        raise ValidationError({"period": _(
            "The statement of %(period)s is already issued: a change to this period goes "
            "on the open statement as an adjustment.") % {"period": str(later)}})
    if statement is None:
        statement = ClaimStatement.objects.create(tenant=tenant, period_start=start,
                                                  period_end=end)
    statement = ClaimStatement.objects.select_for_update().get(pk=statement.pk)
    _clear_draft(statement)
    return statement


@transaction.atomic
def compile_claims(*, tenant: Tenant, day: date) -> ClaimStatement:
    """Compile (or recompile) the draft statement of the period containing ``day``: every
    forfait due in the period not claimed yet; forfaits of earlier periods found late, and
    corrections of forfaits already claimed (credit of the old line, debit of the new), as
    adjustment lines. Idempotent; an issued statement is returned untouched."""
    period_check(tenant, day)
    start, end = period_of(tenant, day)
    with tenant_context(tenant):
        period_lock(tenant, start)
        statement = _open_draft(tenant, start, end)
        if statement.status == ClaimStatement.Status.ISSUED:
            return statement
        problems: list = []
        expected = expected_dues(problems)
        _kinds, _tariffs, by_code = _catalogue()
        standing = {(d.enrollment_id, d.event, d.instalment): d for d in
                    ForfaitDue.objects.filter(credited_by__isnull=True).select_related(
                        "line", "line__kind")}
        draft = _Draft(statement, by_code)
        _reconcile(draft, expected, standing, start, end)
        _save(draft)
        statement.total = sum((obj.amount for obj in draft.lines), Decimal(0))
        statement.compiled_at = timezone.now()
        statement.warnings = _describe([p for p in problems if p[2] <= end])
        statement.save(update_fields=["total", "compiled_at", "warnings"])
        return statement


#: The moves of a claim (and remuneration) statement: a draft is recompiled at will, an
#: issued one is never changed again (later corrections are adjustment lines of the next).
STATEMENT_MOVES: dict[str, frozenset[str]] = {
    ClaimStatement.Status.DRAFT: frozenset({ClaimStatement.Status.ISSUED}),
    ClaimStatement.Status.ISSUED: frozenset(),
}


def statement_transition(statement, to: str, *, actor: User, **fields):
    """Move a locked statement to ``to`` (STATEMENT_MOVES) with the given fields, saved with
    its historical row (by ``actor``); refused naming its status otherwise."""
    if to not in STATEMENT_MOVES[statement.status]:
        raise ValidationError({"status": _("This statement is already issued.")})
    statement.status = to
    for name, value in fields.items():
        setattr(statement, name, value)
    statement._history_user = actor
    statement.save()
    return statement


@transaction.atomic
def statement_issue(*, statement: ClaimStatement, actor: User) -> ClaimStatement:
    with tenant_context(statement.tenant_id):
        statement = ClaimStatement.objects.select_for_update().get(pk=statement.pk)
        if statement.status == ClaimStatement.Status.ISSUED:
            raise ValidationError({"status": _("This statement is already issued (no. %(n)s).")
                                   % {"n": statement.number}})
        if statement.compiled_at is None:
            raise ValidationError({"status": _("Compile the statement before issuing it.")})
        if statement.period_end >= dates.today(statement.tenant_id):
            # A running period is compiled as a preview; nothing final before it has ended.
            raise ValidationError({"status": _(
                "The period ends on %(end)s: its statement can be issued from the day after.")
                % {"end": statement.period_end.strftime("%d/%m/%Y")}})
        last = ClaimStatement.objects.aggregate(n=Max("number"))["n"] or 0
        return statement_transition(statement, ClaimStatement.Status.ISSUED, actor=actor,
                                    number=last + 1, issued_at=timezone.now(), issued_by=actor)


@transaction.atomic
def statement_discard(*, statement: ClaimStatement, actor: User) -> None:
    """Discard a draft (compiled for a wrong period, or to start again): its lines go, the
    forfaits it claimed return to the ledger as unclaimed, the credits it made are undone.
    An issued statement is never discarded. The deletion keeps its historical row."""
    with tenant_context(statement.tenant_id):
        period_lock(statement.tenant, statement.period_start)
        statement = ClaimStatement.objects.select_for_update().get(pk=statement.pk)
        if statement.status != ClaimStatement.Status.DRAFT:
            raise ValidationError({"status": _("An issued statement is never discarded.")})
        _clear_draft(statement)
        statement._history_user = actor
        statement.delete()


def periods_never_compiled(tenant: Tenant, *, today: date | None = None
                           ) -> list[tuple[date, date]]:
    """The ended claim periods, from the programme's first, that have no statement: forfaits
    there are never claimed until someone compiles them."""
    today = today or dates.today(tenant)
    have = set(ClaimStatement.objects.filter(tenant=tenant).values_list("period_start",
                                                                        flat=True))
    missing, day = [], tenant.claim_period_anchor
    while True:
        start, end = period_of(tenant, day)
        if end >= today:
            return missing
        if start not in have:
            missing.append((start, end))
        day = end + timedelta(days=1)
