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
    if not hasattr(exc, "error_dict"):  # a message for the whole form
        return {"__all__": " ".join(exc.messages)}
    return {field: " ".join(messages) for field, messages in exc.message_dict.items()}


_CONTROL = {c: None for c in range(32) if c not in (9, 10, 13)} | {127: None}


def clean_text(value: str | None) -> str:
    """A free-text input without NUL and other control characters (PostgreSQL refuses NUL in
    text; the others are never typed), stripped."""
    return (value or "").translate(_CONTROL).strip()


#: The extension a download is saved with, by the type its content was recognised as.
EXTENSIONS = {
    "application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png",
    "image/gif": ".gif", "image/webp": ".webp", "image/heic": ".heic", "text/plain": ".txt",
    "text/csv": ".csv", "application/zip": ".zip", "video/mp4": ".mp4",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
}


def safe_filename(name: str, content_type: str | None = None) -> str:
    """A file name a browser saves as such: no folder, no quote, no control character, at
    most 100 characters; with ``content_type``, the extension is the one of the type the
    content was recognised as (a name chosen by a patient never makes a clinician's browser
    save an .html)."""
    import os.path
    import re
    import unicodedata

    base = os.path.basename((name or "").replace("\\", "/"))
    base = unicodedata.normalize("NFC", clean_text(base))
    base = re.sub(r'[\x00-\x1f\x7f"*:<>?|;=/\\]+', "_", base).strip(" .") or "fichier"
    if content_type is not None:
        stem = base.rsplit(".", 1)[0] if "." in base else base
        base = (stem.strip(" .") or "fichier")[:90] + EXTENSIONS.get(content_type, ".bin")
    return base[:100]


def attachment_headers(response, filename: str, content_type: str | None = None):
    """``response`` as a download of ``filename`` (sanitised, the header built by Django's
    own helper), never cached, never sniffed."""
    from django.utils.http import content_disposition_header

    response["Content-Disposition"] = content_disposition_header(
        True, safe_filename(filename, content_type))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


def check_lengths(model, fields: dict) -> None:
    """A ValidationError naming each text field longer than its column (PostgreSQL would
    refuse the row: a 500 after half the work)."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    errors = {}
    for name, value in fields.items():
        limit = getattr(model._meta.get_field(name), "max_length", None)
        if isinstance(value, str) and limit and len(value) > limit:
            errors[name] = _("At most %(n)s characters.") % {"n": limit}
    if errors:
        raise ValidationError(errors)


def error_messages(request, exc) -> None:
    """Each message of a ValidationError shown at the top of the next page."""
    from django.contrib import messages

    for m in exc.messages:
        messages.error(request, m)
