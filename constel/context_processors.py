from __future__ import annotations

from typing import Any

from django.apps import apps

from constel.access import Cap, has_cap


def tenancy(request: Any) -> dict[str, Any]:
    membership = getattr(request, "membership", None)
    caps = {cap.name: has_cap(membership, cap) for cap in Cap}
    open_alerts = None
    if caps.get("ALERT_HANDLE"):
        Alert = apps.get_model("telemonitoring", "Alert")  # noqa: N806 (a model class)

        open_alerts = (Alert.objects.for_tenant(membership.tenant_id)
                       .exclude(status=Alert.Status.CLOSED).count())
    # The portal's "for whom" (set by portal.views.portal_patient when the page read it).
    choices = getattr(request, "_acting_for", None) or []
    chosen = getattr(request, "acting_for_patient", None)
    return {
        "portal_choices": choices,
        "acting_as_carer": chosen is not None and not any(
            own and p.pk == chosen.pk for p, own in choices),
        "open_alert_count": open_alerts,
        "active_tenant": getattr(request, "tenant", None),
        "active_membership": membership,
        "memberships": getattr(request, "memberships", []),
        "caps": caps,
    }
