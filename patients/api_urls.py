"""Patients' and professionals' API routes (included under /api/v1/ by the root URLconf)."""

from rest_framework.routers import DefaultRouter

from patients.api import PatientViewSet, ProfessionalViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("patients", PatientViewSet, basename="patient")
router.register("professionals", ProfessionalViewSet, basename="professional")

urlpatterns = router.urls
