"""The pathway's API routes (included under /api/v1/ by the root URLconf)."""

from rest_framework.routers import DefaultRouter

from pathways.api import ActivityViewSet, CarePlanViewSet, EnrollmentViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("enrollments", EnrollmentViewSet, basename="enrollment")
router.register("care-plans", CarePlanViewSet, basename="care-plan")
router.register("activities", ActivityViewSet, basename="activity")

urlpatterns = router.urls
