from __future__ import annotations

from typing import Any

from constel.access import Cap, has_cap


def tenancy(request: Any) -> dict[str, Any]:
    membership = getattr(request, "membership", None)
    caps = {cap.name: has_cap(membership, cap) for cap in Cap}
    open_alerts = None
    if caps.get("ALERT_HANDLE"):
        from pathways.models import Alert

        open_alerts = (Alert.objects.for_tenant(membership.tenant_id)
                       .exclude(status=Alert.Status.CLOSED).count())
    return {
        "open_alert_count": open_alerts,
        "active_tenant": getattr(request, "tenant", None),
        "active_membership": membership,
        "memberships": getattr(request, "memberships", []),
        "caps": caps,
    }
