"""Factories of the project package: programmes (tenants), users, API tokens."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from django.utils import timezone

from constel import services
from constel.models import Tenant, User

PASSWORD = "correct-horse-battery-9"
_seq = itertools.count(1)


def tenant_factory(slug: str | None = None, name: str | None = None) -> Tenant:
    n = next(_seq)
    slug = slug or f"prog-{n}"
    return services.tenant_create(
        slug=slug, name=name or f"Programme {slug}", operator="Opérateur test",
        # An open window (the real Constel'Action window closed on 2026-03-02).
        inclusion_window_end=timezone.localdate() + timedelta(days=365),
        cumulative_inclusion_cap=1130,
        claim_period_anchor=date(2022, 10, 1),
    )


def user_factory(prefix: str = "user", **kw) -> User:
    n = next(_seq)
    return services.user_create(
        email=f"{prefix}{n}@example.test", password=PASSWORD,
        first_name=kw.get("first_name", prefix.capitalize()), last_name=kw.get("last_name", f"N{n}"),
    )


def api_auth(user: User, tenant: Tenant, capsys) -> dict:
    """The test client's headers for a new personal API token of ``user`` in ``tenant``
    (made by the management command, as an operator would)."""
    from django.core.management import call_command

    call_command("create_api_token", user.email, "--tenant", tenant.slug)
    return {"HTTP_AUTHORIZATION": f"Bearer {capsys.readouterr().out.strip()}"}
