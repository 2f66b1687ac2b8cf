"""Billing writes: the catalogue, tariff versions, compiling and issuing claim statements,
remuneration statements, exports (DESIGN §7)."""

from __future__ import annotations

import bisect
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max, Min, Sum
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from billing import rules
from billing.models import (
    BudgetPlanYear,
    ClaimLine,
    ClaimStatement,
    DueEvent,
    ExportLog,
    ForfaitDue,
    ForfaitKind,
    RemunerationLine,
    RemunerationRate,
    RemunerationStatement,
    Tariff,
)
from constel import dates
from constel.models import Tenant, User
from constel.pdf import render as render_pdf
from constel.tenancy import tenant_context
from constel.utils import csv_bytes

#: Professions paid from the forfaits (self-employed, DESIGN §7); the others are salaried
#: or paid by ordinary insurance.
SELF_EMPLOYED = {"psychologist", "tobacco_specialist", "dietitian", "neuropsychologist",
                 "social_worker", "sports_educator", "podiatrist", "sports_physician"}


def _facts() -> dict:
    return yaml.safe_load((Path(settings.BASE_DIR) / "reference" / "constel-action.yaml")
                          .read_text())


@transaction.atomic
def catalogue_load(*, tenant: Tenant) -> int:
    """Forfaits (synthèse, Table 7), dated tariffs, remuneration rates (preamble of the
    revision of 1 July 2025 and Table 10) and the budget plan (Table 13)."""
    facts = _facts()
    with tenant_context(tenant):
        kinds = {}
        for code, f in facts["forfaits"].items():
            kinds[code], _created = ForfaitKind.objects.update_or_create(
                tenant=tenant, code=code, defaults={
                    "label": f["label"], "group": f.get("group", ""), "due_on": f["due_on"],
                    "instalments": [[0, "1"]]})
        for version in facts["tariffs"]:
            for code, kind in kinds.items():
                Tariff.objects.update_or_create(
                    tenant=tenant, kind=kind, valid_from=version["valid_from"],
                    defaults={"valid_to": version.get("valid_to"),
                              "amount": Decimal(str(version[code]))})
        RemunerationRate.objects.all().delete()
        for r in facts["remuneration_rates"]:
            RemunerationRate.objects.create(
                tenant=tenant, profession=r["profession"], valid_from=r.get("valid_from"),
                valid_to=r.get("valid_to"), per_session=Decimal(str(r["per_session"])),
                session_minutes=r.get("minutes"))
        for profession, per_hour in facts["hourly_costs_eur"].items():
            if profession in SELF_EMPLOYED:
                RemunerationRate.objects.create(tenant=tenant, profession=profession,
                                                per_hour=Decimal(str(per_hour)))
        plan = facts["budget_plan"]
        for year in range(1, 6):
            key = f"year{year}"
            BudgetPlanYear.objects.update_or_create(tenant=tenant, year=year, defaults={
                "inclusions": plan["inclusions"].get(key, 0),
                "forfait_assessment": plan["forfait_bilan_eur"].get(key, 0),
                "forfait_year1": plan["forfait_year1_eur"].get(key, 0),
                "forfait_year2": plan["forfait_year2_eur"].get(key, 0)})
        return len(kinds)


@transaction.atomic
def tariff_add(*, tenant: Tenant, code: str, valid_from: date, amount, actor: User | None,
               valid_to: date | None = None) -> Tariff:
    """A new tariff version from ``valid_from``. The open-ended version before it is closed
    the day before; any other overlap is refused. Claims already compiled keep their amount."""
    try:
        amount = Decimal(str(amount).replace(",", "."))
    except ArithmeticError as exc:
        raise ValidationError({"amount": _("Enter an amount in euros.")}) from exc
    if amount < 0 or not amount.is_finite():
        raise ValidationError({"amount": _("A tariff cannot be negative.")})
    if valid_to is not None and valid_to < valid_from:
        raise ValidationError({"valid_to": _("The end date is before the start date.")})
    with tenant_context(tenant):
        kind = ForfaitKind.objects.select_for_update().filter(code=code).first()
        if kind is None:
            raise ValidationError({"kind": _("Unknown forfait.")})
        versions = list(Tariff.objects.filter(kind=kind).order_by("valid_from"))
        for v in versions:
            if v.valid_to is None and v.valid_from < valid_from:
                v.valid_to = date.fromordinal(valid_from.toordinal() - 1)
                continue
            if v.valid_from <= (valid_to or date.max) and valid_from <= (v.valid_to or date.max):
                raise ValidationError({"valid_from": _(
                    "This period overlaps the tariff of %(amount)s € valid from %(start)s.")
                    % {"amount": v.amount, "start": v.valid_from.strftime("%d/%m/%Y")}})
        for v in versions:
            if v.valid_to is not None and v.pk and v.valid_to == date.fromordinal(
                    valid_from.toordinal() - 1):
                v.save(update_fields=["valid_to"])
        return Tariff.objects.create(tenant=tenant, kind=kind, valid_from=valid_from,
                                     valid_to=valid_to, amount=amount, created_by=actor)


