"""/api/v1/readings/ and /api/v1/alerts/ — scoped like the pages; a patient's token only
posts and reads their own readings."""

from __future__ import annotations

import copy

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from constel.access import (
    Cap,
    acting_for,
    has_cap,
    patients_in_scope,
)
from constel.api import HasCap
from constel.api_fields import TextField
from constel.tenancy import get_object_for_tenant_or_404
from constel.utils import is_uuid
from pathways.models import Enrollment
from telemonitoring import services as telefollowup
from telemonitoring.models import Alert, AlertRule, Reading
from telemonitoring.selectors import alerts_in_scope, rules_in_scope


class ReadingSerializer(serializers.Serializer):
    # Declared field by field, not a ModelSerializer: it is built on every POST, and a
    # ModelSerializer introspects the model each time (bench/README.md, ingestion).
    id = serializers.UUIDField(read_only=True)
    enrollment = serializers.UUIDField(source="enrollment_id", read_only=True)
    indicator = serializers.CharField(source="indicator.code", read_only=True)
    value = serializers.DecimalField(max_digits=9, decimal_places=2, read_only=True)
    unit = serializers.CharField(source="indicator.unit", read_only=True)
    measured_at = serializers.DateTimeField(read_only=True)
    entered_at = serializers.DateTimeField(read_only=True)
    source = serializers.ChoiceField(choices=Reading.Source.choices, read_only=True,
                                     help_text="Who entered it, in what capacity.")
    entered_by = serializers.CharField(source="entered_by_name", read_only=True,
                                       allow_null=True)
    measurement_id = serializers.UUIDField(read_only=True)
    evaluated_at = serializers.DateTimeField(read_only=True, allow_null=True)


_READING_FIELDS = ReadingSerializer().fields


def reading_data(reading: Reading) -> dict:
    """ReadingSerializer's representation, by its fields' own to_representation but without
    building a serializer (which deep-copies its fields) on every POST: the ingestion's hot
    path (tests/telemonitoring/test_ingest.py checks both agree)."""
    f = _READING_FIELDS
    return {
        "id": str(reading.pk),
        "enrollment": str(reading.enrollment_id),
        "indicator": reading.indicator.code,
        "value": f["value"].to_representation(reading.value),
        "unit": reading.indicator.unit,
        "measured_at": f["measured_at"].to_representation(reading.measured_at),
        "entered_at": f["entered_at"].to_representation(reading.entered_at),
        "source": reading.source,
        "entered_by": reading.entered_by_name,
        "measurement_id": str(reading.measurement_id),
        "evaluated_at": f["evaluated_at"].to_representation(reading.evaluated_at)
        if reading.evaluated_at else None,
    }


class ReadingCreateSerializer(serializers.Serializer):
    enrollment = serializers.UUIDField(required=False,
                                       help_text="Required for staff; a patient posts their own.")
    patient = serializers.UUIDField(
        required=False,
        help_text="For a patient or carer login: the patient the reading is for. Required "
                  "when the login acts for more than one patient (its own record and those "
                  "it is a carer of); refused when it is not one of them.")
    indicator = serializers.CharField(help_text="Indicator code, or blood_pressure")
    value = serializers.CharField()
    diastolic = serializers.CharField(required=False, allow_blank=True)
    unit = serializers.CharField(required=False, allow_blank=True)
    measured_at = serializers.DateTimeField()

    def get_fields(self) -> dict:
        # Built on every POST (the ingestion's hot path): a shallow copy of each declared
        # field, bound to this serializer, instead of DRF's deep copy that runs every
        # field's __init__ again (a third of the validation's time). The fields keep no
        # per-request state of their own.
        return {name: copy.copy(field) for name, field in self._declared_fields.items()}


class ReadingResultSerializer(serializers.Serializer):
    readings = ReadingSerializer(many=True)
    alerts = serializers.ListField(child=serializers.DictField())


