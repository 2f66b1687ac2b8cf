"""Finance pages: claim statements (compile, issue, export), tariffs, remuneration, and the
dashboard of billed amounts against the budget plan and the cost model."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from billing import services
from billing.models import (
    BudgetPlanYear,
    ClaimLine,
    ClaimStatement,
    ForfaitKind,
    RemunerationStatement,
    Tariff,
)
from constel import dates
from constel.access import Cap, membership_required
from constel.forms_typed import Refused
from constel.tenancy import get_object_for_tenant_or_404
from constel.utils import field_errors

EXPORTS = {
    "csv": ("text/csv; charset=utf-8", services.export_csv),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             services.export_xlsx),
    "pdf": ("application/pdf", services.export_pdf),
}


def _day(raw: str | None) -> date | None:
    from constel.dates import parse_day

    return parse_day(raw)


def _errors(exc: ValidationError) -> str:
    return " ".join(m for ms in exc.message_dict.values() for m in ms) \
        if hasattr(exc, "error_dict") else " ".join(exc.messages)


@membership_required(cap=Cap.BILLING)
def statements(request: HttpRequest, refused: Refused | None = None) -> HttpResponse:
    rows = (ClaimStatement.objects.for_tenant(request.tenant)
            .annotate(line_count=Count("lines")).order_by("-period_start"))
    start, end = services.period_of(request.tenant, dates.today(request.tenant))
    return render(request, "billing/statements.html", {
        "statements": rows, "current_start": start, "current_end": end, "refused": refused,
        "never_compiled": services.periods_never_compiled(request.tenant)},
        status=400 if refused else 200)


@require_POST
@membership_required(cap=Cap.BILLING)
def compile_view(request: HttpRequest) -> HttpResponse:
    """Compile the period of the date typed; refused (a period not ended, before the
    programme, a date that is none), the page again with the date as typed and the reason
    beside it."""
    day = _day(request.POST.get("period"))
    try:
        if day is None:
            raise ValidationError({"period": _(
                "Enter a date in the period to compile (YYYY-MM-DD).")})
        statement = services.compile_claims(tenant=request.tenant, day=day)
    except ValidationError as exc:
        refused = Refused.of("compile", request.POST, exc)
        if "__all__" in refused.errors:  # the service's reason is about the period typed
            refused.errors["period"] = refused.errors.pop("__all__")
        return statements(request, refused)
    if statement.status == ClaimStatement.Status.ISSUED:
        messages.info(request, _("This statement is issued: it does not change."))
    else:
        messages.success(request, _("Statement compiled."))
    return redirect("billing:statement", statement.pk)


@membership_required(cap=Cap.BILLING)
def statement(request: HttpRequest, pk) -> HttpResponse:
    st = get_object_for_tenant_or_404(ClaimStatement.objects.all(), request.tenant, pk=pk)
    lines = (ClaimLine.objects.for_tenant(request.tenant).filter(statement=st)
             .select_related("patient", "kind", "adjusts").order_by("reference"))
    page = Paginator(lines, 100).get_page(request.GET.get("page"))
    return render(request, "billing/statement.html", {
        "statement": st, "page": page, "summary": services.summary(st),
        "period_ended": st.period_end < dates.today(request.tenant)})


@require_http_methods(["GET", "POST"])
@membership_required(cap=Cap.BILLING)
def statement_issue(request: HttpRequest, pk) -> HttpResponse:
    """GET: what issuing will freeze, and the button that does it; POST: issue."""
    st = get_object_for_tenant_or_404(ClaimStatement.objects.all(), request.tenant, pk=pk)
    if request.method == "GET":
        return render(request, "billing/statement_confirm.html", {
            "statement": st, "summary": services.summary(st), "action": "issue"})
    try:
        st = services.statement_issue(statement=st, actor=request.user)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, _("Statement no. %(n)s issued.") % {"n": st.number})
    return redirect("billing:statement", st.pk)


@require_http_methods(["GET", "POST"])
@membership_required(cap=Cap.BILLING)
def statement_discard(request: HttpRequest, pk) -> HttpResponse:
    """GET: what discarding the draft does, and the button; POST: discard (a second click,
    the draft already gone, is told so rather than answered 404)."""
    st = ClaimStatement.objects.for_tenant(request.tenant).filter(pk=pk).first()
    if st is None and request.method == "POST" and ClaimStatement.history.filter(
            tenant_id=request.tenant.pk, id=pk, history_type="-").exists():
        messages.info(request, _("This draft is already discarded."))
        return redirect("billing:statements")
    if st is None:  # never this programme's (or never existed): as missing
        raise Http404
    if request.method == "GET":
        return render(request, "billing/statement_confirm.html", {
            "statement": st, "summary": services.summary(st), "action": "discard"})
    try:
        services.statement_discard(statement=st, actor=request.user)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return redirect("billing:statement", st.pk)
    messages.success(request, _("Draft of %(start)s – %(end)s discarded: its forfaits are "
                                "unclaimed again.") % {
        "start": st.period_start.strftime("%d/%m/%Y"),
        "end": st.period_end.strftime("%d/%m/%Y")})
    return redirect("billing:statements")


@membership_required(cap=Cap.BILLING)
def statement_export(request: HttpRequest, pk, fmt: str) -> HttpResponse:
    st = get_object_for_tenant_or_404(ClaimStatement.objects.all(), request.tenant, pk=pk)
    if fmt not in EXPORTS:
        raise Http404
    content_type, export = EXPORTS[fmt]
    response = HttpResponse(export(st, by=request.user), content_type=content_type)
    name = f"{request.tenant.slug}-claims-{st.period_start:%Y-%m}-{st.number or 'draft'}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@membership_required(cap=Cap.CONFIG_TARIFFS)
def tariffs(request: HttpRequest) -> HttpResponse:
    errors: dict = {}
    if request.method == "POST":
        day = _day(request.POST.get("valid_from"))
        if day is None:
            errors["valid_from"] = _("Enter the effective date (YYYY-MM-DD).")
        else:
            try:
                services.tariff_add(tenant=request.tenant, code=request.POST.get("kind", ""),
                                    valid_from=day, amount=request.POST.get("amount", ""),
                                    actor=request.user)
            except ValidationError as exc:
                errors = field_errors(exc)
            else:
                messages.success(request, _("Tariff recorded."))
                return redirect("billing:tariffs")
    kinds = ForfaitKind.objects.for_tenant(request.tenant).order_by("code")
    versions = Tariff.objects.for_tenant(request.tenant).select_related("kind", "created_by") \
        .order_by("kind__code", "valid_from")
    return render(request, "billing/tariffs.html", {
        "kinds": kinds, "versions": versions, "errors": errors, "form": request.POST},
        status=400 if errors else 200)


@membership_required(cap=Cap.BILLING)
def remunerations(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        day = _day(request.POST.get("period"))
        if day is None:
            messages.error(request, _("Enter a date in the period to compile (YYYY-MM-DD)."))
        else:
            try:
                done = services.remuneration_compile(tenant=request.tenant, day=day)
            except ValidationError as exc:
                messages.error(request, _errors(exc))
            else:
                messages.success(request, _("%(n)s remuneration statements compiled.")
                                 % {"n": len(done)})
        return redirect("billing:remunerations")
    rows = (RemunerationStatement.objects.for_tenant(request.tenant)
            .select_related("professional").annotate(line_count=Count("lines"))
            .order_by("-period_start", "professional__last_name"))
    return render(request, "billing/remunerations.html", {"statements": rows})


@membership_required(cap=Cap.BILLING)
def remuneration(request: HttpRequest, pk) -> HttpResponse:
    st = get_object_for_tenant_or_404(
        RemunerationStatement.objects.select_related("professional"), request.tenant, pk=pk)
    if request.method == "POST":
        try:
            services.remuneration_issue(statement=st, actor=request.user)
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(request, _("Remuneration statement issued."))
        return redirect("billing:remuneration", st.pk)
    fmt = request.GET.get("format")
    if fmt in ("csv", "pdf"):
        export = services.remuneration_csv if fmt == "csv" else services.remuneration_pdf
        response = HttpResponse(export(st, by=request.user), content_type=(
            "text/csv; charset=utf-8" if fmt == "csv" else "application/pdf"))
        response["Content-Disposition"] = (
            f'attachment; filename="remuneration-{st.professional.last_name}-'
            f'{st.period_start:%Y-%m}.{fmt}"')
        return response
    return render(request, "billing/remuneration.html", {"statement": st,
                                                          "lines": st.lines.all()})


@membership_required(cap=Cap.BILLING_AGGREGATES)
def dashboard(request: HttpRequest) -> HttpResponse:
    """Billed per semester and forfait, patients per forfait, billed against the budget plan
    (Table 13), recorded time against the cost model (Tables 7 and 11)."""
    from pathways.models import TimeEntry

    tenant = request.tenant
    lines = ClaimLine.objects.for_tenant(tenant)
    codes = list(ForfaitKind.objects.for_tenant(tenant).order_by("code")
                 .values_list("code", flat=True))
    per_period: dict = defaultdict(lambda: defaultdict(Decimal))
    for row in lines.values("statement__period_start", "statement__status", "kind__code") \
            .annotate(amount=Sum("amount")):
        per_period[(row["statement__period_start"], row["statement__status"])][
            row["kind__code"]] += row["amount"]
    semesters = [{"start": k[0], "status": k[1], "by_code": [v.get(c, Decimal(0)) for c in codes],
                  "total": sum(v.values(), Decimal(0))} for k, v in sorted(per_period.items())]
    patients = {r["kind__code"]: r["n"] for r in lines.exclude(type=ClaimLine.Type.CREDIT)
                .values("kind__code").annotate(n=Count("patient", distinct=True))}
    # Programme years from the anchor: billed per year against the plan.
    anchor = tenant.claim_period_anchor
    billed_year: dict = defaultdict(Decimal)
    for row in lines.values("due_on").annotate(amount=Sum("amount")):
        year = (row["due_on"].year - anchor.year) + (
            1 if (row["due_on"].month, row["due_on"].day) >= (anchor.month, anchor.day) else 0)
        billed_year[year] += row["amount"]
    plan = list(BudgetPlanYear.objects.for_tenant(tenant).order_by("year"))
    top = max([p.forfait_assessment + p.forfait_year1 + p.forfait_year2 for p in plan]
              + list(billed_year.values()) + [Decimal(1)])
    budget = [{"year": p.year, "planned": p.forfait_assessment + p.forfait_year1
               + p.forfait_year2, "billed": billed_year.get(p.year, Decimal(0)),
               "inclusions": p.inclusions} for p in plan]
    for b in budget:
        b["planned_pct"] = int(b["planned"] * 100 / top)
        b["billed_pct"] = int(b["billed"] * 100 / top)
    # Time recorded against the cost model (minutes per enrollment followed).
    time_rows = list(TimeEntry.objects.for_tenant(tenant).values("kind").annotate(
        minutes=Sum("minutes"), enrollments=Count("enrollment", distinct=True)))
    model_minutes = {"motivational": "40 (MONO) / 50 (POLY)", "pre_assessment_call": "60"}
    time = [{"kind": TimeEntry.Kind(r["kind"]).label, "minutes": r["minutes"],
             "enrollments": r["enrollments"],
             "per_enrollment": round(r["minutes"] / r["enrollments"]) if r["enrollments"] else 0,
             "model": model_minutes.get(r["kind"], "—")} for r in time_rows]
    return render(request, "billing/dashboard.html", {
        "codes": codes, "semesters": semesters, "patients": patients, "budget": budget,
        "time": time})
