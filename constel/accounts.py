"""allauth and axes glue."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: Any) -> bool:
        # Accounts are created by the programme (staff) or by invitation (patients).
        return False


def axes_username(request: Any, credentials: dict | None = None) -> str:
    """The identifier axes locks on, whatever the login form calls its field."""
    credentials = credentials or {}
    for key in ("email", "login", "username"):
        value = credentials.get(key) or (request.POST.get(key) if request is not None else None)
        if value:
            return str(value).strip().lower()
    return ""
