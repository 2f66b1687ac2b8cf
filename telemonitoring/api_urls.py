"""Telefollow-up's API routes, included first under /api/v1/ by the root URLconf: the
patients' devices post readings all day (URLs are tried in order)."""

from rest_framework.routers import DefaultRouter

from telemonitoring.api import AlertRuleViewSet, AlertViewSet, ReadingViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("readings", ReadingViewSet, basename="reading")
router.register("alerts", AlertViewSet, basename="alert")
router.register("alert-rules", AlertRuleViewSet, basename="alert-rule")

urlpatterns = router.urls