def period_check(tenant: Tenant, day: date) -> None:
    """A period a claim can be compiled for: not before the programme's first period, not
    one that has not started yet (a mistyped year is a message, never a draft that absorbs
    every unbilled forfait)."""
    from constel.dates import in_range
    from constel.dates import today as programme_today

    if not in_range(day) or day < tenant.claim_period_anchor:
        raise ValidationError({"period": _(
            "This date is before the programme's first claim period (%(start)s).")
            % {"start": tenant.claim_period_anchor.strftime("%d/%m/%Y")}})
    if day > programme_today(tenant):
        raise ValidationError({"period": _("This period has not started yet.")})


def period_of(tenant: Tenant, day: date) -> tuple[date, date]:
    return rules.period_containing(day, anchor=tenant.claim_period_anchor,
                                   calendar=tenant.claim_period_kind == Tenant.PeriodKind.CALENDAR)


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

def _lock(tenant: Tenant, start: date) -> None:
    """One compilation per tenant and period at a time (an advisory lock held to the end of
    the transaction)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))",
                       [f"claims:{tenant.pk}:{start.isoformat()}"])


def _clear_draft(statement: ClaimStatement) -> None:
    """Empty a draft before recompiling it: its claims leave the ledger, its credits stand
    reversed no more. Set-based (the ORM would load every line to cascade)."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM billing_forfaitdue WHERE line_id IN (SELECT id FROM "
                       "billing_claimline WHERE statement_id = %s)", [statement.pk])
        cursor.execute("UPDATE billing_forfaitdue SET credited_by_id = NULL WHERE "
                       "credited_by_id IN (SELECT id FROM billing_claimline "
                       "WHERE statement_id = %s)", [statement.pk])
        cursor.execute("DELETE FROM billing_claimline WHERE statement_id = %s", [statement.pk])


