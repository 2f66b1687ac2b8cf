"""The programme's evaluation: the dashboard for the programme manager and the
pseudonymised export for the evaluators."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from constel import dates
from constel.access import Cap, membership_required
from constel.utils import csv_bytes, field_errors, is_uuid


@membership_required(cap=Cap.EVALUATION_EXPORT)
@require_http_methods(["GET", "POST"])
def evaluation_export(request: HttpRequest) -> HttpResponse:
    """The pseudonymised export for the evaluators (ZIP of CSV files with a dictionary)."""
    from evaluation.models import EvaluationExport
    from evaluation.services import evaluation_export as export
    from evaluation.services import parse_period

    errors: dict = {}
    if request.method == "POST":
        try:
            start, end = parse_period(request.POST.get("start", ""),
                                      request.POST.get("end", ""))
        except ValidationError as exc:
            errors = field_errors(exc)
        else:
            data = export(tenant=request.tenant, start=start, end=end, by=request.user)
            response = HttpResponse(data, content_type="application/zip")
            response["Content-Disposition"] = (
                f'attachment; filename="evaluation-{request.tenant.slug}-{start}-{end}.zip"')
            return response
    log = EvaluationExport.objects.for_tenant(request.tenant).select_related("by")[:20]
    return render(request, "pathways/evaluation_export.html", {
        "errors": errors, "form": request.POST, "log": log}, status=400 if errors else 200)


@membership_required(cap=Cap.EVALUATION_DASHBOARD)
def programme_dashboard(request: HttpRequest) -> HttpResponse:
    """Aggregates for the programme manager, for a period and a site; CSV of each table."""
    from constel.models import Site
    from evaluation.dashboard import dashboard

    errors: dict = {}
    today = dates.today(request.tenant)
    start, end = request.tenant.claim_period_anchor, today
    if request.GET.get("start") or request.GET.get("end"):
        from evaluation.services import parse_period

        try:
            start, end = parse_period(request.GET.get("start") or start.isoformat(),
                                      request.GET.get("end") or end.isoformat())
        except ValidationError as exc:
            errors = field_errors(exc)
    sites = list(Site.objects.for_tenant(request.tenant))
    site = request.GET.get("site", "")
    site_id = site if site and is_uuid(site) and any(str(s.pk) == site for s in sites) else None
    tables = [] if errors else dashboard(tenant=request.tenant, start=start, end=end,
                                         site_id=site_id)
    wanted = request.GET.get("csv")
    if wanted and not errors:
        table = next((t for t in tables if t.key == wanted), None)
        if table is None:
            raise Http404
        response = HttpResponse(csv_bytes(table.header, table.rows),
                                content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="{request.tenant.slug}-{table.key}-{start}-{end}.csv"')
        return response
    for t in tables:
        if t.chart and t.rows:
            top = max(r[1] for r in t.rows) or 1
            t.bars = [(str(r[0])[:24], r[1], int(300 * r[1] / top), 22 * i + 16)
                      for i, r in enumerate(t.rows)]
            t.height = 22 * len(t.rows) + 8
    return render(request, "pathways/dashboard.html", {
        "tables": tables, "errors": errors, "start": start, "end": end, "sites": sites,
        "site": site_id or "", "query": request.GET.urlencode()},
        status=400 if errors else 200)
