"""Reads of the telefollow-up for a membership: alerts within its patient scope
(constel.access.within_scope, the one scope function), in the order a nurse triages them."""

from __future__ import annotations

from django.db.models import Case, IntegerField, QuerySet, Value, When

from constel.access import Cap, object_in_scope, within_scope
from constel.models import Membership
from telemonitoring.models import Alert, AlertRule

_SHOWN = ("enrollment__patient", "indicator", "rule", "taken_by")


def critical_first() -> Case:
    """0 for a critical alert, 1 otherwise: the rank every alert list sorts by first."""
    return Case(When(level="critical", then=Value(0)), default=Value(1),
                output_field=IntegerField())


def alerts_in_scope(*, membership: Membership) -> QuerySet[Alert]:
    """The alerts of the patients whose clinical data the membership may see."""
    return within_scope(Alert.objects.filter(tenant_id=membership.tenant_id), membership,
                        patient_path="enrollment__patient")


def alert_list(*, membership: Membership, status: str = "active") -> QuerySet[Alert]:
    """Critical first, then the oldest: ``status`` one of Alert.Status, or "active" (not
    closed), or anything else for all."""
    qs = alerts_in_scope(membership=membership).select_related(*_SHOWN)
    if status == "active":
        qs = qs.exclude(status=Alert.Status.CLOSED)
    elif status in Alert.Status.values:
        qs = qs.filter(status=status)
    return qs.annotate(rank=critical_first()).order_by("rank", "opened_at", "pk")


def alert_get(*, membership: Membership, pk, cap: Cap = Cap.ALERT_HANDLE) -> Alert:
    """403 without ``cap``, 404 out of scope (as missing)."""
    return object_in_scope(Alert.objects.select_related(*_SHOWN), membership=membership,
                           patient_path="enrollment__patient", cap=cap, pk=pk)


def rules_in_scope(*, membership: Membership) -> QuerySet[AlertRule]:
    """The telefollow-up rules of the patients whose clinical data the membership may see."""
    return within_scope(AlertRule.objects.filter(tenant_id=membership.tenant_id), membership,
                        patient_path="enrollment__patient")


def rules_of_patient(*, membership: Membership, patient) -> tuple[list, list]:
    """(active rules, earlier ones) of a patient, with their indicator and PPS version; the
    earlier ones newest first (each PPS version issued replaces the rules)."""
    rules = list(rules_in_scope(membership=membership).filter(enrollment__patient=patient)
                 .select_related("indicator", "care_plan").order_by("-created_at"))
    return ([r for r in rules if r.active], [r for r in rules if not r.active])
