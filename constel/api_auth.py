"""DRF authentication for personal tokens (kept apart from constel.api: DRF imports it while
it is itself being imported)."""

from __future__ import annotations

from typing import Any

from rest_framework.authentication import BaseAuthentication


class TenantTokenAuthentication(BaseAuthentication):
    """Personal tokens are resolved by ``TenantMiddleware`` (which also sets the tenant
    context); this class only hands DRF what the middleware found."""

    def authenticate(self, request: Any) -> tuple[Any, Any] | None:
        token = getattr(request._request, "api_token", None)
        if token is None:
            return None
        return (request._request.user, token)

    def authenticate_header(self, request: Any) -> str:
        return "Bearer"
