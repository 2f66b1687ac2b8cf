"""/api/v1/claims/statements/: list, read, compile, issue, export (finance only)."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from billing import services
from billing.models import ClaimLine, ClaimStatement
from constel.access import Cap
from constel.api import HasCap
from constel.tenancy import get_object_for_tenant_or_404


class ClaimLineSerializer(serializers.ModelSerializer):
    forfait = serializers.CharField(source="kind.code")
    adjusts = serializers.CharField(source="adjusts.reference", default=None, allow_null=True,
                                    read_only=True)

    class Meta:
        model = ClaimLine
        fields = ["reference", "patient", "enrollment", "forfait", "group", "event",
                  "instalment", "due_on", "tariff", "share", "amount", "type", "reason",
                  "adjusts"]


class StatementSerializer(serializers.ModelSerializer):
    class Meta:
        model = ClaimStatement
        fields = ["id", "period_start", "period_end", "status", "number", "total",
                  "compiled_at", "issued_at"]


class StatementDetailSerializer(StatementSerializer):
    lines = ClaimLineSerializer(many=True, read_only=True)

    class Meta(StatementSerializer.Meta):
        fields = [*StatementSerializer.Meta.fields, "lines"]


class CompileSerializer(serializers.Serializer):
    period = serializers.DateField(help_text="A date in the period to compile (YYYY-MM-DD).")


class StatementViewSet(viewsets.ReadOnlyModelViewSet):
    """Six-month claim statements of the active programme. Issued statements never change;
    corrections become adjustment lines on the open statement."""

    permission_classes = [HasCap]
    required_cap = Cap.BILLING
    queryset = ClaimStatement.objects.none()

    def get_serializer_class(self):  # type: ignore[override]
        return StatementDetailSerializer if self.action == "retrieve" else StatementSerializer

    def get_queryset(self):  # type: ignore[override]
        qs = ClaimStatement.objects.for_tenant(self.request.tenant).order_by("-period_start")
        if self.action == "retrieve":
            qs = qs.prefetch_related("lines__kind", "lines__adjusts")
        return qs

    def get_object(self) -> ClaimStatement:
        return get_object_for_tenant_or_404(self.get_queryset(), self.request.tenant,
                                            pk=self.kwargs["pk"])

    @extend_schema(request=CompileSerializer, responses={200: StatementSerializer})
    @action(detail=False, methods=["post"])
    def compile(self, request) -> Response:
        incoming = CompileSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        statement = services.compile_claims(tenant=request.tenant,
                                            day=incoming.validated_data["period"])
        return Response(StatementSerializer(statement).data)

    @extend_schema(request=None, responses={200: StatementSerializer})
    @action(detail=True, methods=["post"])
    def issue(self, request, pk=None) -> Response:
        statement = services.statement_issue(statement=self.get_object(), actor=request.user)
        return Response(StatementSerializer(statement).data, status=status.HTTP_200_OK)

    @extend_schema(responses={200: OpenApiResponse(OpenApiTypes.BINARY,
                                                   description="CSV, XLSX or PDF")})
    def export(self, request, pk=None, fmt: str = "csv") -> HttpResponse:
        """``/api/v1/claims/statements/{id}/export.csv`` (``.xlsx``, ``.pdf``): routed in
        constel/api.py (a file name has no trailing slash)."""
        from billing.views import EXPORTS

        statement = self.get_object()
        content_type, export = EXPORTS[fmt]
        response = HttpResponse(export(statement, by=request.user), content_type=content_type)
        response["Content-Disposition"] = (
            f'attachment; filename="{request.tenant.slug}-claims-'
            f'{statement.period_start:%Y-%m}.{fmt}"')
        return response