@transaction.atomic
def compile_claims(*, tenant: Tenant, day: date) -> ClaimStatement:
    """Compile (or recompile) the draft statement of the period containing ``day``: every
    forfait due in the period not claimed yet; forfaits of earlier periods found late, and
    corrections of forfaits already claimed (credit of the old line, debit of the new), as
    adjustment lines. Idempotent; an issued statement is returned untouched."""
    period_check(tenant, day)
    start, end = period_of(tenant, day)
    with tenant_context(tenant):
        _lock(tenant, start)
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

        problems: list = []
        expected = expected_dues(problems)
        _kinds, _tariffs, by_code = _catalogue()
        standing = {(d.enrollment_id, d.event, d.instalment): d for d in
                    ForfaitDue.objects.filter(credited_by__isnull=True).select_related(
                        "line", "line__kind")}
        prefix = f"{start:%Y%m}"
        lines: list[ClaimLine] = []
        claims: list[tuple[ClaimLine, tuple]] = []
        credits: list[tuple[ClaimLine, ForfaitDue]] = []

        def line(exp: Expected, type_: str, reason: str = "", adjusts=None) -> ClaimLine:
            d = exp.due
            obj = ClaimLine(
                tenant=tenant, statement=statement, enrollment_id=exp.enrollment_id,
                patient_id=exp.patient_id, kind=by_code[d.code], event=d.event,
                instalment=d.instalment, due_on=d.due_on, group=d.group, tariff=d.tariff,
                share=d.share, amount=d.amount, type=type_, reason=reason, adjusts=adjusts,
                reference=f"{prefix}-{len(lines) + 1:06d}")
            lines.append(obj)
            return obj

        def credit(due: ForfaitDue, reason: str) -> None:
            old = due.line
            obj = ClaimLine(
                tenant=tenant, statement=statement, enrollment_id=old.enrollment_id,
                patient_id=old.patient_id, kind=old.kind, event=old.event,
                instalment=old.instalment, due_on=old.due_on, group=old.group,
                tariff=old.tariff, share=old.share, amount=-old.amount,
                type=ClaimLine.Type.CREDIT, reason=reason, adjusts=old,
                reference=f"{prefix}-{len(lines) + 1:06d}")
            lines.append(obj)
            credits.append((obj, due))

        for key, exp in sorted(expected.items(), key=lambda kv: (kv[1].due.due_on, kv[1].due.code)):
            if exp.due.due_on > end:
                continue
            current = standing.get(key)
            if current is None:
                if exp.due.due_on >= start:
                    claims.append((line(exp, ClaimLine.Type.ORIGINAL), key))
                else:
                    claims.append((line(exp, ClaimLine.Type.DEBIT, _(
                        "Due on %(day)s, in an earlier period: event recorded or corrected "
                        "after that statement") % {"day": exp.due.due_on.strftime("%d/%m/%Y")}),
                        key))
                continue
            old = current.line
            if (old.kind.code, old.amount, old.due_on) == (exp.due.code, exp.due.amount,
                                                           exp.due.due_on):
                continue
            credit(current, _("Corrected: %(old)s due on %(day)s replaced")
                   % {"old": old.kind.code, "day": old.due_on.strftime("%d/%m/%Y")})
            claims.append((line(exp, ClaimLine.Type.DEBIT, _("Corrected forfait"),
                                adjusts=old), key))
        for key, current in standing.items():
            if key not in expected:
                credit(current, _("No longer due: the event was removed or cancelled"))

        ClaimLine.objects.bulk_create(lines, batch_size=5000)  # sets the pks (RETURNING)
        for obj, due in credits:
            due.credited_by_id = obj.pk
        ForfaitDue.objects.bulk_update([due for _o, due in credits], ["credited_by"])
        ForfaitDue.objects.bulk_create([
            ForfaitDue(tenant=tenant, enrollment_id=key[0], event=key[1], instalment=key[2],
                       line_id=obj.pk) for obj, key in claims], batch_size=5000)
        statement.total = sum((obj.amount for obj in lines), Decimal(0))
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
        last = ClaimStatement.objects.aggregate(n=Max("number"))["n"] or 0
        return statement_transition(statement, ClaimStatement.Status.ISSUED, actor=actor,
                                    number=last + 1, issued_at=timezone.now(), issued_by=actor)


# --- Exports ----------------------------------------------------------------------------------

EXPORT_COLUMNS = ["tenant", "programme", "statement", "reference", "patient_ins", "last_name",
                  "first_names", "birth_date", "forfait", "group", "event", "due_on",
                  "tariff_eur", "instalment", "share", "amount_eur", "line_type",
                  "adjusts_reference", "reason"]


def export_rows(statement: ClaimStatement) -> list[list]:
    """One row per patient × forfait (× instalment); only what a claim requires."""
    tenant = Tenant.objects.get(pk=statement.tenant_id)
    rows = []
    for line in (ClaimLine.objects.filter(statement=statement)
                 .select_related("patient", "kind", "adjusts").order_by("reference")):
        p = line.patient
        rows.append([tenant.slug, tenant.name, statement.number or _("draft"), line.reference,
                     p.ins if p.ins_qualified else "", p.birth_name, p.first_names,
                     p.birth_date.isoformat(), line.kind.code, line.group, line.event,
                     line.due_on.isoformat(), line.tariff, line.instalment, line.share,
                     line.amount, line.type, line.adjusts.reference if line.adjusts else "",
                     line.reason])
    return rows


def _log(statement=None, remuneration=None, fmt="", by=None) -> None:
    tenant_id = (statement or remuneration).tenant_id
    ExportLog.objects.create(tenant_id=tenant_id, statement=statement,
                             remuneration=remuneration, format=fmt, by=by)


