"""The exports of a statement (CSV, XLSX, PDF; each one logged) and of a remuneration
statement."""

from __future__ import annotations

import io
from decimal import Decimal

from django.db.models import Sum
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import (
    ClaimLine,
    ClaimStatement,
    ExportLog,
    RemunerationStatement,
)
from constel import dates
from constel.models import Tenant, User
from constel.pdf import render as render_pdf
from constel.utils import csv_bytes

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
