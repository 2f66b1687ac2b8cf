"""allauth and axes glue."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: Any) -> bool:
        # Accounts are created by the programme (staff) or by invitation (patients).
        return False


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """OpenID Connect (Pro Santé Connect) signs in an existing account only — matched by its
    verified e-mail — and only for a member of a programme that enabled it."""

    def is_open_for_signup(self, request: Any, sociallogin: Any) -> bool:
        return False

    def pre_social_login(self, request: Any, sociallogin: Any) -> None:
        from constel.models import Membership
        from constel.tenancy import tenant_context

        user = sociallogin.user
        allowed = False
        if user.pk is not None:
            with tenant_context(None, user_id=user.pk):  # the user's own memberships (RLS)
                allowed = Membership.unscoped.filter(
                    user_id=user.pk, is_active=True, tenant__oidc_login=True).exists()
        if not allowed:
            messages.error(request, _("This sign-in is not enabled for your account: use your "
                                      "e-mail and password."))
            raise ImmediateHttpResponse(redirect("account_login"))


def axes_username(request: Any, credentials: dict | None = None) -> str:
    """The identifier axes locks on, whatever the login form calls its field."""
    credentials = credentials or {}
    for key in ("email", "login", "username"):
        value = credentials.get(key) or (request.POST.get(key) if request is not None else None)
        if value:
            return str(value).strip().lower()
    return ""


def client_ip(request: Any) -> str | None:
    """The client's address: REMOTE_ADDR, as ``constel.middleware.ClientAddressMiddleware``
    set it from the trusted proxies' X-Forwarded-For."""
    return request.META.get("REMOTE_ADDR") if request is not None else None
