"""Small helpers shared by the apps."""

from __future__ import annotations

import uuid


def is_uuid(value: str) -> bool:
    """Whether a query-string value is a UUID (a filter on anything else matches nothing)."""
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