class ReadingViewSet(viewsets.GenericViewSet):
    """Readings of the patients in scope; ``POST`` answers 201 with the evaluation result."""

    queryset = Reading.objects.none()
    serializer_class = ReadingSerializer
    permission_classes = [HasCap]
    required_cap = Cap.API

    def _scope(self):
        membership = self.request.membership
        if has_cap(membership, Cap.PORTAL):  # a patient's (or carer's) login
            return patients_in_scope(membership)
        return patients_in_scope(membership, clinical=True)

    def check_permissions(self, request):
        super().check_permissions(request)
        membership = request.membership
        if has_cap(membership, Cap.PORTAL):
            return  # their own readings only (see _scope)
        if self.action == "list" and not has_cap(membership, Cap.PATIENT_CLINICAL):
            self.permission_denied(request)
        if self.action == "create" and not has_cap(membership, Cap.ALERT_HANDLE):
            self.permission_denied(request)  # readings by phone: the alert handlers

    @extend_schema(parameters=[
        OpenApiParameter("patient", str), OpenApiParameter("indicator", str),
        OpenApiParameter("since", str, description="ISO date or date-time")])
    def list(self, request) -> Response:
        qs = (Reading.objects.for_tenant(request.tenant)
              .filter(enrollment__patient__in=self._scope())
              .select_related("indicator", "entered_by").order_by("-measured_at", "pk"))
        p = request.query_params
        errors = {}
        if p.get("patient"):
            qs = qs.filter(enrollment__patient_id=p["patient"]) if is_uuid(p["patient"]) \
                else qs.none()
        if p.get("indicator"):
            qs = qs.filter(indicator__code=p["indicator"])
        if p.get("since"):
            from constel.dates import parse_moment

            # a date is the programme's day (its first instant in the programme's zone)
            since = parse_moment(p["since"], request.tenant)
            if since is None:
                errors["since"] = ["Use an ISO date (2026-01-31) or date-time with its "
                                   "offset, between 1900 and 2100."]
            else:
                qs = qs.filter(measured_at__gte=since)
        if errors:
            return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(ReadingSerializer(page, many=True).data)

    @extend_schema(request=ReadingCreateSerializer, responses={201: ReadingResultSerializer})
    def create(self, request) -> Response:
        incoming = ReadingCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        d = incoming.validated_data
        done = None
        if has_cap(request.membership, Cap.PORTAL) and not (
                d.get("enrollment") or d.get("unit") or d.get("patient")):
            # Found, checked, stored and evaluated in one statement — or nothing stored, and
            # the path below names what is wrong.
            done = telefollowup.patient_measurement_ingest(
                tenant_id=request.tenant.pk, user=request.user, indicator_code=d["indicator"],
                value=d["value"], diastolic=d.get("diastolic"), measured_at=d["measured_at"])
        readings, alerts = done or self._record(request, d)
        codes = {r.indicator_id: r.indicator.code for r in readings}
        return Response({
            "readings": [reading_data(r) for r in readings],
            "alerts": [{"id": str(a.pk), "level": a.level, "status": a.status,
                        "indicator": codes.get(a.indicator_id, "")} for a in alerts],
        }, status=status.HTTP_201_CREATED)

    def _record(self, request, d: dict) -> tuple[list, list]:
        followed = None
        source = "nurse_phone"
        if has_cap(request.membership, Cap.PORTAL):
            enrollment = None
            if d.get("patient") is None:
                # A login that acts only for its own record: its follow-up and the
                # indicators it follows, in one query (None for any other login).
                enrollment, followed = telefollowup.patient_ingest_target(
                    tenant_id=request.tenant.pk, user_id=request.user.pk,
                    codes=telefollowup.measurement_codes(d["indicator"]))
                source = "portal"
            if enrollment is None:
                patient, own = self._acting_for(request, d.get("patient"))
                source = "portal" if own else "carer"
                followed = None
                enrollment = telefollowup.following_enrollment(patient)
            if enrollment is None or (d.get("enrollment") and d["enrollment"] != enrollment.pk):
                raise serializers.ValidationError({"enrollment": ["Not your follow-up."]})
        else:
            if not d.get("enrollment"):
                raise serializers.ValidationError({"enrollment": ["This field is required."]})
            enrollments = Enrollment.objects.for_tenant(request.tenant).filter(
                patient__in=self._scope(), phase__in=telefollowup.FOLLOWING_PHASES)
            enrollment = get_object_for_tenant_or_404(enrollments, request.tenant,
                                                      pk=d["enrollment"])
        # Stored and evaluated in one transaction: the answer carries the evaluation.
        return telefollowup.reading_record_evaluated(
            enrollment=enrollment, indicator_code=d["indicator"], value=d["value"],
            diastolic=d.get("diastolic"), unit=d.get("unit") or None,
            measured_at=d["measured_at"], entered_by=request.user, source=source,
            followed=followed)

    @staticmethod
    def _acting_for(request, patient_id):
        """(patient, is_own_record) for a patient or carer login: the one named, which must
        be theirs; unnamed, their only one — a login that acts for several must say."""
        choices = acting_for(request.membership)
        if patient_id is not None:
            for patient, own in choices:
                if patient.pk == patient_id:
                    return patient, own
            raise serializers.ValidationError({"patient": ["Not a patient you act for."]})
        if len(choices) > 1:
            raise serializers.ValidationError({"patient": [
                "This login acts for several patients: say for whom (patient)."]})
        if not choices:
            raise serializers.ValidationError({"enrollment": ["Not your follow-up."]})
        return choices[0]



