"""Claim statements' API routes (included under /api/v1/ by the root URLconf)."""

from django.urls import re_path
from rest_framework.routers import DefaultRouter

from billing.api import StatementViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("claims/statements", StatementViewSet, basename="claim-statement")

urlpatterns = [
    re_path(r"^claims/statements/(?P<pk>[0-9a-f-]{36})/export\.(?P<fmt>csv|xlsx|pdf)$",
            StatementViewSet.as_view({"get": "export"}), name="claim-statement-export"),
    *router.urls,
]
