"""Back-office views of the project package: home, tenant switcher, health, access log."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

from allauth.usersessions.views import ListUserSessionsView
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import InterfaceError, OperationalError, connection, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from constel.access import Cap, landing_page, membership_required
from constel.middleware import ACTIVE_MEMBERSHIP_SESSION_KEY, unavailable_response
from constel.selectors import access_log_search


@membership_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role lands where its work is."""
    page = landing_page(request.membership)
    return redirect(page) if page else render(request, "constel/home.html")


@login_required
@require_http_methods(["GET", "POST"])
def tenant_choose(request: HttpRequest) -> HttpResponse:
    """Explicit choice of the active programme (and role) among the user's memberships."""
    if request.method == "POST":
        chosen = request.POST.get("membership", "")
        if any(str(m.pk) == chosen for m in request.memberships):
            request.session[ACTIVE_MEMBERSHIP_SESSION_KEY] = chosen
            return redirect("home")
        return render(
            request, "constel/tenant_choose.html",
            {"error": _("Choose one of your programmes.")}, status=400,
        )
    if not request.memberships:
        return render(request, "constel/no_membership.html", status=403)
    return render(request, "constel/tenant_choose.html")


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the broker answer, 503 (with which is down) otherwise."""
    state = {"database": "ok", "broker": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure means "down"
        state["database"] = f"down: {exc.__class__.__name__}"
    redis_url = settings.REDIS_URL
    if redis_url:
        try:
            import redis

            redis.Redis.from_url(redis_url, socket_connect_timeout=1, socket_timeout=1).ping()
        except Exception as exc:  # noqa: BLE001
            state["broker"] = f"down: {exc.__class__.__name__}"
    else:
        state["broker"] = "in-process"
    healthy = all(v in ("ok", "in-process") for v in state.values())
    return JsonResponse({"status": "ok" if healthy else "degraded", **state},
                        status=200 if healthy else 503)


def _parse_day(value: str | None, tenant=None, *, end: bool = False) -> datetime | None:
    """The first instant of a typed day in the programme's zone (``end``: of the next day,
    the bound excluded); None when it is not a day of 1900–2100."""
    from constel.dates import day_end, day_start, parse_day

    day = parse_day(value) if value else None
    if day is None:
        return None
    return day_end(day, tenant) if end else day_start(day, tenant)


@membership_required(cap=Cap.ACCESS_LOG)
def access_log(request: HttpRequest) -> HttpResponse:
    """Who read which patient record, searchable by patient, user and dates."""
    errors = {}
    since = _parse_day(request.GET.get("since"), request.tenant)
    until = _parse_day(request.GET.get("until"), request.tenant, end=True)
    if request.GET.get("since") and since is None:
        errors["since"] = _("Enter a date as YYYY-MM-DD (1900 to 2100).")
    if request.GET.get("until") and until is None:
        errors["until"] = _("Enter a date as YYYY-MM-DD (1900 to 2100).")
    rows = access_log_search(
        tenant=request.tenant,
        patient_query=request.GET.get("patient", "").strip(),
        user_query=request.GET.get("user", "").strip(),
        since=since,
        until=until,
    )
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "constel/access_log.html", {"page": page, "errors": errors})


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a database that cannot be reached is a 503 with Retry-After (the next
    request reconnects by itself), anything else the plain 500 page."""
    exc = sys.exc_info()[1]
    if isinstance(exc, OperationalError | InterfaceError):
        for conn in connections.all(initialized_only=True):
            conn.close_if_unusable_or_obsolete()
        return unavailable_response(request)
    return defaults.server_error(request)


@membership_required
def privacy(request: HttpRequest) -> HttpResponse:
    """The programme's register of processing purposes, for every user (patients too)."""
    from constel.models import ProcessingPurpose

    return render(request, "constel/privacy.html", {
        "purposes": ProcessingPurpose.objects.for_tenant(request.tenant)})


class _Sessions(ListUserSessionsView):
    """allauth's list of the user's sessions, with each one's last activity: kept by
    constel.middleware once a minute, so allauth's own per-request tracking (whose setting
    also shows the column) is off."""

    def get_context_data(self, **kwargs: Any) -> dict:
        context = super().get_context_data(**kwargs)
        context["show_last_seen_at"] = True
        return context


sessions = _Sessions.as_view()
