"""/api/v1/enrollments/, /api/v1/care-plans/, /api/v1/activities/ — scoped like the pages."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from constel.access import Cap, has_cap
from constel.api import HasCap
from constel.api_fields import TextField
from constel.tenancy import get_object_for_tenant_or_404
from constel.utils import is_uuid
from pathways.models import Activity, CarePlan, CarePlanItem, Enrollment, Phase
from pathways.selectors import (
    activities_in_scope,
    care_plans_in_scope,
    enrollments_in_scope,
)
from pathways.services import activities as activity_services
from pathways.services import care_plans as care_plan_services
from pathways.services import enrollment_transition, next_phases
from patients.models import Professional


class EnrollmentSerializer(serializers.ModelSerializer):
    gp_agreement = serializers.CharField(source="gp_agreement.status", default=None)

    class Meta:
        model = Enrollment
        fields = ["id", "patient", "door", "referrer", "phase", "referral_status",
                  "included_on", "exited_on", "exit_reason", "gp_agreement", "created_at"]


class TransitionSerializer(serializers.Serializer):
    to_phase = serializers.ChoiceField(choices=Phase.choices)
    effective_on = serializers.DateField(required=False)
    reason = TextField(required=False, allow_blank=True, max_length=500)
    exit_reason = serializers.ChoiceField(
        choices=Enrollment.ExitReason.choices, required=False,
        help_text="Required with to_phase=exited: the exit is then recorded exactly as on the "
                  "page (its reason, the exit letter to the GP).")


class NextPhaseSerializer(serializers.Serializer):
    phase = serializers.ChoiceField(choices=Phase.choices)
    blockers = serializers.ListField(child=serializers.CharField(),
                                     help_text="What prevents the move; empty when possible.")


class EnrollmentViewSet(viewsets.ReadOnlyModelViewSet):
    """Enrollments of the patients in the caller's scope. Filter with ``phase``."""

    serializer_class = EnrollmentSerializer
    queryset = Enrollment.objects.none()
    permission_classes = [HasCap]
    required_cap = Cap.PATIENT_IDENTITY
    action_caps = {"transition": Cap.ENROLLMENT_MANAGE}

    def get_queryset(self):  # type: ignore[override]
        qs = (enrollments_in_scope(membership=self.request.membership)
              .select_related("gp_agreement").order_by("-created_at", "pk"))
        phase = self.request.query_params.get("phase")
        return qs.filter(phase=phase) if phase else qs

    def get_object(self) -> Enrollment:
        return get_object_for_tenant_or_404(self.get_queryset(), self.request.tenant,
                                            pk=self.kwargs["pk"])

    @extend_schema(request=TransitionSerializer, responses={200: EnrollmentSerializer})
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None) -> Response:
        """Move to the next phase; 400 with the blocking reasons when it cannot."""
        enrollment = self.get_object()
        incoming = TransitionSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        d = incoming.validated_data
        if d["to_phase"] == Phase.EXITED:
            from pathways.services import enrollment_exit

            enrollment = enrollment_exit(enrollment=enrollment, actor=request.user,
                                         reason=d.get("exit_reason", ""),
                                         on=d.get("effective_on"), note=d.get("reason", ""))
        else:
            enrollment = enrollment_transition(enrollment=enrollment, to_phase=d["to_phase"],
                                               actor=request.user,
                                               effective_on=d.get("effective_on"),
                                               reason=d.get("reason", ""))
        return Response(EnrollmentSerializer(enrollment).data)

    @extend_schema(responses={200: NextPhaseSerializer(many=True)})
    @action(detail=True, methods=["get"], url_path="next-phases", pagination_class=None)
    def next_phases(self, request, pk=None) -> Response:
        """The reachable phases and what blocks each."""
        enrollment = self.get_object()
        return Response([{"phase": p, "blockers": b} for p, b in next_phases(enrollment)])


class CarePlanItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = CarePlanItem
        fields = ["id", "kind", "label", "profession", "professional", "count_per_year",
                  "frequency", "details"]


class CarePlanSerializer(serializers.ModelSerializer):
    items = CarePlanItemSerializer(many=True, read_only=True)

    class Meta:
        model = CarePlan
        fields = ["id", "enrollment", "version", "kind", "status", "year", "reason",
                  "planned_duration_years", "apa_schedule", "goals", "issued_on", "gp_status",
                  "gp_comment", "items"]


class CarePlanCreateSerializer(serializers.Serializer):
    enrollment = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=CarePlan.Kind.choices)
    reason = serializers.CharField(required=False, allow_blank=True)
    apa_schedule = serializers.ChoiceField(choices=["group_of_10", "group_of_4"],
                                           required=False)


class GpAnswerSerializer(serializers.Serializer):
    comment = TextField(required=False, allow_blank=True, max_length=2000)


