"""API plumbing: capability permissions, errors, the router of /api/v1/."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions, permissions
from rest_framework.views import exception_handler as drf_exception_handler

from constel.access import Cap, has_cap


class HasCap(permissions.BasePermission):
    """The view's ``required_cap`` must be in the active membership's role (else 403)."""

    def has_permission(self, request: Any, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False  # DRF answers 401
        cap: Cap = getattr(view, "action_caps", {}).get(
            getattr(view, "action", None), getattr(view, "required_cap", Cap.API))
        membership = getattr(request._request, "membership", None)
        if membership is None:
            raise exceptions.PermissionDenied("Choose an active programme first.")
        return has_cap(membership, Cap.API) and has_cap(membership, cap)


def exception_handler(exc: Exception, context: dict) -> Any:
    """DRF's handler, with Django's 404/403 turned into JSON like the rest."""
    if isinstance(exc, DjangoValidationError):
        # A service's field errors become a 400 naming each field.
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages})
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    return drf_exception_handler(exc, context)


class PersonalTokenScheme(OpenApiAuthenticationExtension):
    """Documents personal tokens in the OpenAPI schema."""

    target_class = "constel.api_auth.TenantTokenAuthentication"
    name = "personalToken"

    def get_security_definition(self, auto_schema: Any) -> dict:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal token (cst_…) created in Settings → API tokens; "
            "it acts in one programme with its owner's role.",
        }

