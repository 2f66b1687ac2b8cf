"""Request plumbing: the active tenant, API tokens, staff security, structured request logs."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from constel.tenancy import tenant_context

ACTIVE_MEMBERSHIP_SESSION_KEY = "constel_membership_id"
#: How precisely an API token's "last used" time is kept (one write a minute at most).
TOKEN_USE_RESOLUTION = timedelta(minutes=1)
log = logging.getLogger("constel.request")


def _token_from_header(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, key = header.partition(" ")
    if scheme.lower() in ("bearer", "token") and key.startswith("cst_"):
        return key.strip()
    return None


class TenantMiddleware:
    """Resolves the user's memberships and the active one, then runs the view inside
    ``tenant_context`` (which sets PostgreSQL's ``app.tenant_id`` for RLS)."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from constel.models import ApiToken, Membership

        request.tenant = None
        request.membership = None
        request.memberships = []
        request.api_token = None

        key = _token_from_header(request)
        if key is not None:
            token = (
                ApiToken.objects.select_related("user", "tenant")
                .filter(key_hash=ApiToken.hash_key(key), revoked_at__isnull=True)
                .first()
            )
            if token is None or not token.user.is_active:
                return JsonResponse({"detail": _("Invalid or revoked API token.")}, status=401)
            now = timezone.now()
            if token.last_used_at is None or now - token.last_used_at > TOKEN_USE_RESOLUTION:
                # "Last used" to the minute: not a write on every request.
                ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            request.user = token.user
            request.api_token = token
            request._dont_enforce_csrf_checks = True

        user = request.user
        if not user.is_authenticated:
            with tenant_context(None):
                return self.get_response(request)

        if request.api_token is not None:
            # A token belongs to one programme: its membership is read inside that tenant's
            # context, which the view then runs in (one context, one query).
            with tenant_context(request.api_token.tenant, user_id=user.pk):
                active = (Membership.objects.filter(user_id=user.pk, is_active=True)
                          .select_related("tenant", "site").order_by("role").first())
                if active is None:
                    return JsonResponse({"detail": _("This token's programme access ended.")},
                                        status=401)
                request.memberships = [active]
                request.membership = active
                request.tenant = active.tenant
                return self.get_response(request)

        with tenant_context(None, user_id=user.pk):
            memberships = list(
                Membership.unscoped.filter(user_id=user.pk, is_active=True)
                .select_related("tenant", "site")
                .order_by("tenant__name", "role")
            )
        request.memberships = memberships
        chosen = request.session.get(ACTIVE_MEMBERSHIP_SESSION_KEY)
        active = next((m for m in memberships if str(m.pk) == chosen), None)
        if active is None and len(memberships) == 1:
            active = memberships[0]
            request.session[ACTIVE_MEMBERSHIP_SESSION_KEY] = str(active.pk)
        if active is not None:
            request.membership = active
            request.tenant = active.tenant
        with tenant_context(request.tenant, user_id=user.pk):
            return self.get_response(request)


_MFA_EXEMPT_PREFIXES = ("/accounts/", "/static/", "/healthz", "/i18n/", "/tenant/", "/media/")


class StaffSecurityMiddleware:
    """Idle expiry (30 min for staff) and the second factor required of staff roles."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and request.api_token is None:
            is_staff = any(m.is_staff_role for m in request.memberships) or user.is_staff
            request.session.set_expiry(
                settings.STAFF_SESSION_IDLE_SECONDS if is_staff
                else settings.PATIENT_SESSION_IDLE_SECONDS
            )
            if (
                is_staff
                and settings.CONSTEL_REQUIRE_STAFF_MFA
                and not request.path.startswith(_MFA_EXEMPT_PREFIXES)
                and not _mfa_enabled(user)
            ):
                if request.path.startswith("/api/"):
                    return JsonResponse(
                        {"detail": _("Two-factor authentication must be set up first.")},
                        status=403,
                    )
                messages.warning(
                    request,
                    _("Staff accounts must set up two-factor authentication before going on."),
                )
                return redirect("mfa_activate_totp")
        return self.get_response(request)


def _mfa_enabled(user: Any) -> bool:
    from allauth.mfa.utils import is_mfa_enabled

    return is_mfa_enabled(user)


class RequestLogMiddleware:
    """One structured log line per request."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        user = getattr(request, "user", None)
        tenant = getattr(request, "tenant", None)
        log.info(
            "request",
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "user_id": user.pk if user is not None and user.is_authenticated else None,
                "tenant": tenant.slug if tenant is not None else None,
            },
        )
        return response



def unavailable_response(request: HttpRequest) -> HttpResponse:
    message = _("The service is briefly unavailable. Please try again in a minute.")
    if request.path.startswith(("/api/", "/healthz")):
        response: HttpResponse = JsonResponse(
            {"status": "unavailable", "database": "down", "detail": message}, status=503
        )
    else:
        response = HttpResponse(
            f"<!DOCTYPE html><html lang='fr'><meta charset='utf-8'><title>503</title>"
            f"<h1>{message}</h1></html>", status=503
        )
    response["Retry-After"] = "30"
    return response
