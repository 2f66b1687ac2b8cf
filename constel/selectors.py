"""Reads of the project package, always given the tenant."""

from __future__ import annotations

from datetime import datetime

from django.apps import apps
from django.db.models import OuterRef, QuerySet, Subquery

from constel.models import AccessLog, Tenant


def access_log_search(
    *, tenant: Tenant, patient_query: str = "", user_query: str = "",
    since: datetime | None = None, until: datetime | None = None,
) -> QuerySet[AccessLog]:
    from django.db.models import Q

    Patient = apps.get_model("patients", "Patient")  # noqa: N806 (a model class)

    patients = Patient.objects.for_tenant(tenant)
    rows = (
        AccessLog.objects.for_tenant(tenant)
        .select_related("user")
        .annotate(
            patient_name=Subquery(patients.filter(pk=OuterRef("patient_id")).values("birth_name")[:1]),
            patient_first=Subquery(
                patients.filter(pk=OuterRef("patient_id")).values("first_names")[:1]
            ),
        )
        .order_by("-at")
    )
    if patient_query:
        matching = patients.filter(
            Q(birth_name__icontains=patient_query) | Q(used_name__icontains=patient_query)
            | Q(ins=patient_query)
        ).values("pk")
        rows = rows.filter(patient_id__in=matching)
    if user_query:
        rows = rows.filter(user__email__icontains=user_query)
    if since:
        rows = rows.filter(at__gte=since)
    if until:
        rows = rows.filter(at__lt=until)
    return rows
