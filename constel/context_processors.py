from __future__ import annotations

from typing import Any

from constel.access import Cap, has_cap


def tenancy(request: Any) -> dict[str, Any]:
    membership = getattr(request, "membership", None)
    caps = {cap.name: has_cap(membership, cap) for cap in Cap}
    return {
        "active_tenant": getattr(request, "tenant", None),
        "active_membership": membership,
        "memberships": getattr(request, "memberships", []),
        "caps": caps,
    }
