"""The header's alert badge: the member's queue (telemonitoring/console.py), the same count
as the alert list's default view and the worklist's alert section."""

from __future__ import annotations

from typing import Any

from constel.access import Cap, has_cap


def alert_badge(request: Any) -> dict[str, Any]:
    membership = getattr(request, "membership", None)
    if not has_cap(membership, Cap.ALERT_HANDLE):
        return {"open_alert_count": None}
    from telemonitoring.console import queue

    return {"open_alert_count": queue(membership).count()}
