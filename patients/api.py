from __future__ import annotations

from rest_framework import serializers, viewsets

from constel.access import Cap, get_patient_or_404
from constel.api import HasCap
from patients.models import Patient
from patients.selectors import patient_list


class PatientSerializer(serializers.ModelSerializer):
    class Meta:
        model = Patient
        fields = [
            "id", "birth_name", "used_name", "first_names", "sex", "birth_date",
            "identity_status", "created_at",
        ]


class PatientViewSet(viewsets.ReadOnlyModelViewSet):
    """Patients visible to the token's or session's membership."""

    serializer_class = PatientSerializer
    queryset = Patient.objects.none()  # typing for the schema; get_queryset scopes the data
    permission_classes = [HasCap]
    required_cap = Cap.PATIENT_IDENTITY

    def get_queryset(self):  # type: ignore[override]
        return patient_list(membership=self.request.membership, query="")

    def get_object(self) -> Patient:
        return get_patient_or_404(self.request._request, self.kwargs["pk"], self.required_cap)
