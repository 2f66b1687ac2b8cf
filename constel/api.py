"""API plumbing: capability permissions, errors, the router of /api/v1/."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.urls import include, path
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions, permissions
from rest_framework.routers import DefaultRouter
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


router = DefaultRouter(trailing_slash=True)
router.include_root_view = False


def _register() -> None:
    from pathways.api import ActivityViewSet, CarePlanViewSet, EnrollmentViewSet
    from pathways.api_telefollowup import AlertViewSet, ReadingViewSet
    from patients.api import PatientViewSet, ProfessionalViewSet

    # Readings first: the patients' devices post them all day (URLs are tried in order).
    router.register("readings", ReadingViewSet, basename="reading")
    router.register("patients", PatientViewSet, basename="patient")
    router.register("enrollments", EnrollmentViewSet, basename="enrollment")
    router.register("professionals", ProfessionalViewSet, basename="professional")
    router.register("care-plans", CarePlanViewSet, basename="care-plan")
    router.register("activities", ActivityViewSet, basename="activity")
    router.register("alerts", AlertViewSet, basename="alert")
    from billing.api import StatementViewSet

    router.register("claims/statements", StatementViewSet, basename="claim-statement")


_register()


def _extra() -> list:
    from django.urls import re_path

    from billing.api import StatementViewSet

    return [re_path(r"^claims/statements/(?P<pk>[0-9a-f-]{36})/export\.(?P<fmt>csv|xlsx|pdf)$",
                    StatementViewSet.as_view({"get": "export"}), name="claim-statement-export")]


api_urlpatterns = [*_extra(), path("", include(router.urls))]


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

