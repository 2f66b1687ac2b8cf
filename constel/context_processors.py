from __future__ import annotations

from typing import Any

from constel.access import Cap, has_cap


def tenancy(request: Any) -> dict[str, Any]:
    membership = getattr(request, "membership", None)
    caps = {cap.name: has_cap(membership, cap) for cap in Cap}
    # The portal's "for whom" (set by portal.views.portal_patient when the page read it).
    choices = getattr(request, "_acting_for", None) or []
    chosen = getattr(request, "acting_for_patient", None)
    return {
        "portal_choices": choices,
        "acting_as_carer": chosen is not None and not any(
            own and p.pk == chosen.pk for p, own in choices),
        "active_tenant": getattr(request, "tenant", None),
        "active_membership": membership,
        "memberships": getattr(request, "memberships", []),
        "caps": caps,
    }