class CarePlanViewSet(viewsets.ReadOnlyModelViewSet):
    """PPS versions. Drafts are created with their defaults, issued, then validated or
    returned by the patient's GP (``validate`` / ``request-changes``)."""

    serializer_class = CarePlanSerializer
    queryset = CarePlan.objects.none()
    permission_classes = [HasCap]
    required_cap = Cap.PATIENT_CLINICAL
    action_caps = {"create": Cap.PPS_EDIT, "issue": Cap.PPS_ISSUE,
                   "validate": Cap.GP_SPACE, "request_changes": Cap.GP_SPACE}

    def get_queryset(self):  # type: ignore[override]
        membership = self.request.membership
        qs = (care_plans_in_scope(membership=membership)
              .prefetch_related("items").order_by("enrollment", "version"))
        if has_cap(membership, Cap.GP_SPACE):  # the GP sees issued versions only
            qs = qs.exclude(status=CarePlan.Status.DRAFT)
        enrollment = self.request.query_params.get("enrollment")
        return qs.filter(enrollment_id=enrollment) if enrollment else qs

    def get_object(self) -> CarePlan:
        return get_object_for_tenant_or_404(self.get_queryset(), self.request.tenant,
                                            pk=self.kwargs["pk"])

    @extend_schema(request=CarePlanCreateSerializer, responses={201: CarePlanSerializer})
    def create(self, request, *args, **kwargs) -> Response:
        incoming = CarePlanCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        d = incoming.validated_data
        enrollment = get_object_for_tenant_or_404(
            enrollments_in_scope(membership=request.membership), request.tenant,
            pk=d["enrollment"])
        plan = care_plan_services.care_plan_draft(
            enrollment=enrollment, actor=request.user, kind=d["kind"],
            reason=d.get("reason", ""), apa_schedule=d.get("apa_schedule", "group_of_10"))
        return Response(CarePlanSerializer(plan).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: CarePlanSerializer})
    @action(detail=True, methods=["post"])
    def issue(self, request, pk=None) -> Response:
        plan = care_plan_services.care_plan_issue(care_plan=self.get_object(),
                                                  actor=request.user)
        return Response(CarePlanSerializer(plan).data)

    @extend_schema(request=GpAnswerSerializer, responses={200: CarePlanSerializer})
    @action(detail=True, methods=["post"])
    def validate(self, request, pk=None) -> Response:
        return self._answer(request, validate=True)

    def _answer(self, request, *, validate: bool) -> Response:
        plan = self.get_object()
        incoming = GpAnswerSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        plan = care_plan_services.care_plan_gp_answer(
            care_plan=plan, gp_user=request.user, validate=validate,
            comment=incoming.validated_data.get("comment", ""))
        return Response(CarePlanSerializer(plan).data)

    @extend_schema(request=GpAnswerSerializer, responses={200: CarePlanSerializer})
    @action(detail=True, methods=["post"], url_path="request-changes")
    def request_changes(self, request, pk=None) -> Response:
        return self._answer(request, validate=False)


class ActivitySerializer(serializers.ModelSerializer):
    class Meta:
        model = Activity
        fields = ["id", "enrollment", "kind", "profession", "professional", "group_session",
                  "scheduled_at", "duration_minutes", "status", "note"]
        read_only_fields = ["group_session", "status"]


class ActivityStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Activity.Status.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)


class ActivityViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Appointments and sessions of the patients in scope; ``status`` to mark them."""

    serializer_class = ActivitySerializer
    queryset = Activity.objects.none()
    permission_classes = [HasCap]
    required_cap = Cap.PATIENT_CLINICAL
    action_caps = {"create": Cap.ACTIVITY_MANAGE, "set_status": Cap.ACTIVITY_MANAGE}

    def get_queryset(self):  # type: ignore[override]
        # Clinical data: the patient's consents and objections apply (a GP sees the
        # activities of their own patients who agreed to online access, DESIGN §3).
        qs = activities_in_scope(membership=self.request.membership, clinical=True
                                 ).order_by("-scheduled_at", "pk")
        enrollment = self.request.query_params.get("enrollment")
        if enrollment:
            return qs.filter(enrollment_id=enrollment) if is_uuid(enrollment) else qs.none()
        return qs

    def get_object(self) -> Activity:
        return get_object_for_tenant_or_404(self.get_queryset(), self.request.tenant,
                                            pk=self.kwargs["pk"])

    def perform_create(self, serializer) -> None:
        d = serializer.validated_data
        enrollment = d["enrollment"]
        if not enrollments_in_scope(membership=self.request.membership, clinical=True
                                    ).filter(pk=enrollment.pk).exists():
            raise PermissionDenied
        professional = d.get("professional")
        if professional is not None and professional.tenant_id != self.request.tenant.pk:
            raise serializers.ValidationError({"professional": "Unknown professional."})
        serializer.instance = activity_services.activity_plan(
            enrollment=enrollment, kind=d["kind"], scheduled_at=d["scheduled_at"],
            professional=professional, profession=d.get("profession", ""),
            duration_minutes=d.get("duration_minutes", 30), note=d.get("note", ""))

    def get_serializer(self, *args, **kwargs):
        serializer = super().get_serializer(*args, **kwargs)
        tenant = getattr(self.request, "tenant", None)  # absent while the schema is built
        if tenant is not None and "enrollment" in getattr(serializer, "fields", {}):
            serializer.fields["enrollment"].queryset = Enrollment.objects.for_tenant(tenant)
            serializer.fields["professional"].queryset = Professional.objects.for_tenant(tenant)
        return serializer

    @extend_schema(request=ActivityStatusSerializer, responses={200: ActivitySerializer})
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request, pk=None) -> Response:
        activity = self.get_object()
        incoming = ActivityStatusSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        activity = activity_services.activity_set_status(
            activity=activity, status=incoming.validated_data["status"],
            note=incoming.validated_data.get("note"))
        return Response(ActivitySerializer(activity).data)