class AlertSerializer(serializers.ModelSerializer):
    indicator = serializers.CharField(source="indicator.code")
    rule_kind = serializers.CharField(source="rule.kind")

    class Meta:
        model = Alert
        fields = ["id", "enrollment", "indicator", "rule_kind", "level", "status", "opened_at",
                  "taken_at", "escalated_at", "auto_escalated", "closed_at", "outcome", "note",
                  "gp_involvement"]


class AlertEscalateSerializer(serializers.Serializer):
    note = TextField(required=False, allow_blank=True, max_length=2000)


class AlertCloseSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Alert.Outcome.choices)
    note = serializers.CharField(required=False, allow_blank=True)
    gp_involvement = serializers.CharField(required=False, allow_blank=True)
    consultation_profession = serializers.CharField(required=False, allow_blank=True)


class AlertViewSet(viewsets.ReadOnlyModelViewSet):
    """Alerts of the patients in scope, with ``take``, ``escalate`` and ``close``."""

    serializer_class = AlertSerializer
    queryset = Alert.objects.none()
    permission_classes = [HasCap]
    required_cap = Cap.ALERT_HANDLE

    def get_queryset(self):  # type: ignore[override]
        membership = self.request.membership
        qs = (alerts_in_scope(membership=membership)
              .select_related("indicator", "rule").order_by("-opened_at", "pk"))
        state = self.request.query_params.get("status")
        return qs.filter(status=state) if state else qs

    def get_object(self) -> Alert:
        return get_object_for_tenant_or_404(self.get_queryset(), self.request.tenant,
                                            pk=self.kwargs["pk"])

    @extend_schema(request=None, responses={200: AlertSerializer})
    @action(detail=True, methods=["post"])
    def take(self, request, pk=None) -> Response:
        return Response(AlertSerializer(telefollowup.alert_take(
            alert=self.get_object(), nurse=request.user)).data)

    @extend_schema(request=AlertEscalateSerializer, responses={200: AlertSerializer})
    @action(detail=True, methods=["post"])
    def escalate(self, request, pk=None) -> Response:
        alert = self.get_object()
        incoming = AlertEscalateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        return Response(AlertSerializer(telefollowup.alert_escalate(
            alert=alert, by=request.user,
            note=incoming.validated_data.get("note", ""))).data)

    @extend_schema(request=AlertCloseSerializer, responses={200: AlertSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None) -> Response:
        alert = self.get_object()
        incoming = AlertCloseSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        d = incoming.validated_data
        return Response(AlertSerializer(telefollowup.alert_close(
            alert=alert, by=request.user, role=request.membership.role, outcome=d["outcome"],
            note=d.get("note", ""), gp_involvement=d.get("gp_involvement", ""),
            consultation_profession=d.get("consultation_profession", ""))).data)




class AlertRuleSerializer(serializers.ModelSerializer):
    patient = serializers.UUIDField(source="enrollment.patient_id", read_only=True)
    indicator = serializers.CharField(source="indicator.code", read_only=True)
    care_plan_version = serializers.SerializerMethodField()

    class Meta:
        model = AlertRule
        fields = ["id", "patient", "enrollment", "indicator", "kind", "warn_low", "warn_high",
                  "crit_low", "crit_high", "amount", "window_hours", "direction",
                  "expected_interval_hours", "tolerance", "active", "care_plan_version",
                  "created_at"]
        read_only_fields = fields

    def get_care_plan_version(self, rule) -> int | None:
        return rule.care_plan.version if rule.care_plan_id else None


class AlertRuleViewSet(viewsets.ReadOnlyModelViewSet):
    """The telefollow-up rules of the patients in scope (clinical access), active first;
    ``patient`` and ``active`` filter. Each PPS version issued replaces the active rules: the
    inactive ones are their history."""

    serializer_class = AlertRuleSerializer
    queryset = AlertRule.objects.none()
    permission_classes = [HasCap]
    required_cap = Cap.PATIENT_CLINICAL

    @extend_schema(parameters=[OpenApiParameter("patient", str),
                               OpenApiParameter("active", bool)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def get_queryset(self):  # type: ignore[override]
        qs = (rules_in_scope(membership=self.request.membership)
              .select_related("indicator", "care_plan", "enrollment")
              .order_by("-active", "-created_at", "pk"))
        patient = self.request.query_params.get("patient")
        if patient:
            qs = qs.filter(enrollment__patient_id=patient) if is_uuid(patient) else qs.none()
        active = self.request.query_params.get("active")
        if active in ("true", "false"):
            qs = qs.filter(active=active == "true")
        return qs

    def get_object(self) -> AlertRule:
        return get_object_for_tenant_or_404(self.get_queryset(), self.request.tenant,
                                            pk=self.kwargs["pk"])
