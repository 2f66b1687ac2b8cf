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
#: How precisely a session's idle expiry and "last seen" are kept: both are written at most
#: once a minute (every page used to write the session and the user-session row: two
#: statements and two commits for a time nobody reads to the second). An idle session ends
#: between 29 and 30 minutes after the last page.
ACTIVITY_RESOLUTION = timedelta(minutes=1)
_ACTIVE_AT_KEY = "constel_active_at"
log = logging.getLogger("constel.request")


def _token_from_header(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, key = header.partition(" ")
    if scheme.lower() in ("bearer", "token") and key.startswith("cst_"):
        return key.strip()
    return None


def _token_login_sql() -> tuple[str, str]:
    from constel.db import select_columns as columns
    from constel.models import ApiToken, Membership, Site, Tenant, User

    return f"""
SELECT set_config('app.tenant_id', t.tenant_id::text, false),
       set_config('app.user_id', t.user_id::text, false)
FROM {ApiToken._meta.db_table} t
WHERE t.key_hash = %(key)s AND t.revoked_at IS NULL
""", f"""
SELECT {columns(ApiToken, "t")}, {columns(User, "u")}, {columns(Tenant, "te")},
       {columns(Membership, "m")}, {columns(Site, "s")}
FROM {ApiToken._meta.db_table} t
JOIN {User._meta.db_table} u ON u.id = t.user_id AND u.is_active
JOIN {Tenant._meta.db_table} te ON te.id = t.tenant_id
LEFT JOIN {Membership._meta.db_table} m
  ON m.id = t.membership_id AND m.tenant_id = t.tenant_id AND m.user_id = t.user_id
  AND m.is_active
LEFT JOIN {Site._meta.db_table} s ON s.id = m.site_id
WHERE t.key_hash = %(key)s AND t.revoked_at IS NULL
"""  # noqa: S608 (table and column names from the models)


_TOKEN_LOGIN: tuple[Any, Any] | None = None


def _token_login(key_hash: str) -> tuple[Any, Any] | None:
    """The active token of ``key_hash`` with its user and tenant, and the one membership the
    token is bound to (None when it ended: a token never acts in another role); None for
    an unknown, revoked or inactive user's token. On PostgreSQL one round trip: a first
    statement sets the token's tenant and user on the connection (the membership is under
    row-level security), the second reads everything (two prepared statements, one simple
    query: one transaction); the request then enters that same context at no cost."""
    from django.db import connection

    from constel.db import Prepared, execute_prepared, from_row
    from constel.models import ApiToken, Membership, Site, Tenant, User
    from constel.tenancy import note_session_state, reset_connections, sets_own_state

    global _TOKEN_LOGIN
    if _TOKEN_LOGIN is None:
        setter, reader = _token_login_sql()
        _TOKEN_LOGIN = (Prepared("constel_token_login_set", setter),
                        Prepared("constel_token_login_read", reader))
    params = {"key": key_hash}
    # The first statement sets the state the second reads in: whatever the connection still
    # holds from a previous request is replaced, never used (the token table has no RLS).
    with sets_own_state(connection), connection.cursor() as cursor:
        execute_prepared(cursor, *((statement, params) for statement in _TOKEN_LOGIN))
        setting = cursor.fetchone()
        cursor.nextset()
        row = cursor.fetchone()
    if setting is None:
        return None  # no such token: nothing was set (the session holds what it held)
    if row is None:  # the user is inactive: the token's state must not stay on the session
        reset_connections()
        return None
    token, user, tenant, membership, site = from_row(
        connection.alias, row, ApiToken, User, Tenant, Membership, Site)
    token.user, token.tenant = user, tenant
    note_session_state(connection, tenant.pk, user.pk)
    if membership is None:
        reset_connections()
        return token, None
    membership.tenant, membership.site = tenant, site
    return token, membership


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
            found = _token_login(ApiToken.hash_key(key))
            if found is None:
                return JsonResponse({"detail": _("Invalid or revoked API token.")}, status=401)
            token, active = found
            request.user = token.user
            request.api_token = token
            request._dont_enforce_csrf_checks = True
            if active is None:
                return JsonResponse({"detail": _("This token's programme access ended.")},
                                    status=401)
            # A token belongs to one programme: the view runs in that tenant's context (the
            # login's round trip already set it on the connection: no second one; whatever
            # happens from here, leaving the context resets the connection).
            with tenant_context(token.tenant, user_id=token.user_id):
                now = timezone.now()
                if token.last_used_at is None or now - token.last_used_at > TOKEN_USE_RESOLUTION:
                    # "Last used" to the minute: not a write on every request.
                    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
                request.memberships = [active]
                request.membership = active
                request.tenant = active.tenant
                return self.get_response(request)

        user = request.user
        if not user.is_authenticated:
            with tenant_context(None):
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
            _keep_alive(request, settings.STAFF_SESSION_IDLE_SECONDS if is_staff
                        else settings.PATIENT_SESSION_IDLE_SECONDS)
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


def _keep_alive(request: HttpRequest, idle_seconds: int) -> None:
    """Push the session's idle expiry back and record the user's activity (allauth's
    "last seen" of the session) — at most once per ACTIVITY_RESOLUTION."""
    session = request.session
    now = int(time.time())
    # "_session_expiry": where SessionBase.set_expiry keeps the idle time it was given
    if (session.get("_session_expiry") == idle_seconds
            and now - session.get(_ACTIVE_AT_KEY, 0) < ACTIVITY_RESOLUTION.total_seconds()):
        return
    session.set_expiry(idle_seconds)
    session[_ACTIVE_AT_KEY] = now  # modified: SessionMiddleware saves it, cookie and row
    if session.session_key:
        from allauth.usersessions.models import UserSession

        UserSession.objects.filter(session_key=session.session_key).update(
            last_seen_at=timezone.now())


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


def _nul_field(data: Any, path: str = "") -> str | None:
    """The first field (dotted path) of a parsed JSON body holding a NUL character."""
    if isinstance(data, str):
        return (path or "body") if "\x00" in data else None
    if isinstance(data, dict):
        for key, value in data.items():
            if "\x00" in str(key):
                return str(key).replace("\x00", "")
            found = _nul_field(value, f"{path}.{key}" if path else str(key))
            if found:
                return found
    if isinstance(data, list):
        for i, value in enumerate(data):
            found = _nul_field(value, f"{path}.{i}" if path else str(i))
            if found:
                return found
    return None


class InputGuardMiddleware:
    """What no view should have to remember, for every request:

    * a NUL character in a query parameter, a form field or a JSON body is refused with a
      400 naming the field (PostgreSQL cannot store it: it was a 500 wherever a view read
      the raw parameter), before any view runs — so nothing is written;
    * a value the database refuses (``DataError``: too long for its column, out of range)
      is a 400, never a 500 (the request's transaction is rolled back by the service);
    * responses to a signed-in user or a token are never stored by a browser or a proxy
      (``Cache-Control: no-store``: they carry patient data); a ``Permissions-Policy``
      turns off the browser features the product never uses.
    """

    PERMISSIONS_POLICY = ("camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
                          "interest-cohort=()")

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        field = self._nul_field(request)
        if field is not None:
            response = self._bad(request, field, _("Null characters are not allowed."))
        else:
            response = self.get_response(request)
        response.setdefault("Permissions-Policy", self.PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or getattr(request, "api_token", None):
            response["Cache-Control"] = "no-store"
            response.setdefault("Pragma", "no-cache")
        return response

    @staticmethod
    def _nul_field(request: HttpRequest) -> str | None:
        for key, values in request.GET.lists():
            if "\x00" in key or any("\x00" in v for v in values):
                return key.replace("\x00", "")
        if request.method not in ("POST", "PUT", "PATCH"):
            return None
        content_type = request.content_type or ""
        if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            for key, values in request.POST.lists():
                if "\x00" in key or any("\x00" in v for v in values):
                    return key.replace("\x00", "")
            return None
        if content_type.endswith("json"):
            body = request.body
            if b"\x00" in body or b"\\u0000" in body.lower():
                import json

                try:
                    return _nul_field(json.loads(body)) or "body"
                except ValueError:
                    return "body"
        return None

    @staticmethod
    def _bad(request: HttpRequest, field: str, message: str) -> HttpResponse:
        if request.path.startswith("/api/") or request.path.startswith("/fhir/"):
            return JsonResponse({field: [message]}, status=400)
        from django.utils.html import escape

        return HttpResponse(
            f"<!DOCTYPE html><html lang='fr'><meta charset='utf-8'><title>400</title>"
            f"<h1>{escape(message)}</h1><p>{escape(_('Field'))} : {escape(field)}</p>"
            f"<p><a href='javascript:history.back()'>←</a></p></html>", status=400)

    def process_exception(self, request: HttpRequest, exception: Exception):
        from django.db import DataError

        if isinstance(exception, DataError):
            log.warning("data_error", extra={"path": request.path, "error": str(exception)})
            return self._bad(request, "non_field_errors",
                             _("A value is too long or out of range: shorten it or check it."))
        return None


class ClientAddressMiddleware:
    """REMOTE_ADDR made the client's own address behind ``TRUSTED_PROXY_COUNT`` reverse
    proxies (production: the TLS proxy): the proxy appends the address it saw to
    X-Forwarded-For, so the client is the N-th entry from the right. Everything that reads
    the address — login lockouts, rate limits, consent evidence, logs — then sees the real
    one; without it every user shares the proxy's address and five wrong passwords for one
    account would shut everyone out. A header shorter than the proxy count (a request that
    did not come through the proxies) keeps the connection's address; entries a client
    wrote itself (left of the trusted ones) are never used."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response
        self.count = getattr(settings, "TRUSTED_PROXY_COUNT", 0)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.count > 0:
            forwarded = [p.strip() for p in
                         request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
            if len(forwarded) >= self.count:
                import ipaddress

                candidate = forwarded[-self.count]
                try:
                    ipaddress.ip_address(candidate)
                except ValueError:
                    pass
                else:
                    request.META["REMOTE_ADDR"] = candidate
        return self.get_response(request)
