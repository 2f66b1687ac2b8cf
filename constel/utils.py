"""Small helpers shared by the apps."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable


def is_uuid(value: str) -> bool:
    """Whether a query-string value is a UUID (a filter on anything else matches nothing)."""
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def csv_bytes(header: list[str], rows: Iterable[Iterable]) -> bytes:
    """A CSV file (UTF-8, comma-separated, header first) for the exports."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def field_errors(exc) -> dict[str, str]:
    """A service's ValidationError as {field: message} for a form page."""
    return {field: " ".join(messages) for field, messages in exc.message_dict.items()}
