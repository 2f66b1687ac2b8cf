"""/api/v1/enrollments/ — scoped like the pages (the patient must be in scope)."""

from __future__ import annotations

from rest_framework import serializers, viewsets

from constel.access import Cap, patients_in_scope
from constel.api import HasCap
from constel.tenancy import get_object_for_tenant_or_404
from pathways.models import Enrollment


class EnrollmentSerializer(serializers.ModelSerializer):
    gp_agreement = serializers.CharField(source="gp_agreement.status", default=None)

    class Meta:
        model = Enrollment
        fields = ["id", "patient", "door", "referrer", "phase", "referral_status",
                  "included_on", "exited_on", "exit_reason", "gp_agreement", "created_at"]


class EnrollmentViewSet(viewsets.ReadOnlyModelViewSet):
    """Enrollments of the patients in the caller's scope. Filter with ``phase``."""

    serializer_class = EnrollmentSerializer
    queryset = Enrollment.objects.none()
    permission_classes = [HasCap]
    required_cap = Cap.PATIENT_IDENTITY

    def get_queryset(self):  # type: ignore[override]
        qs = (Enrollment.objects.for_tenant(self.request.tenant)
              .filter(patient__in=patients_in_scope(self.request.membership))
              .select_related("gp_agreement").order_by("-created_at", "pk"))
        phase = self.request.query_params.get("phase")
        return qs.filter(phase=phase) if phase else qs

    def get_object(self) -> Enrollment:
        return get_object_for_tenant_or_404(self.get_queryset(), self.request.tenant,
                                            pk=self.kwargs["pk"])
