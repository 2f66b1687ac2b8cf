"""/api/v1/patients/ and /api/v1/professionals/ — scoped like the pages."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from constel import dates
from constel.access import Cap, get_patient_or_404
from constel.api import HasCap
from patients import services
from patients.models import Patient, Professional
from patients.selectors import patient_list


class PatientSerializer(serializers.ModelSerializer):
    group = serializers.SerializerMethodField()
    ins = serializers.SerializerMethodField()

    class Meta:
        model = Patient
        fields = [
            "id", "birth_name", "used_name", "first_names", "sex", "birth_date",
            "identity_status", "ins", "phone", "email", "site", "gp", "group", "created_at",
        ]

    def get_group(self, obj: Patient) -> str | None:
        if hasattr(obj, "group"):  # annotated by the list selector: no query per row
            return obj.group
        return services.group_on(obj, dates.today())

    def get_ins(self, obj: Patient) -> str | None:
        """Identity vigilance: the INS only for a qualified identity."""
        return obj.ins if obj.ins_qualified else None


class PatientWriteSerializer(serializers.Serializer):
    """Field types only; rules (INS key, duplicates, dates) are the service's."""

    birth_name = serializers.CharField(max_length=100)
    used_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    first_names = serializers.CharField(max_length=150)
    sex = serializers.ChoiceField(choices=Patient.Sex.choices)
    birth_date = serializers.DateField()
    birth_place_code = serializers.CharField(max_length=5, required=False, allow_blank=True)
    ins = serializers.CharField(max_length=21, required=False, allow_blank=True)
    identity_status = serializers.ChoiceField(choices=Patient.IdentityStatus.choices,
                                              required=False)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    gp = serializers.UUIDField(required=False, allow_null=True)


class PatientViewSet(viewsets.ReadOnlyModelViewSet):
    """Patients visible to the token's or session's membership. Search with ``q``; filter
    with ``phase``, ``group``, ``site``, ``gp``."""

    serializer_class = PatientSerializer
    queryset = Patient.objects.none()  # typing for the schema; get_queryset scopes the data
    permission_classes = [HasCap]
    required_cap = Cap.PATIENT_IDENTITY
    action_caps = {"create": Cap.PATIENT_EDIT, "partial_update": Cap.PATIENT_EDIT}

    def get_queryset(self):  # type: ignore[override]
        p = self.request.query_params
        return patient_list(membership=self.request.membership, query=p.get("q", ""),
                            phase=p.get("phase", ""), group=p.get("group", ""),
                            site=p.get("site", ""), gp=p.get("gp", ""))

    def get_object(self) -> Patient:
        return get_patient_or_404(self.request._request, self.kwargs["pk"],
                                  self.action_caps.get(self.action, self.required_cap))

    def _gp(self, data: dict) -> dict:
        if data.get("gp"):
            gp = Professional.objects.for_tenant(self.request.tenant).filter(
                pk=data["gp"], kind=Professional.Kind.GP).first()
            if gp is None:
                raise serializers.ValidationError({"gp": "No GP with this id in the programme."})
            data["gp"] = gp
        return data

    @extend_schema(request=PatientWriteSerializer, responses={201: PatientSerializer})
    def create(self, request, *args, **kwargs) -> Response:
        incoming = PatientWriteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        patient = services.patient_create(tenant=request.tenant,
                                          **self._gp(dict(incoming.validated_data)))
        return Response(PatientSerializer(patient).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PatientWriteSerializer, responses={200: PatientSerializer})
    def partial_update(self, request, *args, **kwargs) -> Response:
        patient = self.get_object()
        incoming = PatientWriteSerializer(data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        patient = services.patient_update(patient=patient,
                                          **self._gp(dict(incoming.validated_data)))
        return Response(PatientSerializer(patient).data)


class ProfessionalSerializer(serializers.ModelSerializer):
    class Meta:
        model = Professional
        fields = ["id", "kind", "profession", "first_name", "last_name", "rpps", "phone",
                  "email", "secure_email"]


class ProfessionalViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The professionals directory of the programme."""

    serializer_class = ProfessionalSerializer
    queryset = Professional.objects.none()
    permission_classes = [HasCap]
    required_cap = Cap.DIRECTORY
    action_caps = {"create": Cap.DIRECTORY_EDIT}

    def get_queryset(self):  # type: ignore[override]
        return Professional.objects.for_tenant(self.request.tenant).order_by(
            "last_name", "first_name", "pk")

    def perform_create(self, serializer) -> None:
        serializer.instance = services.professional_create(tenant=self.request.tenant,
                                                           **serializer.validated_data)
