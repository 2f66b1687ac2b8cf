"""The pathway's API routes (included under /api/v1/ by the root URLconf)."""

from rest_framework.routers import DefaultRouter

from pathways.api import ActivityViewSet, CarePlanViewSet, EnrollmentViewSet
from pathways.api_telefollowup import AlertViewSet, ReadingViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
# Readings first: the patients' devices post them all day (URLs are tried in order).
router.register("readings", ReadingViewSet, basename="reading")
router.register("enrollments", EnrollmentViewSet, basename="enrollment")
router.register("care-plans", CarePlanViewSet, basename="care-plan")
router.register("activities", ActivityViewSet, basename="activity")
router.register("alerts", AlertViewSet, basename="alert")

urlpatterns = router.urls