def export_csv(statement: ClaimStatement, *, by: User | None) -> bytes:
    data = csv_bytes(EXPORT_COLUMNS, export_rows(statement))
    _log(statement, fmt="csv", by=by)
    return data


def export_xlsx(statement: ClaimStatement, *, by: User | None) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = f"{statement.period_start:%Y-%m}"
    ws.append(EXPORT_COLUMNS)
    for row in export_rows(statement):
        ws.append([float(v) if isinstance(v, Decimal) else v for v in row])
    for column in ("M", "P"):
        for cell in ws[column][1:]:
            cell.number_format = "#,##0.00"
    out = io.BytesIO()
    wb.save(out)
    _log(statement, fmt="xlsx", by=by)
    return out.getvalue()


def summary(statement: ClaimStatement) -> dict:
    """Totals per forfait and group, patients, and the previous statement's figures."""
    def totals(st):
        if st is None:
            return {}
        return {(r["kind__code"], r["group"]): r for r in ClaimLine.objects.filter(
            statement=st).values("kind__code", "group").annotate(
            amount=Sum("amount"), lines=Sum(1)).order_by("kind__code", "group")}

    previous = ClaimStatement.objects.filter(period_start__lt=statement.period_start).order_by(
        "-period_start").first()
    now, before = totals(statement), totals(previous)
    keys = sorted(set(now) | set(before))
    rows = [{"code": k[0], "group": k[1] or "—",
             "lines": now.get(k, {}).get("lines", 0),
             "amount": now.get(k, {}).get("amount") or Decimal(0),
             "previous": before.get(k, {}).get("amount") or Decimal(0)} for k in keys]
    return {"rows": rows, "previous": previous,
            "total": sum((r["amount"] for r in rows), Decimal(0)),
            "previous_total": previous.total if previous else Decimal(0),
            "patients": ClaimLine.objects.filter(statement=statement)
            .values("patient_id").distinct().count(),
            "adjustments": ClaimLine.objects.filter(statement=statement)
            .exclude(type=ClaimLine.Type.ORIGINAL).count()}


def export_pdf(statement: ClaimStatement, *, by: User | None) -> bytes:
    html = render_to_string("billing/statement_pdf.html", {
        "statement": statement, "summary": summary(statement),
        "tenant": Tenant.objects.get(pk=statement.tenant_id),
        "now": dates.local_time(timezone.now())})
    pdf = render_pdf(html)
    _log(statement, fmt="pdf", by=by)
    return pdf


# --- Remuneration ----------------------------------------------------------------------------

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
        _lock(tenant, start)
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
        # Paid sessions of issued statements that are no longer "done": credit them.
        undone = set(Activity.objects.filter(pk__in=[
            aid for aid, line in standing.items() if line.pk not in credited
            and line.statement.status == ClaimStatement.Status.ISSUED]).exclude(
            status=Activity.Status.DONE).values_list("pk", flat=True))
        for aid in undone:
            line = standing[aid]
            by_pro[line.statement.professional_id].append(dict(
                activity=None, on=line.on, label=_("Credit: session no longer recorded as done"),
                minutes=line.minutes, basis=line.basis, amount=-line.amount, adjusts=line))
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


def remuneration_pdf(statement: RemunerationStatement, *, by: User | None) -> bytes:
    html = render_to_string("billing/remuneration_pdf.html", {
        "statement": statement, "lines": statement.lines.all(),
        "tenant": Tenant.objects.get(pk=statement.tenant_id),
        "now": dates.local_time(timezone.now())})
    pdf = render_pdf(html)
    _log(remuneration=statement, fmt="pdf", by=by)
    return pdf


def remuneration_csv(statement: RemunerationStatement, *, by: User | None) -> bytes:
    pro = statement.professional
    data = csv_bytes(
        ["professional", "rpps", "profession", "date", "session", "minutes", "basis",
         "amount_eur"],
        [[f"{pro.first_name} {pro.last_name}", pro.rpps, pro.profession, line.on.isoformat(),
          line.label, line.minutes, line.basis, line.amount]
         for line in statement.lines.all()])
    _log(remuneration=statement, fmt="csv", by=by)
    return data
