"""A page with several small forms, one of which was refused: which form, what was typed,
and each message by field — so the page comes back as typed, every message beside its field
and listed at the top with a link to it (``{% load typed %}`` in the templates).

The input of a field ``f`` of the form ``name`` has the id ``name-f``; the summary links there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.http import QueryDict

from constel.utils import field_errors


@dataclass(frozen=True)
class Refused:
    form: str
    data: QueryDict
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, form: str, data: QueryDict, exc: ValidationError,
           rename: dict[str, str] | None = None) -> Refused:
        """The refusal of ``form`` by a service's error; ``rename`` maps the service's field
        names to the form's where they differ (``duration_minutes`` → ``duration``)."""
        errors = {(rename or {}).get(k, k): v for k, v in field_errors(exc).items()}
        return cls(form, data, errors)


def require_int(data: QueryDict, name: str, *, default: int | None = None,
                message: str | None = None) -> int | None:
    """A whole number typed in ``name`` (empty gives ``default``), or a ValidationError on it."""
    from django.utils.translation import gettext as _

    raw = (data.get(name) or "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValidationError({name: message or _("Enter a whole number.")}) from None
